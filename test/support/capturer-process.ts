// Runs the real capturer as a child process through its CLI, as a user would, so tests can send
// it signals (SIGTERM, SIGKILL) and restart it over the same state directory.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor, waitForSettled } from './wait-for.js';
import type { WaitSpec } from './wait-for.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = join(ROOT, 'src/cli/main.ts');

/** Starts a server listening on 127.0.0.1 on a port the system picks, and resolves with that port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

/** A free TCP port on 127.0.0.1 (there is a small race, acceptable in tests). */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A configuration file as a user writes it (snake_case keys), in JSON, which the YAML loader reads too. */
export type FileConfig = Record<string, Record<string, unknown>>;

export function writeConfig(config: FileConfig, dir = mkdtempSync(join(tmpdir(), 'lc-config-'))): string {
  const path = join(dir, 'log-capturer.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

export interface CapturerProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (or 128 + signal number style: null code => -1). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  /** What the process is visibly doing: CPU time used and output written (progress while it starts or stops). */
  signsOfLife(): { cpuTicks: number; stdoutBytes: number; stderrBytes: number };
  /** Why a wait on it is pointless (it exited, with its stderr), or undefined while it runs. */
  exitedWith(): string | undefined;
}

/** CPU time (user + system, in clock ticks) a process has used, from /proc; 0 once it is gone. */
export function cpuTicks(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

export interface CapturerProcessOptions {
  /** The process's file-descriptor limit (ulimit -n), set with util-linux prlimit, which then execs node (same pid). */
  fileLimit?: number;
}

export function startCapturerProcess(args: string[], env: NodeJS.ProcessEnv = {}, options: CapturerProcessOptions = {}): CapturerProcess {
  const command = [process.execPath, '--import', 'tsx', CLI, ...args];
  if (options.fileLimit !== undefined) command.unshift('prlimit', `--nofile=${options.fileLimit}:${options.fileLimit}`);
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  let errBytes = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    out.push(chunk);
    outBytes += chunk.length;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err.push(chunk);
    errBytes += chunk.length;
  });
  const stderr = (): string => Buffer.concat(err).toString('utf8');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    signsOfLife: () => ({ cpuTicks: cpuTicks(child.pid), stdoutBytes: outBytes, stderrBytes: errBytes }),
    exitedWith: () => (child.exitCode === null && child.signalCode === null
      ? undefined
      : `the capturer exited (code ${child.exitCode}, signal ${child.signalCode}); its stderr ends:\n${stderr().slice(-2000)}`),
  };
}

/**
 * Waits until the capturer's server answers /healthz with 200. While it starts (tsx compiles,
 * the config loads, the server binds) nothing is observable but its own work, so its CPU time
 * and output count as progress: the wait fails when the process stopped working (or exited),
 * however long a loaded machine makes the start-up take.
 */
export async function waitUntilServing(capturer: CapturerProcess, baseUrl: string): Promise<void> {
  await waitFor('the capturer to answer /healthz', {
    // A refused connection is the normal answer while it starts: an observation, not an error
    // (an error observation would hide the CPU time that shows the start-up going on).
    watch: async () => ({
      status: await fetch(`${baseUrl}/healthz`).then((r) => r.status, (e: unknown) => (e instanceof Error ? `${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ''}` : String(e))),
      life: capturer.signsOfLife(),
    }),
    until: (o) => o.status === 200,
    failIf: () => capturer.exitedWith(),
    intervalMs: 200,
  });
}

/**
 * Waits for the capturer to exit (after a signal). It is shutting down: flushing to a receiver,
 * writing positions. Progress is its CPU time and output, plus whatever the caller watches
 * (`progress`, e.g. the records a receiver got); the capturer's own grace period bounds a
 * healthy shutdown, so this only ends a hung one.
 */
export async function capturerExit(capturer: CapturerProcess, what = 'the capturer to exit', options: Pick<WaitSpec<unknown>, 'stallMs'> & { progress?: () => unknown } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return waitForSettled(what, capturer.exited, {
    ...options,
    progress: async () => ({ life: capturer.signsOfLife(), also: await options.progress?.() }),
    intervalMs: 100,
  });
}
