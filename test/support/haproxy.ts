// deploy/docker-api-proxy/haproxy.cfg run by Debian's haproxy in front of a daemon's unix socket,
// for tests (test/ops/get-only-proxy.test.ts for dockerd, test/podman/get-only-proxy.test.ts for
// Podman). haproxy logs one line per request (`option httplog`) on its stdout.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

export const HAPROXY_CFG = new URL('../../deploy/docker-api-proxy/haproxy.cfg', import.meta.url).pathname;

/** Whether haproxy can run; when not: skipped off CI, a failure under CI=true. */
export async function requireHaproxy(t: TestContext): Promise<boolean> {
  try {
    await run('haproxy', ['-v']);
    return true;
  } catch {
    const why = 'haproxy is not installed (Debian package: haproxy; .ci/run installs it)';
    if (process.env.CI === 'true') throw new Error(why);
    t.skip(why);
    return false;
  }
}

export interface HaproxyRequest { status: number; method: string; url: string }

/** Requests from haproxy's `option httplog` lines: `... <status> <bytes> ... "GET /path HTTP/1.1"`. */
export function parseHaproxyLog(text: string): HaproxyRequest[] {
  const requests: HaproxyRequest[] = [];
  for (const line of text.split('\n')) {
    const match = / (\d{3}) \d+ .*"(\S+) (\S+) HTTP\/1\.[01]"$/.exec(line);
    if (match) requests.push({ status: Number(match[1]), method: match[2] as string, url: match[3] as string });
  }
  return requests;
}

export interface RunningHaproxy {
  /** The filtered socket's path (give `unix://` + it to the capturer). */
  filtered: string;
  /** Everything haproxy wrote so far. */
  output: () => string;
}

/** Starts haproxy with the shipped configuration in front of `daemonSocket`; stopped (and its folder removed) after the test. */
export async function startHaproxy(t: TestContext, daemonSocket: string): Promise<RunningHaproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'lc-haproxy-'));
  const filtered = join(dir, 'docker.sock');
  const env = { ...process.env, DOCKER_API_SOCKET: daemonSocket, FILTERED_API_SOCKET: filtered };
  await run('haproxy', ['-c', '-f', HAPROXY_CFG], { env });
  const haproxy = spawn('haproxy', ['-db', '-f', HAPROXY_CFG], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  haproxy.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  haproxy.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exited = new Promise<void>((resolve) => haproxy.once('exit', () => resolve()));
  t.after(async () => {
    haproxy.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const output = (): string => Buffer.concat(chunks).toString('utf8');
  await waitFor('haproxy listening on the filtered socket', {
    watch: () => ({ listening: existsSync(filtered), output: chunks.reduce((n, b) => n + b.length, 0) }),
    until: (o) => o.listening,
    failIf: () => (haproxy.exitCode !== null ? `haproxy exited: ${output().slice(-2000)}` : undefined),
  });
  return { filtered, output };
}
