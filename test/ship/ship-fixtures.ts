// Shared pieces of the ship tests: a resolved config, synthetic captured lines, a flow that
// records pause/resume. (Waits: test/support/wait-for.ts.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CapturedLine } from '../../src/capture/captured-line.js';
import type { CapturerConfig } from '../../src/config/capturer-config.js';
import type { ContainerInfo } from '../../src/docker/container-info.js';
import { CheckpointStore } from '../../src/ship/checkpoint-store.js';
import { DeliveryPipeline } from '../../src/ship/delivery-pipeline.js';
import { createSink } from '../../src/ship/sinks/create-sink.js';
import type { Sink } from '../../src/ship/sinks/sink.js';
import { createMetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import type { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { createLogger, silentLogger } from '../../src/utils/logger.js';
import type { Logger } from '../../src/utils/logger.js';
import { MULTILINE_OFF } from '../../src/capture/multiline-rule.js';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function testConfig(stateDir: string, overrides: { sink?: DeepPartial<CapturerConfig['sink']>; buffer?: Partial<CapturerConfig['buffer']> } = {}): CapturerConfig {
  const sink = overrides.sink ?? {};
  return {
    docker: { host: 'unix:///nonexistent.sock', requestTimeoutMs: 30_000 },
    capture: { maxStreams: 100, pollIntervalMs: 1000, rotationIntervalMs: 300_000, initialPosition: 'beginning', maxLineBytes: 1024 * 1024, hostName: 'test-host', multiline: MULTILINE_OFF, eventIds: true },
    filters: { includeNames: [], excludeNames: [], includeImages: [], excludeImages: [], includeLabels: [], excludeLabels: [], optOutLabel: 'log-capturer.enable' },
    sink: {
      type: sink.type ?? 'vector',
      url: sink.url,
      auth: sink.auth === undefined ? undefined : { username: sink.auth.username ?? '', password: sink.auth.password ?? '' },
      compression: sink.compression ?? 'none',
      batch: { maxEvents: 100, maxBytes: 64 * 1024, lingerMs: 20, ...sink.batch },
      maxInFlight: sink.maxInFlight ?? 4,
      requestTimeoutMs: sink.requestTimeoutMs ?? 30_000,
      retry: { initialBackoffMs: 10, maxBackoffMs: 200, configErrorBackoffMs: 100, ...sink.retry },
      headers: { ...(sink.headers as Record<string, string> | undefined) },
    },
    buffer: { maxBytes: 8 * 1024 * 1024, resumeBytes: 4 * 1024 * 1024, ...overrides.buffer },
    checkpoint: { stateDir, flushIntervalMs: 1000, deadLetterMaxBytes: 64 * 1024 * 1024 },
    server: { enabled: false, host: '127.0.0.1', port: 0, maxConnections: 128 },
    shutdown: { gracePeriodMs: 5000 },
    log: { level: 'silent' },
  };
}

export function container(name: string): ContainerInfo {
  const id = Buffer.from(name.padEnd(32, '_')).toString('hex').slice(0, 64).padEnd(64, '0');
  return { id, name, image: 'busybox', labels: { test: name }, createdAt: '2026-01-01T00:00:00.000000000Z', tty: false, logDriver: 'json-file', logOptions: {}, running: true };
}

const BASE_MS = Date.UTC(2026, 10, 28, 1, 0, 0);

/** Line n of a container: message `<name> <n>` (padded), one line per millisecond. */
export function capturedLine(info: ContainerInfo, n: number, padding = 0): CapturedLine {
  const iso = new Date(BASE_MS + n).toISOString();
  return {
    container: info,
    line: { timestamp: `${iso.slice(0, 23)}000000Z`, stream: n % 2 === 0 ? 'stdout' : 'stderr', message: Buffer.from(`${info.name} ${n}${' '.repeat(padding)}`), truncated: false, chunks: 1 },
    position: { sinceMs: BASE_MS + n - 1, skip: 1 },
    ordinal: 0,
  };
}

/** The line number in a received event's message. */
export function lineNumber(event: Record<string, unknown>): number {
  return Number(String(event.message).trim().split(' ')[1]);
}

/** Asserts every container's numbers arrive as 0..count-1, once each and in order. */
export function perContainer(events: Array<Record<string, unknown>>): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  for (const event of events) {
    const name = String(event.container_name);
    const list = seen.get(name) ?? [];
    list.push(lineNumber(event));
    seen.set(name, list);
  }
  return seen;
}

/**
 * A capture stand-in that honours the consumer's flow contract: after accept() returned false it
 * counts a pause and reads nothing until 'drain' (a resume).
 */
export class RecordingFlow {
  pauses = 0;
  resumes = 0;
  paused = false;
  private waiters: Array<() => void> = [];

  constructor(private readonly pipeline: DeliveryPipeline) {
    pipeline.on('drain', () => this.resume());
  }

  /** Offers one line as capture would. */
  accept(line: CapturedLine): void {
    if (!this.pipeline.accept(line) && !this.paused) {
      this.pauses += 1;
      this.paused = true;
    }
  }

  private resume(): void {
    this.resumes += 1;
    this.paused = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
  /** Resolves once capture may read again. */
  whenResumed(): Promise<void> {
    return this.paused ? new Promise((resolve) => this.waiters.push(resolve)) : Promise.resolve();
  }
}

/** A logger whose JSON lines are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>>; text: () => string } {
  const raw: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text === '') continue;
        raw.push(text);
        lines.push(JSON.parse(text) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: createLogger('info', out), lines, text: () => raw.join('\n') };
}

export interface Shipper {
  pipeline: DeliveryPipeline;
  checkpoints: CheckpointStore;
  metrics: MetricsRegistry;
  flow: RecordingFlow;
  /** Shuts the pipeline down (grace 5 s), stops the store and removes the state dir. */
  close(): Promise<void>;
}

/** A pipeline with its own state dir, checkpoint store and sink, started. */
export async function startShipper(configure: (stateDir: string) => CapturerConfig, logger: Logger = silentLogger(), givenSink?: Sink): Promise<Shipper> {
  const stateDir = await mkdtemp(join(tmpdir(), 'lc-ship-'));
  const config = configure(stateDir);
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  const checkpoints = new CheckpointStore({ stateDir, flushIntervalMs: config.checkpoint.flushIntervalMs, logger, registry: metrics });
  await checkpoints.load();
  const pipeline = new DeliveryPipeline({ config, sink: givenSink ?? createSink(config.sink), checkpoints, registry: metrics, logger });
  const flow = new RecordingFlow(pipeline);
  pipeline.start();
  let closed = false;
  return {
    pipeline, checkpoints, metrics, flow,
    close: async () => {
      if (closed) return;
      closed = true;
      await pipeline.close(5000);
      await checkpoints.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A pipeline around a sink the test controls. */
export function startShipperWithSink(sink: Sink, overrides: DeepPartial<CapturerConfig['sink']>): Promise<Shipper> {
  return startShipper((dir) => testConfig(dir, { sink: overrides }), silentLogger(), sink);
}

export { metricValue } from '../support/metric-values.js';
