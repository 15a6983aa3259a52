// Runs the real capturer as a child process through its CLI, as a user would, so tests can send
// it signals (SIGTERM, SIGKILL) and restart it over the same state directory.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Polls until check() returns a value (not undefined), or fails after timeoutMs with what it last saw. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
