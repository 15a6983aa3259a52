// Shared pieces of the capture integration tests: a config that selects only the test's own
// containers, a collecting LineConsumer, in-memory positions, an engine wired to a real daemon,
// and the oracle comparison.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type Docker from 'dockerode';
import { CaptureEngine } from '../../src/capture/capture-engine.js';
import type { CaptureEngineDeps } from '../../src/capture/capture-engine.js';
import type { CapturedLine, LineConsumer } from '../../src/capture/captured-line.js';
import type { Position } from '../../src/capture/position.js';
import type { PositionSource } from '../../src/capture/position-source.js';
import type { CapturerConfig } from '../../src/config/capturer-config.js';
import { DockerReader } from '../../src/docker/docker-reader.js';
import { createMetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import type { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { silentLogger } from '../../src/utils/logger.js';
import { daemonLines } from '../support/docker.js';
import type { ReferenceLine } from '../support/docker.js';
import { waitFor } from '../support/wait-for.js';
import { MULTILINE_OFF } from '../../src/capture/multiline-rule.js';

export const RUN_LABEL = 'lct.run';

export function captureConfig(run: string, capture: Partial<CapturerConfig['capture']> = {}, host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'): CapturerConfig {
  return {
    docker: { host, requestTimeoutMs: 30_000 },
    capture: { maxStreams: 100, rotationIntervalMs: 60_000, pollIntervalMs: 1000, initialPosition: 'beginning', maxLineBytes: 1024 * 1024, route: 'auto', hostName: 'test-host', multiline: MULTILINE_OFF, eventIds: true, ...capture },
    filters: {
      includeNames: [], excludeNames: [], includeImages: [], excludeImages: [],
      includeLabels: [`${RUN_LABEL}=${run}`], excludeLabels: [], optOutLabel: 'log-capturer.enable',
    },
    sink: {
      type: 'stdout', compression: 'none', batch: { maxEvents: 1000, maxBytes: 1024 * 1024, lingerMs: 1000 }, maxInFlight: 4,
      requestTimeoutMs: 60_000, retry: { initialBackoffMs: 250, maxBackoffMs: 30_000, configErrorBackoffMs: 30_000 }, headers: {},
    },
    buffer: { maxBytes: 64 * 1024 * 1024, resumeBytes: 32 * 1024 * 1024 },
    checkpoint: { stateDir: '/nonexistent', flushIntervalMs: 1000, deadLetterMaxBytes: 64 * 1024 * 1024 },
    server: { enabled: false, host: '127.0.0.1', port: 0, maxConnections: 128 },
    shutdown: { gracePeriodMs: 1000 },
    log: { level: 'silent' },
  };
}

/** What the oracle compares: a captured line reduced to what the daemon stores. */
export interface SeenLine {
  timestamp: string;
  stream: 'stdout' | 'stderr';
  message: Buffer;
}

/** Takes every line (it is never full) and keeps it by container. */
export class CollectingConsumer extends EventEmitter implements LineConsumer {
  readonly lines = new Map<string, SeenLine[]>();
  readonly gone: string[] = [];
  last: CapturedLine | undefined;

  accept(captured: CapturedLine): boolean {
    let list = this.lines.get(captured.container.id);
    if (!list) {
      list = [];
      this.lines.set(captured.container.id, list);
    }
    const { timestamp, stream, message } = captured.line;
    list.push({ timestamp, stream, message });
    this.last = captured;
    return true;
  }

  containerGone(containerId: string): void {
    this.gone.push(containerId);
  }

  of(id: string): SeenLine[] {
    return this.lines.get(id) ?? [];
  }
}

export class MemoryPositions implements PositionSource {
  constructor(readonly saved = new Map<string, Position>(), readonly firstRun = true) {}

  get(containerId: string): Position | undefined {
    return this.saved.get(containerId);
  }

  retainOnly(existingIds: ReadonlySet<string>): void {
    for (const id of [...this.saved.keys()]) if (!existingIds.has(id)) this.saved.delete(id);
  }
}

export interface EngineUnderTest {
  engine: CaptureEngine;
  reader: DockerReader;
  consumer: CollectingConsumer;
  metrics: MetricsRegistry;
  /** Stops the engine and closes the reader (idempotent). */
  close(): Promise<void>;
}

export async function startEngine(config: CapturerConfig, extra: Partial<CaptureEngineDeps> = {}, reader = new DockerReader(config.docker)): Promise<EngineUnderTest> {
  const consumer = new CollectingConsumer();
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  const engine = new CaptureEngine({
    config, docker: reader, consumer, positions: new MemoryPositions(), registry: metrics, logger: silentLogger(),
    selfContainerId: null, backoff: { initialMs: 100, maxMs: 2000 }, ...extra,
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= engine.close().finally(() => reader.close());
    return closed;
  };
  await engine.start();
  return { engine, reader, consumer, metrics, close };
}

/**
 * Waits until the engine has read every listed container to its end (state `stopped`). Progress
 * is their states and line counts: a container still being read adds lines, one in backoff or
 * waiting for a slot changes state within the harness's 2 s backoff.
 */
export async function waitUntilDrained(engine: CaptureEngine, ids: string[]): Promise<void> {
  await waitFor(`containers drained: ${ids.map((id) => id.slice(0, 12)).join(', ')}`, {
    watch: () => {
      const byId = new Map(engine.status().containers.map((c) => [c.id, c]));
      return ids.map((id) => ({ id: id.slice(0, 12), state: byId.get(id)?.state, lines: byId.get(id)?.lines }));
    },
    until: (containers) => containers.every((c) => c.state === 'stopped'),
  });
}

function describeLine(line: SeenLine | ReferenceLine | undefined): string {
  if (!line) return '(none)';
  const text = line.message.length > 60 ? `${line.message.subarray(0, 60).toString('latin1')}... (${line.message.length} bytes)` : line.message.toString('latin1');
  return `${line.timestamp} ${line.stream} ${JSON.stringify(text)}`;
}

/** The oracle: what was captured for `id` equals what the daemon returns without follow. */
export async function assertMatchesDaemon(docker: Docker, consumer: CollectingConsumer, id: string, label = id.slice(0, 12)): Promise<number> {
  return assertMatchesLines(await daemonLines(docker, id), consumer, id, label);
}

/** What was captured for `id` equals `expected` (a daemon's lines), line for line. Returns their count. */
export function assertMatchesLines(expected: readonly ReferenceLine[], consumer: CollectingConsumer, id: string, label = id.slice(0, 12)): number {
  const actual = consumer.of(id);
  const length = Math.max(expected.length, actual.length);
  for (let i = 0; i < length; i += 1) {
    const want = expected[i];
    const got = actual[i];
    const same = want !== undefined && got !== undefined && want.timestamp === got.timestamp && want.stream === got.stream && want.message.equals(got.message);
    if (!same) {
      assert.fail(`${label}: captured ${actual.length} lines, daemon has ${expected.length}; first difference at line ${i}:\n  daemon:   ${describeLine(want)}\n  captured: ${describeLine(got)}`);
    }
  }
  return expected.length;
}
