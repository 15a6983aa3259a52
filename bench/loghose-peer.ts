// docker-loghose (npm), a Node collector users pick today, run as users run it: its CLI
// (`docker-loghose --newline`), a child process whose NDJSON stdout the bench counts, so
// /proc/<pid> shows its own CPU. It reads containers through `attach` (live output only: no
// backlog, no timestamps, nothing it missed while it was not attached), so it is measured while
// the container writes, not on a log already written. It brings its own dockerode (2.5.8) and
// docker-modem 1.x, which read DOCKER_HOST themselves (unix:// and tcp:// only).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { processCpuUs } from './proc-stats.js';

export interface LoghosePeer {
  readonly pid: number;
  readonly version: string;
  /** Lines it printed so far, and performance.now() of the first and latest. */
  readonly lines: number;
  readonly firstAt: number;
  readonly lastAt: number;
  /** The first and the latest line it printed (NDJSON), to tell which lines it missed. */
  readonly firstLine: string;
  readonly lastLine: string;
  /** Its CPU when its first line arrived (so start-up is not counted), in microseconds. */
  readonly cpuAtFirstUs: number;
  /** What `sampleAtFirstLine` (given to startLoghose) returned then: dockerd's CPU, for the bench. */
  readonly sampleAtFirst: number;
  cpuUs(): number;
  /** Resolves once `target` lines arrived; rejects when none arrived for `stallMs`, or it exited. */
  waitForLines(target: number, stallMs: number): Promise<void>;
  stderrTail(): string;
  stop(): Promise<void>;
}

/** Where the installed CLI is, and its version; undefined when docker-loghose is not installed. */
export function loghoseCli(): { path: string; version: string } | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('docker-loghose/package.json');
    const { version, bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string; bin: string };
    return { path: join(dirname(manifest), bin), version };
  } catch {
    return undefined;
  }
}

/** Starts the CLI for the containers whose name matches `matchByName` (a regular expression). */
export function startLoghose(dockerHost: string, matchByName: string, sampleAtFirstLine: () => number = () => Number.NaN): LoghosePeer {
  const cli = loghoseCli();
  if (cli === undefined) throw new Error('docker-loghose is not installed (it is a devDependency: npm ci)');
  // HOSTNAME: loghose skips containers whose id starts with it (its own, in a container); an
  // empty one would skip them all, so give it one no hex id starts with.
  const child = spawn(process.execPath, [cli.path, '--newline', '--matchByName', matchByName], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, DOCKER_HOST: dockerHost, HOSTNAME: 'log-capturer-bench' },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('docker-loghose did not start');
  let lines = 0;
  let firstLine = '';
  let lastLine = '';
  let firstAt = 0;
  let lastAt = 0;
  let cpuAtFirstUs = 0;
  let sampleAtFirst = Number.NaN;
  let stderr = '';
  let exited: string | undefined;
  const waiters = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    let count = 0;
    let previousEnd = -1;
    let lastEnd = -1;
    for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) {
      count += 1;
      previousEnd = lastEnd;
      lastEnd = at;
    }
    if (count === 0) return;
    const now = performance.now();
    // Lines do not straddle chunks here in practice (one write per record); good enough to name them.
    lastLine = chunk.toString('utf8', previousEnd + 1, lastEnd);
    if (lines === 0) {
      firstLine = chunk.toString('utf8', 0, chunk.indexOf(0x0a));
      firstAt = now;
      cpuAtFirstUs = processCpuUs(pid);
      sampleAtFirst = sampleAtFirstLine();
    }
    lines += count;
    lastAt = now;
    for (const wake of waiters) wake();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-8192);
  });
  const gone = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `docker-loghose exited (code ${String(code)}, signal ${String(signal)})`;
      for (const wake of waiters) wake();
      resolve();
    });
  });
  return {
    pid,
    version: cli.version,
    get lines() {
      return lines;
    },
    get firstLine() {
      return firstLine;
    },
    get lastLine() {
      return lastLine;
    },
    get firstAt() {
      return firstAt;
    },
    get lastAt() {
      return lastAt;
    },
    get cpuAtFirstUs() {
      return cpuAtFirstUs;
    },
    get sampleAtFirst() {
      return sampleAtFirst;
    },
    cpuUs: () => processCpuUs(pid),
    stderrTail: () => stderr,
    waitForLines(target: number, stallMs: number): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        let seen = lines;
        let progressAt = performance.now();
        const finish = (error?: Error): void => {
          clearInterval(check);
          waiters.delete(wake);
          if (error) reject(error);
          else resolve();
        };
        const wake = (): void => {
          if (lines >= target) finish();
          else if (exited !== undefined) finish(new Error(`${exited} after ${lines} of ${target} lines; stderr: ${stderr.slice(-500)}`));
        };
        const check = setInterval(() => {
          if (lines !== seen) {
            seen = lines;
            progressAt = performance.now();
          } else if (performance.now() - progressAt > stallMs) {
            finish(new Error(`docker-loghose stalled at ${lines} of ${target} lines for ${stallMs} ms`));
          }
        }, 250);
        waiters.add(wake);
        wake();
      });
    },
    async stop() {
      if (exited === undefined) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
