// What every bench scenario receives and returns.
import type Docker from 'dockerode';

export type Figure = string | number | boolean | null;
export type ScenarioResult = { scenario: string } & Record<string, Figure>;

export interface ScenarioContext {
  docker: Docker;
  dockerHost: string;
  /** Unique per scenario run: the value of the lct.bench label and part of container names. */
  runId: string;
  /** When set, the capturer child writes a CPU profile here and the scenario summarizes it. */
  cpuProfDir?: string;
  /** Progress notes (stderr, so --json output on stdout stays one object per line). */
  note(message: string): void;
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** A container script printing `count` unique lines of about `length` bytes, as fast as it can. */
export function fastWriterScript(count: number, length: number, prefix = ''): string {
  const pad = 'x'.repeat(Math.max(1, length - 10 - prefix.length));
  return `awk 'BEGIN { for (i = 1; i <= ${count}; i++) printf "${prefix}%09d ${pad}\\n", i }'`;
}

/** A container script printing `perSecond` lines in a burst every second for `seconds` seconds. */
export function steadyWriterScript(tag: string, perSecond: number, seconds: number, length: number): string {
  const pad = 'x'.repeat(Math.max(1, length - tag.length - 16));
  return (
    `s=0; while [ $s -lt ${seconds} ]; do l=0; while [ $l -lt ${perSecond} ]; do ` +
    `echo "${tag} s$s l$l ${pad}"; l=$((l+1)); done; s=$((s+1)); sleep 1; done`
  );
}

export function toMiB(bytes: number): number {
  return round(bytes / 1024 / 1024, 1);
}

/** An error as one short line for a result field (the full text goes to stderr). */
export function errorSummary(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').slice(0, 300);
}
