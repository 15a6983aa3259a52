// The capturer under test, run as a child process through its CLI with a config file written for
// the scenario, so the bench measures exactly what users run (and /proc shows only its costs).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BENCH_LABEL } from './bench-docker.js';
import { parsePrometheusText } from './prometheus-text.js';
import type { MetricSamples } from './prometheus-text.js';
import { processCpuUs, processFds, processMemory } from './proc-stats.js';
import type { ProcessFds, ProcessMemory } from './proc-stats.js';

export const REPO_ROOT = new URL('..', import.meta.url).pathname;

export interface CapturerOptions {
  runId: string;
  dockerHost: string;
  sinkUrl: string;
  /** Extra config sections merged over the bench defaults (snake_case, as in the config file). */
  config?: Record<string, Record<string, unknown>>;
  /** Write a V8 CPU profile into this folder when the capturer exits. */
  cpuProfDir?: string;
  /** Open the V8 inspector on 127.0.0.1:<port> (the soak uses it to collect garbage before reading the heap). */
  inspectPort?: number;
  readyTimeoutMs?: number;
  /** Run the build in another checkout (its dist/), e.g. an earlier commit for a before/after. */
  repoRoot?: string;
}

export interface CapturerProcess {
  readonly pid: number;
  readonly serverUrl: string;
  readonly stateDir: string;
  /** The last lines the capturer wrote to stderr (its own logs). */
  stderrTail(): string;
  metrics(): Promise<MetricSamples>;
  status(): Promise<unknown>;
  cpuUs(): number;
  memory(): ProcessMemory;
  fds(): ProcessFds;
  /** SIGTERM, then SIGKILL if it has not exited within the timeout; resolves to its exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function benchConfig(options: CapturerOptions, stateDir: string, port: number): Record<string, Record<string, unknown>> {
  const base: Record<string, Record<string, unknown>> = {
    docker: { host: options.dockerHost },
    capture: { initial_position: 'beginning' },
    filters: { include_labels: [`${BENCH_LABEL}=${options.runId}`] },
    sink: { type: 'vector', url: options.sinkUrl },
    checkpoint: { state_dir: stateDir },
    server: { listen: `127.0.0.1:${port}` },
    log: { level: 'warn' },
  };
  for (const [section, values] of Object.entries(options.config ?? {})) base[section] = { ...base[section], ...values };
  return base;
}

/** Our environment without LOG_CAPTURER_* variables: the scenario's config file alone decides. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('LOG_CAPTURER_')) env[key] = value;
  return env;
}

async function get(url: string): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(10_000) });
}

/** Builds dist/ (tsc) so the bench measures the current source as users run it. */
export function buildCapturer(): void {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('building dist/ failed (tsc -p tsconfig.build.json)');
}

export async function startCapturer(options: CapturerOptions): Promise<CapturerProcess> {
  const workDir = mkdtempSync(join(tmpdir(), `lc-bench-${options.runId}-`));
  const stateDir = join(workDir, 'state');
  const configFile = join(workDir, 'config.yaml');
  const port = await freePort();
  writeFileSync(configFile, stringify(benchConfig(options, stateDir, port)));

  const nodeArgs = options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
  if (options.inspectPort !== undefined) nodeArgs.push(`--inspect=127.0.0.1:${options.inspectPort}`);
  // The built program, as `npm start` runs it: tsx's loader would add its own CPU to the figures.
  const child = spawn(process.execPath, [...nodeArgs, 'dist/cli/main.js', '--config', configFile], {
    cwd: options.repoRoot ?? REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: childEnv(),
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-16_384);
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? null : code);
      resolve(exitCode);
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the capturer did not start');
  const serverUrl = `http://127.0.0.1:${port}`;

  const stop = async (timeoutMs = 30_000): Promise<number | null> => {
    if (exitCode === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    }
    rmSync(workDir, { recursive: true, force: true });
    return exitCode ?? null;
  };

  // Ready = /metrics answers. Bounded: a capturer that cannot start fails the scenario clearly.
  const deadline = performance.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exitCode !== undefined) {
      await stop();
      throw new Error(`the capturer exited (code ${String(exitCode)}) before it was ready; its stderr:\n${stderr}`);
    }
    try {
      const response = await get(`${serverUrl}/metrics`);
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`the capturer's /metrics did not answer within ${options.readyTimeoutMs ?? 60_000} ms; its stderr:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    pid,
    serverUrl,
    stateDir,
    stderrTail: () => stderr,
    async metrics() {
      const response = await get(`${serverUrl}/metrics`);
      return parsePrometheusText(await response.text());
    },
    async status() {
      const response = await get(`${serverUrl}/status`);
      return response.json();
    },
    cpuUs: () => processCpuUs(pid),
    memory: () => processMemory(pid),
    fds: () => processFds(pid),
    stop,
  };
}
