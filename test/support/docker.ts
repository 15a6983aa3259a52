// Helpers for tests that run against the real private Docker daemon (test/support/docker-daemon.sh).
// The tests may create and remove containers; the capturer itself never does.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { waitForSettled } from './wait-for.js';

const run = promisify(execFile);

export const TEST_IMAGE = process.env.LOG_CAPTURER_TEST_IMAGE ?? 'log-capturer-test/busybox:latest';
export const TEST_LABEL = 'log-capturer.test';
const DAEMON_SCRIPT = new URL('./docker-daemon.sh', import.meta.url).pathname;

/** dockerode options for a DOCKER_HOST value (unix:// or tcp://). */
export function dockerOptions(host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'): Docker.DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port), protocol: 'http' };
}

export function testDocker(host?: string): Docker {
  return new Docker(dockerOptions(host));
}

export async function dockerAnswers(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/** The command that starts the private daemon and points DOCKER_HOST at it (README, skip messages, run-tests). */
export const START_DAEMON_COMMAND = 'eval "$(bash test/support/docker-daemon.sh start)"';
/** Every skip for want of a daemon starts with this, so scripts/run-tests.mjs can count them. */
export const NO_DAEMON_SKIP = 'no Docker daemon answers';

/**
 * The daemon for a test. When none answers: under CI=true the test FAILS (a skipped integration
 * test would hide a broken CI); on a developer's machine it is skipped with the reason, and
 * scripts/run-tests.mjs counts those skips and repeats the command at the end of the run.
 */
export async function requireDocker(t: TestContext): Promise<Docker | undefined> {
  const docker = testDocker();
  if (await dockerAnswers(docker)) return docker;
  const why = `${NO_DAEMON_SKIP} at ${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'} (start one: ${START_DAEMON_COMMAND})`;
  if (process.env.CI === 'true') throw new Error(why);
  t.skip(why);
  return undefined;
}

export function uniqueName(prefix: string): string {
  return `lct-${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface RunOptions {
  /** Shell script run by busybox sh -c. */
  script: string;
  name?: string;
  tty?: boolean;
  labels?: Record<string, string>;
  logDriver?: string;
  /** The log driver's options, e.g. `{ 'max-size': '100k', 'max-file': '3' }` (json-file by default). */
  logOptions?: Record<string, string>;
  /** Start it (default true). */
  start?: boolean;
}

/** Creates (and starts) a busybox container with no network, labelled as a test container. */
export async function runContainer(docker: Docker, options: RunOptions): Promise<Docker.Container> {
  const container = await docker.createContainer({
    name: options.name ?? uniqueName('c'),
    Image: TEST_IMAGE,
    Cmd: ['sh', '-c', options.script],
    Tty: options.tty ?? false,
    Labels: { [TEST_LABEL]: 'true', ...options.labels },
    HostConfig: {
      NetworkMode: 'none',
      ...(options.logDriver || options.logOptions ? { LogConfig: { Type: options.logDriver ?? 'json-file', Config: options.logOptions ?? {} } } : {}),
    },
  });
  if (options.start !== false) await container.start();
  return container;
}

/**
 * Waits for a test container to end and returns its exit code. Progress is its log growing (the
 * json-file log on the daemon's disk; tests run as root beside the daemon) or its state changing:
 * a script that writes nothing and never ends is hung. Scripts here write at least every few
 * seconds (the longest silent step is a `sleep 3`), far inside the stall window.
 */
export async function waitForExit(container: Docker.Container): Promise<number> {
  const result = await waitForSettled(`container ${container.id.slice(0, 12)} to exit`, container.wait() as Promise<{ StatusCode: number }>, {
    progress: async () => {
      const info = await container.inspect();
      let logBytes: number | undefined;
      try {
        logBytes = info.LogPath ? statSync(info.LogPath).size : undefined;
      } catch {
        logBytes = undefined; // a remote daemon, or no log file (--log-driver none)
      }
      return { state: info.State.Status, logBytes };
    },
    intervalMs: 250,
  });
  return result.StatusCode;
}

export async function removeQuietly(container: Docker.Container): Promise<void> {
  try {
    await container.remove({ force: true });
  } catch {
    // already gone
  }
}

export interface ReferenceLine {
  timestamp: string;
  stream: 'stdout' | 'stderr';
  message: Buffer;
}

/**
 * The oracle: what the daemon returns for a container WITHOUT follow, parsed by this small,
 * separate reader (not the capturer's parser), with 16 KiB partial frames merged.
 */
export async function daemonLines(docker: Docker, id: string): Promise<ReferenceLine[]> {
  const container = docker.getContainer(id);
  const info = await container.inspect();
  const body: Buffer = await container.logs({ follow: false, stdout: true, stderr: true, timestamps: true });
  return info.Config.Tty ? parseTty(body) : parseMultiplexed(body);
}

function parseMultiplexed(body: Buffer): ReferenceLine[] {
  const lines: ReferenceLine[] = [];
  const pending: Record<string, Buffer[]> = { stdout: [], stderr: [] };
  const partialTimestamps: Partial<Record<'stdout' | 'stderr', string>> = {};
  let offset = 0;
  while (offset + 8 <= body.length) {
    const type = body[offset];
    const length = body.readUInt32BE(offset + 4);
    const payload = body.subarray(offset + 8, offset + 8 + length);
    offset += 8 + length;
    if (type !== 1 && type !== 2) continue;
    const stream = type === 1 ? 'stdout' : 'stderr';
    const timestamp = payload.subarray(0, 30).toString('latin1');
    const text = payload.subarray(31);
    const parts = pending[stream] as Buffer[];
    if (parts.length === 0) partialTimestamps[stream] = timestamp;
    if (text.length > 0 && text[text.length - 1] === 0x0a) {
      parts.push(text.subarray(0, text.length - 1));
      lines.push({ timestamp, stream, message: Buffer.concat(parts) });
      pending[stream] = [];
    } else {
      parts.push(text);
    }
  }
  // A container killed mid-line (or printing without a final newline) leaves a last partial
  // frame: that is still a line of its log.
  for (const stream of ['stdout', 'stderr'] as const) {
    const parts = pending[stream] as Buffer[];
    if (parts.length > 0) lines.push({ timestamp: partialTimestamps[stream] ?? '', stream, message: Buffer.concat(parts) });
  }
  return lines;
}

const TIMESTAMP_AT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z $/;

function parseTty(body: Buffer): ReferenceLine[] {
  const lines: ReferenceLine[] = [];
  let offset = 0;
  let parts: Buffer[] = [];
  while (offset + 31 <= body.length) {
    const timestamp = body.subarray(offset, offset + 30).toString('latin1');
    offset += 31;
    const newline = body.indexOf(0x0a, offset);
    const chunkEnd = Math.min(newline < 0 ? body.length : newline, offset + 16 * 1024);
    const next = body.subarray(chunkEnd, chunkEnd + 31).toString('latin1');
    if (newline >= 0 && newline <= offset + 16 * 1024 && !(newline > chunkEnd)) {
      let end = newline;
      if (end > offset && body[end - 1] === 0x0d) end -= 1;
      const previous = parts[parts.length - 1];
      // A `\r\n` cut at the 16 KiB boundary: the `\r` ended the previous entry, the `\n` is this one.
      if (newline === offset && previous !== undefined && previous[previous.length - 1] === 0x0d) parts[parts.length - 1] = previous.subarray(0, previous.length - 1);
      parts.push(body.subarray(offset, end));
      lines.push({ timestamp, stream: 'stdout', message: Buffer.concat(parts) });
      parts = [];
      offset = newline + 1;
    } else if (TIMESTAMP_AT.test(next) || chunkEnd === body.length) {
      parts.push(body.subarray(offset, chunkEnd));
      offset = chunkEnd;
      if (chunkEnd === body.length) lines.push({ timestamp, stream: 'stdout', message: Buffer.concat(parts) });
    } else {
      throw new Error(`reference TTY parser lost its place at byte ${offset}`);
    }
  }
  return lines;
}

export interface PrivateDaemon {
  host: string;
  dir: string;
  /** Stops dockerd and starts it again over the same data (its containers die with it). */
  restart(): Promise<void>;
  /** Ends dockerd only, keeping its data: the daemon is down until resume(). */
  halt(): Promise<void>;
  resume(): Promise<void>;
  /** Removes its containers and ends it for good. */
  stop(): Promise<void>;
}

/** A daemon of the test's own (for restarts and several-host tests), in its own folder. */
export async function startPrivateDaemon(name: string): Promise<PrivateDaemon> {
  const dir = mkdtempSync(join(tmpdir(), `lc-dockerd-${name}-`));
  const env = { ...process.env, DOCKER_HOST: '' };
  const { stdout } = await run('bash', [DAEMON_SCRIPT, 'start', dir], { env });
  const host = /DOCKER_HOST=(\S+)/.exec(stdout)?.[1];
  if (!host) throw new Error(`docker-daemon.sh start printed no DOCKER_HOST: ${stdout}`);
  return {
    host,
    dir,
    restart: async () => {
      await run('bash', [DAEMON_SCRIPT, 'restart', dir], { env });
    },
    halt: async () => {
      await run('bash', [DAEMON_SCRIPT, 'halt', dir], { env });
    },
    resume: async () => {
      await run('bash', [DAEMON_SCRIPT, 'start', dir], { env });
    },
    stop: async () => {
      await run('bash', [DAEMON_SCRIPT, 'stop', dir], { env });
    },
  };
}
