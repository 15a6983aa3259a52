// What every bench scenario receives and returns.
import type Docker from 'dockerode';
import type { BenchDaemonKind } from './bench-docker.js';

export type Figure = string | number | boolean | null;
export type ScenarioResult = { scenario: string } & Record<string, Figure>;

export interface ScenarioContext {
  docker: Docker;
  dockerHost: string;
  /** Which implementation answers at dockerHost (`--daemon`; default docker). */
  daemon?: BenchDaemonKind;
  /** Unique per scenario run: the value of the lct.bench label and part of container names. */
  runId: string;
  /** When set, the capturer child writes a CPU profile here and the scenario summarizes it. */
  cpuProfDir?: string;
  /** Progress notes (stderr, so --json output on stdout stays one object per line). */
  note(message: string): void;
  /** `--set section.key=value` overrides, applied over each scenario's own capturer config. */
  configOverrides?: CapturerConfigSections;
}

/** Config file sections (snake_case keys, values as in the YAML file). */
export type CapturerConfigSections = Record<string, Record<string, unknown>>;

/** `a.b=c` pairs (`sink.batch.max_events=5000`) as nested config sections; values are YAML scalars. */
export function parseConfigOverrides(pairs: string[]): CapturerConfigSections {
  const sections: CapturerConfigSections = {};
  for (const pair of pairs) {
    const match = /^([a-z_]+)\.([a-z_.]+)=(.*)$/.exec(pair);
    if (!match) throw new Error(`--set expects section.key=value, got ${pair}`);
    const [, section, path, raw] = match as unknown as [string, string, string, string];
    const value: unknown = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw === 'true' ? true : raw === 'false' ? false : raw;
    const keys = path.split('.');
    let target: Record<string, unknown> = (sections[section] ??= {});
    for (const key of keys.slice(0, -1)) {
      const next = target[key];
      const child: Record<string, unknown> = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : {};
      target[key] = child;
      target = child;
    }
    target[keys[keys.length - 1] as string] = value;
  }
  return sections;
}

/** A scenario's capturer config with the run's --set overrides on top (deep merge). */
export function withOverrides(ctx: ScenarioContext, config: CapturerConfigSections = {}): CapturerConfigSections {
  const merged: CapturerConfigSections = { ...config };
  for (const [section, values] of Object.entries(ctx.configOverrides ?? {})) merged[section] = deepMerge(merged[section] ?? {}, values);
  return merged;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    const bothObjects = typeof value === 'object' && value !== null && typeof current === 'object' && current !== null;
    out[key] = bothObjects ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * A container script printing `count` unique lines of about `length` bytes, as fast as it can,
 * or, with `perSecond`, in bursts of a tenth of that followed by a 100 ms sleep (at most that
 * rate: a loaded machine writes slower).
 */
export function fastWriterScript(count: number, length: number, prefix = '', perSecond?: number): string {
  const pad = 'x'.repeat(Math.max(1, length - 10 - prefix.length));
  const burst = perSecond === undefined ? 0 : Math.max(1, Math.round(perSecond / 10));
  const pace = burst > 0 ? `; if (i % ${burst} == 0) system("usleep 100000")` : '';
  return `awk 'BEGIN { for (i = 1; i <= ${count}; i++) { printf "${prefix}%09d ${pad}\\n", i${pace} } }'`;
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
