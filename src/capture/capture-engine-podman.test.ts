// The capture engine against an in-memory Podman 4.3 (test/support/fake-docker.ts, flavor
// podman) and against daemons whose streams go silent: exact capture with stamps to the second,
// parts stamped apart and 20 ms rotations; TTY logs through /libpod/; the `none` log driver's 500;
// `remove`; and containers that yield no line while they should (undecodable bytes, a follow
// stream that delivers nothing) shown in /status, the capture health and the metrics.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { FakeDocker } from '../../test/support/fake-docker.js';
import type { FakeContainer } from '../../test/support/fake-docker.js';
import { metricSamples, metricValue } from '../../test/support/metric-values.js';
import type { CapturerConfig } from '../config/capturer-config.js';
import { createMetricsRegistry } from '../telemetry/metrics-registry.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { silentLogger } from '../utils/logger.js';
import { CaptureEngine } from './capture-engine.js';
import type { CapturedLine, LineConsumer } from './captured-line.js';
import type { Position } from './position.js';
import { MULTILINE_OFF } from './multiline-rule.js';
import type { PositionSource } from './position-source.js';

class Collector extends EventEmitter implements LineConsumer {
  readonly lines = new Map<string, CapturedLine[]>();
  readonly gone: string[] = [];

  accept(line: CapturedLine): boolean {
    const list = this.lines.get(line.container.id) ?? [];
    list.push(line);
    this.lines.set(line.container.id, list);
    return true;
  }

  containerGone(id: string): void {
    this.gone.push(id);
  }

  of(id: string): Array<{ timestamp: string; stream: string; message: string }> {
    return (this.lines.get(id) ?? []).map((l) => ({ timestamp: l.line.timestamp, stream: l.line.stream, message: l.line.message.toString() }));
  }
}

const NO_POSITIONS: PositionSource = { firstRun: true, get: (): Position | undefined => undefined, retainOnly: () => undefined };

function config(capture: Partial<CapturerConfig['capture']>): CapturerConfig {
  return {
    docker: { host: 'unix:///fake', requestTimeoutMs: 1000 },
    capture: { maxStreams: 10, rotationIntervalMs: 60_000, pollIntervalMs: 20, initialPosition: 'beginning', maxLineBytes: 1 << 20, route: 'auto', hostName: 'h', multiline: MULTILINE_OFF, eventIds: true, ...capture },
    filters: { includeNames: [], excludeNames: [], includeImages: [], excludeImages: [], includeLabels: [], excludeLabels: [], optOutLabel: 'log-capturer.enable' },
    sink: {
      type: 'stdout', compression: 'none', batch: { maxEvents: 1000, maxBytes: 1 << 20, lingerMs: 1000 }, maxInFlight: 1,
      requestTimeoutMs: 1000, retry: { initialBackoffMs: 10, maxBackoffMs: 100, configErrorBackoffMs: 100 }, headers: {},
    },
    buffer: { maxBytes: 1 << 20, resumeBytes: 1 << 19 },
    checkpoint: { stateDir: '/nonexistent', flushIntervalMs: 1000, deadLetterMaxBytes: 1 << 20 },
    server: { enabled: false, host: '127.0.0.1', port: 0, maxConnections: 128 },
    shutdown: { gracePeriodMs: 1000 },
    log: { level: 'silent' },
  };
}

interface Rig {
  docker: FakeDocker;
  engine: CaptureEngine;
  collector: Collector;
  registry: MetricsRegistry;
}

async function withRig(docker: FakeDocker, capture: Partial<CapturerConfig['capture']>, body: (r: Rig) => Promise<void>, silenceProbeIntervalMs?: number): Promise<void> {
  const collector = new Collector();
  const registry = createMetricsRegistry({ defaultMetrics: false });
  const engine = new CaptureEngine({
    config: config(capture), docker, consumer: collector, positions: NO_POSITIONS, registry, logger: silentLogger(),
    selfContainerId: null, backoff: { initialMs: 5, maxMs: 40 }, ...(silenceProbeIntervalMs === undefined ? {} : { silenceProbeIntervalMs }),
  });
  await engine.start();
  try {
    await body({ docker, engine, collector, registry });
  } finally {
    await engine.close();
  }
}

