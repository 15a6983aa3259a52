// One real capturer (the CLI as a child process) shipping to one stand-in Vector receiver, with
// its own state directory and a run label that selects only this test's containers. Everything
// it starts is torn down in t.after, in the order that lets each part stop cleanly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type Docker from 'dockerode';
import { freePort, startCapturerProcess, waitUntilServing, writeConfig } from '../support/capturer-process.js';
import type { CapturerProcess, FileConfig } from '../support/capturer-process.js';
import { removeQuietly, runContainer, uniqueName } from '../support/docker.js';
import type { RunOptions } from '../support/docker.js';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import type { StandInReceiver } from '../support/stand-in-receiver.js';
import { parseMetrics } from '../support/metrics-text.js';

export interface FaultRigOptions {
  /** Sections merged over the rig's defaults (one level deep: a section replaces keys, not the section). */
  config?: FileConfig;
  /** A state directory prepared by the test (e.g. a tmpfs mount); the rig still removes it. */
  stateDir?: string;
  /** Do not start the capturer yet: call rig.startCapturer() when the scene is set. */
  deferStart?: boolean;
  /** The capturer's file-descriptor limit (ulimit -n). */
  fileLimit?: number;
}

export interface FaultRig {
  readonly runLabel: string;
  readonly receiver: StandInReceiver;
  readonly stateDir: string;
  readonly baseUrl: string;
  capturer(): CapturerProcess;
  startCapturer(): CapturerProcess;
  /** Waits until /healthz answers 200. */
  waitHealthy(): Promise<void>;
  /** A container of this run (labelled so only this rig's capturer reads it), removed in cleanup. */
  container(options: RunOptions): Promise<Docker.Container>;
  /** Records the receiver holds for one container. */
  eventsOf(containerId: string): Array<Record<string, unknown>>;
  metrics(): Promise<Map<string, number>>;
  get(path: string): Promise<{ status: number; text: string }>;
}

export async function startFaultRig(t: TestContext, docker: Docker, name: string, options: FaultRigOptions = {}): Promise<FaultRig> {
  const runLabel = uniqueName(name);
  const receiver = await startStandInReceiver({ kind: 'vector' });
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'lc-fault-state-'));
  const port = await freePort();
  const containers: Docker.Container[] = [];
  let process: CapturerProcess | undefined;

  const defaults: FileConfig = {
    capture: { initial_position: 'beginning', rotation_interval: '1s' },
    filters: { include_labels: [`lct.run=${runLabel}`] },
    sink: { type: 'vector', url: receiver.url, batch: { max_events: 200, linger: '50ms' }, retry: { initial_backoff: '50ms', max_backoff: '500ms' } },
    checkpoint: { state_dir: stateDir, flush_interval: '200ms' },
    server: { listen: `127.0.0.1:${port}` },
    log: { level: 'info' },
  };
  const config: FileConfig = { ...defaults };
  for (const [section, values] of Object.entries(options.config ?? {})) config[section] = { ...defaults[section], ...values };
  const configPath = writeConfig(config);

  t.after(async () => {
    if (process !== undefined) {
      process.kill('SIGKILL');
      await process.exited;
    }
    await Promise.all(containers.map(removeQuietly));
    await receiver.stop();
    if (options.stateDir === undefined) rmSync(stateDir, { recursive: true, force: true });
    rmSync(join(configPath, '..'), { recursive: true, force: true });
  });

  const baseUrl = `http://127.0.0.1:${port}`;
  const get = async (path: string): Promise<{ status: number; text: string }> => {
    const response = await fetch(`${baseUrl}${path}`);
    return { status: response.status, text: await response.text() };
  };
  const rig: FaultRig = {
    runLabel,
    receiver,
    stateDir,
    baseUrl,
    capturer: () => {
      if (process === undefined) throw new Error('the capturer was not started');
      return process;
    },
    startCapturer: () => {
      if (process !== undefined) throw new Error('the capturer is already running');
      process = startCapturerProcess(['--config', configPath], {}, options.fileLimit !== undefined ? { fileLimit: options.fileLimit } : {});
      return process;
    },
    waitHealthy: async () => {
      await waitUntilServing(rig.capturer(), baseUrl);
    },
    container: async (runOptions) => {
      const container = await runContainer(docker, { ...runOptions, labels: { 'lct.run': runLabel, ...runOptions.labels } });
      containers.push(container);
      return container;
    },
    eventsOf: (containerId) => receiver.events.filter((e) => e.container_id === containerId),
    metrics: async () => parseMetrics((await get('/metrics')).text),
    get,
  };
  if (options.deferStart !== true) {
    rig.startCapturer();
    await rig.waitHealthy();
  }
  return rig;
}

/** The capturer's JSON log lines (stderr), parsed; other text is ignored. */
export function logEntries(stderr: string): Array<Record<string, unknown>> {
  const entries: Array<Record<string, unknown>> = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) entries.push(value as Record<string, unknown>);
    } catch {
      // not one of our log lines
    }
  }
  return entries;
}