/** Waits on in-memory state; the cap only ends a run that is truly stuck. */
async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const cap = Date.now() + 120_000;
  while (!(await condition())) {
    if (Date.now() > cap) assert.fail(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function statusOf(engine: CaptureEngine, id: string) {
  return engine.status().containers.find((c) => c.id === id);
}

const SECOND = 1_000_000_000n;

void describe('CaptureEngine on Podman 4.3 (fake)', () => {
  void it('captures exactly under 20 ms rotations: thousands of lines per second-stamp, long lines whose parts straddle seconds, TTY through /libpod/', async () => {
    const docker = new FakeDocker({ flavor: 'podman' });
    const plain: FakeContainer = docker.add({ name: 'plain' });
    const tty: FakeContainer = docker.add({ name: 'tty', tty: true });
    await withRig(docker, { rotationIntervalMs: 20 }, async (r) => {
      for (let round = 0; round < 12; round += 1) {
        for (const c of [plain, tty]) {
          c.write('stdout', ...Array.from({ length: 150 }, (_, i) => `${c.info.name} r${round} l${i}`));
          if (!c.info.tty) c.write('stderr', `err r${round}`);
          // A line in three reads, the last one 1.2 s later: its parts are stamped in two seconds.
          c.writeParts(c.info.tty ? 'stdout' : 'stderr', [`long r${round} a `, 'b ', 'c'], round % 3 === 0 ? 600_000_000n : 0n);
        }
        const before = (statusOf(r.engine, plain.id)?.rotations ?? 0) + (statusOf(r.engine, tty.id)?.rotations ?? 0);
        await until('a rotation', () => (statusOf(r.engine, plain.id)?.rotations ?? 0) + (statusOf(r.engine, tty.id)?.rotations ?? 0) > before);
        if (round % 4 === 3) docker.advance(2n * SECOND);
      }
      for (const c of [plain, tty]) {
        await until(`every line of ${c.info.name}`, () => r.collector.of(c.id).length === docker.expected(c.id).length);
        assert.deepEqual(r.collector.of(c.id), docker.expected(c.id), `${c.info.name}: captured lines differ from the daemon's`);
      }
      const logCalls = docker.calls.filter((call) => call.startsWith('logs '));
      const sinceValues = logCalls.map((call) => /since=(\S*)/.exec(call)?.[1] ?? '').filter((since) => since !== '');
      assert.ok(sinceValues.length > 10, `streams were reopened by since (${sinceValues.length})`);
      for (const since of sinceValues) assert.match(since, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.999999999Z$/, 'whole seconds, sent as RFC 3339 minus 1 ns');
      assert.ok(logCalls.filter((call) => call.includes(tty.id)).every((call) => call.endsWith('libpod=4.3.1')), 'TTY logs through /libpod/');
      assert.ok(logCalls.filter((call) => call.includes(plain.id)).every((call) => !call.includes('libpod')), 'others through the compatible endpoint');
      assert.ok(logCalls.filter((call) => call.includes('follow=1')).every((call) => !/tail=\d/.test(call)), 'no tail windows on Podman');
      const status = r.engine.status();
      assert.deepEqual(status.daemon, { kind: 'podman', version: '4.3.1', api_version: '1.41', libpod_api_version: '4.3.1', stamp_resolution_ms: 1000 });
      assert.equal(status.silentContainers, 0);
    });
  });

  void it('the none log driver (500 "this container is not logging output") is unreadable, not retried; remove drops a container', async () => {
    const docker = new FakeDocker({ flavor: 'podman' });
    const mute = docker.add({ name: 'mute', logDriver: 'none' });
    const gone = docker.add({ name: 'gone' });
    gone.write('stdout', 'last words');
    await withRig(docker, {}, async (r) => {
      await until('unreadable', () => statusOf(r.engine, mute.id)?.state === 'unreadable');
      await until('read', () => r.collector.of(gone.id).length === 1);
      gone.remove();
      await until('dropped after `remove`', () => r.collector.gone.includes(gone.id) && statusOf(r.engine, gone.id) === undefined);
      const opens = docker.calls.filter((call) => call.startsWith(`logs ${mute.id}`)).length;
      mute.start();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(docker.calls.filter((call) => call.startsWith(`logs ${mute.id}`)).length, opens, 'never retried');
      assert.equal(await metricValue(r.registry, 'log_capturer_unreadable_containers_total'), 1);
      assert.equal(r.engine.captureHealth().ok, true, 'an unreadable log driver is reported as such, not as silence');
    });
  });
});

void describe('CaptureEngine: silent failure is a failure', () => {
  void it('a stream of undecodable bytes only makes the container silent (status, health, metrics) until it decodes lines again', async () => {
    const docker = new FakeDocker();
    const bad = docker.add({ name: 'bad' });
    const good = docker.add({ name: 'good' });
    good.write('stdout', 'fine');
    await withRig(docker, {}, async (r) => {
      await until('good read', () => r.collector.of(good.id).length === 1);
      await until('bad streaming', () => statusOf(r.engine, bad.id)?.state === 'streaming');
      assert.equal(r.engine.captureHealth().ok, true);
      // A frame whose stamp is no real time, and bytes that are no frame at all.
      const poison = Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, 27]), Buffer.from('2026-99-99T99:99:99Z oops\n')]);
      bad.writeRaw(poison);
      bad.writeRaw(Buffer.from('garbage that is not a frame'.repeat(20)));
      await until('silent', () => statusOf(r.engine, bad.id)?.silent !== undefined);
      const entry = statusOf(r.engine, bad.id);
      assert.equal(entry?.silent?.reason, 'undecodable');
      assert.ok((entry?.undecodableBytes ?? 0) > 0);
      const health = r.engine.captureHealth();
      assert.equal(health.ok, false);
      assert.deepEqual(health.silent.map((s) => [s.name, s.reason]), [['bad', 'undecodable']]);
      assert.equal(r.engine.status().silentContainers, 1);
      assert.equal(await metricValue(r.registry, 'log_capturer_silent_containers', { reason: 'undecodable' }), 1);
      await until('the container\'s own series', async () => (await metricValue(r.registry, 'log_capturer_container_silent', { container_name: 'bad', reason: 'undecodable' })) === 1);
      assert.equal(await metricValue(r.registry, 'log_capturer_container_silent', { container_name: 'good' }), 0);
      await until('undecodable bytes counted', async () => (await metricValue(r.registry, 'log_capturer_undecodable_bytes_total', { container_name: 'bad' })) > 0);
      assert.equal(await metricValue(r.registry, 'log_capturer_undecodable_bytes_total', { container_name: 'good' }), 0);
      // It stays silent across a reopening that reads the same bytes again...
      await r.engine.rotateNow();
      await until('reopened', () => statusOf(r.engine, bad.id)?.rotations === 1 && statusOf(r.engine, bad.id)?.state === 'streaming');
      await until('judged again', () => (statusOf(r.engine, bad.id)?.undecodableBytes ?? 0) > (entry?.undecodableBytes ?? 0));
      assert.equal(statusOf(r.engine, bad.id)?.silent?.since, entry?.silent?.since, 'since does not move while it lasts');
      // ...and delivers again once a stream decodes a line.
      bad.write('stdout', 'readable at last');
      await until('delivered', () => r.collector.of(bad.id).length === 1);
      assert.equal(statusOf(r.engine, bad.id)?.silent, undefined);
      assert.equal(r.engine.captureHealth().ok, true);
      assert.equal(await metricValue(r.registry, 'log_capturer_silent_containers'), 0);
      await until('the container\'s series removed', async () => (await metricSamples(r.registry, 'log_capturer_container_silent')).length === 0);
    });
  });

  void it('a follow stream that delivers nothing while the daemon shows newer lines is silent (not_delivered) after two probes', async () => {
    const docker = new FakeDocker();
    const deaf = docker.add({ name: 'deaf' });
    const quiet = docker.add({ name: 'quiet' });
    deaf.write('stdout', 'before');
    quiet.write('stdout', 'only line');
    await withRig(docker, {}, async (r) => {
      await until('first lines', () => r.collector.of(deaf.id).length === 1 && r.collector.of(quiet.id).length === 1);
      deaf.followDeaf = true;
      docker.advance(SECOND);
      deaf.write('stdout', 'never delivered by the follow stream');
      await until('not_delivered', () => statusOf(r.engine, deaf.id)?.silent?.reason === 'not_delivered');
      assert.match(statusOf(r.engine, deaf.id)?.silent?.detail ?? '', /after the position/);
      assert.equal(statusOf(r.engine, quiet.id)?.silent, undefined, 'a quiet container whose newest line was read is not silent');
      const probes = docker.calls.filter((call) => call.startsWith('logs ') && call.includes('follow=0') && call.includes('tail=1'));
      assert.ok(probes.some((call) => call.includes(quiet.id)), 'the quiet one was probed too');
      assert.deepEqual(r.engine.captureHealth().silent.map((s) => [s.name, s.reason]), [['deaf', 'not_delivered']]);
      assert.equal(await metricValue(r.registry, 'log_capturer_silent_containers', { reason: 'not_delivered' }), 1);
      await until('the container\'s own series', async () => (await metricValue(r.registry, 'log_capturer_container_silent', { container_name: 'deaf', reason: 'not_delivered' })) === 1);
      deaf.followDeaf = false;
      await r.engine.rotateNow(); // the reopened stream reads from the position: the line comes
      await until('delivered', () => r.collector.of(deaf.id).length === 2);
      await until('clear', () => statusOf(r.engine, deaf.id)?.silent === undefined);
      assert.deepEqual(r.collector.of(deaf.id), docker.expected(deaf.id));
      assert.equal(r.engine.captureHealth().ok, true);
      await until('the container\'s series removed', async () => (await metricSamples(r.registry, 'log_capturer_container_silent')).length === 0);
    }, 30);
  });

  void it('probes a quiet followed container ever more rarely', async () => {
    const docker = new FakeDocker();
    const idle = docker.add({ name: 'idle' });
    idle.write('stdout', 'hello');
    await withRig(docker, {}, async (r) => {
      await until('read', () => r.collector.of(idle.id).length === 1);
      const probeTimes: number[] = [];
      let seen = 0;
      const started = Date.now();
      while (probeTimes.length < 4) {
        const count = docker.calls.filter((call) => call.startsWith(`logs ${idle.id}`) && call.includes('tail=1')).length;
        if (count > seen) {
          seen = count;
          probeTimes.push(Date.now() - started);
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const gaps = probeTimes.slice(1).map((t, i) => t - (probeTimes[i] as number));
      assert.ok((gaps[2] as number) > (gaps[0] as number), `the gaps grow: ${gaps.join(', ')} ms`);
      assert.equal(statusOf(r.engine, idle.id)?.silent, undefined);
    }, 20);
  });
});
