// The capture engine's state machine against an in-memory Docker (test/support/fake-docker.ts):
// start, stop, restart, destroy, 404, 501, daemon hiccups, pause/resume, rotation, pool turns,
// renames, refused ids and the first listing. Every test compares what was captured with what
// the fake daemon holds, line for line, as the integration tests do against the real one.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { FakeDocker } from '../../test/support/fake-docker.js';
import type { FakeContainer } from '../../test/support/fake-docker.js';
import { metricValue } from '../../test/support/metric-values.js';
import type { CapturerConfig } from '../config/capturer-config.js';
import { DockerError } from '../docker/docker-error.js';
import { createMetricsRegistry } from '../telemetry/metrics-registry.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { createLogger, silentLogger } from '../utils/logger.js';
import { CaptureEngine } from './capture-engine.js';
import type { CapturedLine, LineConsumer } from './captured-line.js';
import type { Position } from './position.js';
import type { PositionSource } from './position-source.js';
import { MULTILINE_OFF } from './multiline-rule.js';

class Collector extends EventEmitter implements LineConsumer {
  readonly lines = new Map<string, CapturedLine[]>();
  readonly gone: string[] = [];
  /** While true, accept() says the buffer is full (it still takes the line). */
  full = false;
  offeredWhileFull = 0;

  accept(line: CapturedLine): boolean {
    if (this.full) this.offeredWhileFull += 1;
    const list = this.lines.get(line.container.id) ?? [];
    list.push(line);
    this.lines.set(line.container.id, list);
    return !this.full;
  }

  containerGone(id: string): void {
    this.gone.push(id);
  }

  drain(): void {
    this.full = false;
    this.emit('drain');
  }

  of(id: string): Array<{ timestamp: string; stream: string; message: string }> {
    return (this.lines.get(id) ?? []).map((l) => ({ timestamp: l.line.timestamp, stream: l.line.stream, message: l.line.message.toString() }));
  }

  names(id: string): string[] {
    return (this.lines.get(id) ?? []).map((l) => l.container.name);
  }
}

class Positions implements PositionSource {
  retained: ReadonlySet<string> | undefined;
  constructor(readonly saved = new Map<string, Position>(), readonly firstRun = true) {}
  get(id: string): Position | undefined {
    return this.saved.get(id);
  }
  retainOnly(ids: ReadonlySet<string>): void {
    this.retained = ids;
  }
}

function config(capture: Partial<CapturerConfig['capture']> = {}): CapturerConfig {
  return {
    docker: { host: 'unix:///fake', requestTimeoutMs: 1000 },
    capture: { maxStreams: 10, rotationIntervalMs: 60_000, pollIntervalMs: 20, initialPosition: 'beginning', maxLineBytes: 1 << 20, hostName: 'h', multiline: MULTILINE_OFF, eventIds: true, ...capture },
    filters: { includeNames: [], excludeNames: [], includeImages: [], excludeImages: [], includeLabels: [], excludeLabels: ['skip'], optOutLabel: 'log-capturer.enable' },
    sink: {
      type: 'stdout', compression: 'none', batch: { maxEvents: 1000, maxBytes: 1 << 20, lingerMs: 1000 }, maxInFlight: 1,
      requestTimeoutMs: 1000, retry: { initialBackoffMs: 10, maxBackoffMs: 100, configErrorBackoffMs: 100 }, headers: {},
    },
    buffer: { maxBytes: 1 << 20, resumeBytes: 1 << 19 },
    checkpoint: { stateDir: '/nonexistent', flushIntervalMs: 1000, deadLetterMaxBytes: 64 * 1024 * 1024 },
    server: { enabled: false, host: '127.0.0.1', port: 0, maxConnections: 128 },
    shutdown: { gracePeriodMs: 1000 },
    log: { level: 'silent' },
  };
}

interface Rig {
  docker: FakeDocker;
  engine: CaptureEngine;
  collector: Collector;
  positions: Positions;
  registry: MetricsRegistry;
  close(): Promise<void>;
}

async function rig(capture: Partial<CapturerConfig['capture']> = {}, setup: (docker: FakeDocker) => void = () => {}, positions = new Positions(), docker = new FakeDocker()): Promise<Rig> {
  setup(docker);
  const collector = new Collector();
  const registry = createMetricsRegistry({ defaultMetrics: false });
  const engine = new CaptureEngine({
    config: config(capture), docker, consumer: collector, positions, registry, logger: silentLogger(),
    selfContainerId: null, backoff: { initialMs: 5, maxMs: 40 },
  });
  await engine.start();
  return { docker, engine, collector, positions, registry, close: () => engine.close() };
}

/**
 * Waits for a condition on in-memory state. Nothing here depends on a busy machine's speed: the
 * cap is only there to end a run that is truly stuck.
 */
async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const cap = Date.now() + 120_000;
  while (!(await condition())) {
    if (Date.now() > cap) assert.fail(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function stateOf(engine: CaptureEngine, id: string): string | undefined {
  return engine.status().containers.find((c) => c.id === id)?.state;
}

function assertExact(r: Rig, c: FakeContainer): void {
  assert.deepEqual(r.collector.of(c.id), r.docker.expected(c.id), `${c.info.name}: captured lines differ from the daemon's`);
}

void describe('CaptureEngine (fake Docker)', () => {
  void it('reads every selected container from the beginning, exactly, and closes every stream on close()', async () => {
    let a!: FakeContainer;
    let b!: FakeContainer;
    const r = await rig({}, (docker) => {
      a = docker.add({ name: 'a' });
      b = docker.add({ name: 'b' });
      docker.add({ name: 'not-me', labels: { skip: '1' } });
      a.write('stdout', 'a1', 'a2');
      b.write('stderr', 'b1');
    });
    try {
      await until('both streaming', () => stateOf(r.engine, a.id) === 'streaming' && stateOf(r.engine, b.id) === 'streaming');
      a.write('stdout', 'a3');
      b.write('stdout', 'b2');
      await until('all lines', () => r.collector.of(a.id).length === 3 && r.collector.of(b.id).length === 2);
      assertExact(r, a);
      assertExact(r, b);
      assert.equal(r.engine.status().containers.length, 2, 'the excluded container is not tracked');
      assert.equal(await metricValue(r.registry, 'log_capturer_containers_watched'), 2);
      assert.equal(await metricValue(r.registry, 'log_capturer_container_streams_active'), 2);
    } finally {
      await r.close();
    }
    assert.equal(r.docker.openFollowers, 0, 'no follow stream outlives close()');
    assert.equal(await metricValue(r.registry, 'log_capturer_container_streams_active'), 0);
  });

  void it('a stopped container is read to its end, marked stopped, and a restart reads only the new lines', async () => {
    let c!: FakeContainer;
    const r = await rig({}, (docker) => {
      c = docker.add({ name: 'job' });
      c.write('stdout', 'one', 'two');
    });
    try {
      await until('streaming', () => stateOf(r.engine, c.id) === 'streaming');
      c.write('stdout', 'three');
      c.stop();
      await until('stopped', () => stateOf(r.engine, c.id) === 'stopped');
      assertExact(r, c);
      assert.equal(await metricValue(r.registry, 'log_capturer_containers_watched'), 0, 'a stopped container is not watched');
      const opensBefore = r.docker.calls.filter((call) => call.startsWith('logs')).length;
      c.start();
      c.write('stderr', 'four');
      await until('the line after the restart', () => r.collector.of(c.id).length === 4);
      assertExact(r, c);
      assert.ok(r.docker.calls.filter((call) => call.startsWith('logs')).length > opensBefore, 'a new stream was opened');
      const last = r.docker.calls.filter((call) => call.startsWith(`logs ${c.id}`)).at(-1) ?? '';
      assert.doesNotMatch(last, /since=0? /, 'the restart reopened at a position, not from the beginning');
    } finally {
      await r.close();
    }
  });

  void it('a destroyed container hands on its last line, then is dropped and reported gone', async () => {
    let c!: FakeContainer;
    const r = await rig({}, (docker) => {
      c = docker.add({ name: 'short' });
    });
    try {
      await until('streaming', () => stateOf(r.engine, c.id) === 'streaming');
      c.write('stdout', 'last words');
      await until('the line', () => r.collector.of(c.id).length === 1);
      c.remove();
      await until('gone', () => r.collector.gone.includes(c.id));
      assert.equal(stateOf(r.engine, c.id), undefined);
      assert.equal(await metricValue(r.registry, 'log_capturer_containers_watched'), 0);
      assertExact(r, c);
    } finally {
      await r.close();
    }
  });

  void it('a container that answers 404 when its stream opens is dropped', async () => {
    let c!: FakeContainer;
    const r = await rig({}, (docker) => {
      c = docker.add({ name: 'vanishing' });
      docker.failures.openLogs.push(new DockerError('DOCKER_HTTP_STATUS', 'HTTP 404: No such container', { statusCode: 404 }));
    });
    try {
      await until('gone', () => r.collector.gone.includes(c.id));
      assert.equal(stateOf(r.engine, c.id), undefined);
    } finally {
      await r.close();
    }
  });

  void it('an unreadable log driver (501) is reported once and never retried, not even on a start event', async () => {
    let c!: FakeContainer;
    const r = await rig({}, (docker) => {
      c = docker.add({ name: 'silent', logDriver: 'none' });
    });
    try {
      await until('unreadable', () => stateOf(r.engine, c.id) === 'unreadable');
      const opens = r.docker.calls.filter((call) => call.startsWith(`logs ${c.id}`)).length;
      c.stop();
      c.start();
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(r.docker.calls.filter((call) => call.startsWith(`logs ${c.id}`)).length, opens);
      assert.equal(await metricValue(r.registry, 'log_capturer_unreadable_containers_total'), 1);
      assert.match(r.engine.status().containers[0]?.lastError ?? '', /501/);
    } finally {
      await r.close();
    }
  });

  void it('a daemon hiccup (stream dropped, open refused) backs off and resumes at the exact position', async () => {
    let c!: FakeContainer;
    const r = await rig({}, (docker) => {
      c = docker.add({ name: 'steady' });
      c.write('stdout', 'before');
    });
    try {
      await until('the first line', () => r.collector.of(c.id).length === 1);
      r.docker.failures.openLogs.push(new DockerError('DOCKER_UNREACHABLE', 'cannot reach the Docker daemon'), new DockerError('DOCKER_TIMEOUT', 'no answer'));
      c.dropStreams();
      c.write('stdout', 'during 1', 'during 2');
      await until('all lines after the hiccup', () => r.collector.of(c.id).length === 3);
      c.write('stderr', 'after');
      await until('the line after', () => r.collector.of(c.id).length === 4);
      assertExact(r, c);
      assert.equal(stateOf(r.engine, c.id), 'streaming');
      assert.match(r.engine.status().containers[0]?.lastError ?? '', /no answer|cannot reach|reset/);
    } finally {
      await r.close();
    }
  });

  void it('backpressure: a false from accept() pauses every stream until drain, and nothing is lost', async () => {
    let a!: FakeContainer;
    let b!: FakeContainer;
    const r = await rig({}, (docker) => {
      a = docker.add({ name: 'a' });
      b = docker.add({ name: 'b' });
    });
    try {
      await until('streaming', () => stateOf(r.engine, a.id) === 'streaming' && stateOf(r.engine, b.id) === 'streaming');
      r.collector.full = true;
      a.write('stdout', 'fills the buffer');
      await until('paused', () => r.engine.status().paused);
      assert.equal(await metricValue(r.registry, 'log_capturer_streams_paused'), 1);
      await until('both paused', () => stateOf(r.engine, a.id) === 'paused' && stateOf(r.engine, b.id) === 'paused');
      const seen = r.collector.of(a.id).length + r.collector.of(b.id).length;
      a.write('stdout', 'while paused a');
      b.write('stdout', 'while paused b');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(r.collector.of(a.id).length + r.collector.of(b.id).length, seen, 'nothing is read while paused');
      r.collector.drain();
      await until('resumed and read', () => r.collector.of(a.id).length === 2 && r.collector.of(b.id).length === 1);
      assert.equal(r.engine.status().paused, false);
      assert.equal(await metricValue(r.registry, 'log_capturer_streams_paused'), 0);
      assertExact(r, a);
      assertExact(r, b);
    } finally {
      await r.close();
    }
  });

  void it('rotation reopens each stream at its position, with many lines sharing a millisecond', async () => {
    let c!: FakeContainer;
    const r = await rig({ rotationIntervalMs: 20 }, (docker) => {
      c = docker.add({ name: 'chatty' });
    });
    try {
      for (let round = 0; round < 20; round += 1) {
        c.write(round % 2 === 0 ? 'stdout' : 'stderr', ...Array.from({ length: 50 }, (_, i) => `r${round} l${i}`));
        const rotations = r.engine.status().containers[0]?.rotations ?? 0;
        await until('a rotation', () => (r.engine.status().containers[0]?.rotations ?? 0) > rotations);
      }
      await until('every line', () => r.collector.of(c.id).length === 1000);
      assertExact(r, c);
      assert.ok((await metricValue(r.registry, 'log_capturer_container_stream_rotations_total')) >= 20);
    } finally {
      await r.close();
    }
  });

  void it('pool turns: with one slot, three writing containers take turns and all are read exactly', async () => {
    const containers: FakeContainer[] = [];
    const r = await rig({ maxStreams: 1, rotationIntervalMs: 20 }, (docker) => {
      for (const name of ['x', 'y', 'z']) containers.push(docker.add({ name }));
    });
    try {
      let maxOpen = 0;
      for (let round = 0; round < 10; round += 1) {
        for (const c of containers) c.write('stdout', `${c.info.name} ${round}`);
        maxOpen = Math.max(maxOpen, r.docker.openFollowers);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await until('all lines', () => containers.every((c) => r.collector.of(c.id).length === 10));
      for (const c of containers) assertExact(r, c);
      assert.ok(maxOpen <= 1, `at most one stream open, saw ${maxOpen}`);
      const pool = r.engine.status().pool;
      assert.equal(pool.capacity, 1);
      assert.ok(pool.inUse <= 1);
    } finally {
      await r.close();
    }
  });

  void it('a rename applies to the lines read after it', async () => {
    let c!: FakeContainer;
    const r = await rig({}, (docker) => {
      c = docker.add({ name: 'old' });
    });
    try {
      await until('streaming', () => stateOf(r.engine, c.id) === 'streaming');
      c.write('stdout', 'before');
      await until('line 1', () => r.collector.of(c.id).length === 1);
      r.docker.rename(c.id, 'new');
      await until('renamed', () => r.engine.status().containers[0]?.name === 'new');
      c.write('stdout', 'after');
      await until('line 2', () => r.collector.of(c.id).length === 2);
      assert.deepEqual(r.collector.names(c.id), ['old', 'new']);
    } finally {
      await r.close();
    }
  });

  void it('refuses malformed ids from listings and events, and prunes positions by the first listing', async () => {
    let c!: FakeContainer;
    const positions = new Positions(new Map([['f'.repeat(64), { sinceMs: 1, skip: 0 }]]));
    const r = await rig({}, (docker) => {
      c = docker.add({ name: 'real' });
      docker.extraListedIds.push('..', '../json');
    }, positions);
    try {
      await until('streaming', () => stateOf(r.engine, c.id) === 'streaming');
      r.docker.event('start', '../../x');
      await until('the event refused', async () => (await metricValue(r.registry, 'log_capturer_refused_container_ids_total', { source: 'events' })) === 1);
      assert.ok((await metricValue(r.registry, 'log_capturer_refused_container_ids_total', { source: 'listing' })) >= 2);
      assert.equal(r.engine.status().containers.length, 1);
      for (const call of r.docker.calls) assert.doesNotMatch(call, /\.\./, 'a malformed id reached a request');
      assert.deepEqual([...(positions.retained ?? [])], [c.id], 'the first listing names only real containers');
    } finally {
      await r.close();
    }
  });

  void it('says once, with what to do, that no daemon answers; and again only after it came back and went', async () => {
    const docker = new FakeDocker();
    const unreachable = (): DockerError => new DockerError('DOCKER_UNREACHABLE', 'connect ENOENT /var/run/docker.sock');
    for (let i = 0; i < 6; i += 1) {
      docker.failures.list.push(unreachable());
      docker.failures.events.push(unreachable());
    }
    const lines: Array<Record<string, unknown>> = [];
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
        done();
      },
    });
    const engine = new CaptureEngine({
      config: config(), docker, consumer: new Collector(), positions: new Positions(), registry: createMetricsRegistry({ defaultMetrics: false }),
      logger: createLogger('info', out), selfContainerId: null, backoff: { initialMs: 1, maxMs: 5 },
    });
    await engine.start();
    try {
      await until('connected after the outage', () => engine.dockerHealth().ok);
      const hints = lines.filter((l) => /no Docker daemon answers at fake:\/\/docker/.test(String(l.msg)));
      assert.equal(hints.length, 1, 'one hint for the whole outage');
      assert.match(String(hints[0]?.msg), /DOCKER_HOST/);
      assert.match(String(hints[0]?.msg), /--docker-host/);
      assert.match(String(hints[0]?.msg), /docker-daemon\.sh start/);
    } finally {
      await engine.close();
    }
  });

  void it('initial_position end skips what containers wrote before the first start', async () => {
    let c!: FakeContainer;
    const r = await rig({ initialPosition: 'end' }, (docker) => {
      c = docker.add({ name: 'history' });
      c.write('stdout', 'old 1', 'old 2');
      docker.advance(5_000_000_000n); // the history is well before the capturer's start
    });
    try {
      await until('streaming', () => stateOf(r.engine, c.id) === 'streaming');
      // The fake clock starts in the past; move it past the real start time of the engine.
      r.docker.advance(BigInt(Date.now()) * 1_000_000n - r.docker.tick() + 1_000_000_000n);
      c.write('stdout', 'new');
      await until('the new line', () => r.collector.of(c.id).length === 1);
      assert.deepEqual(r.collector.of(c.id).map((l) => l.message), ['new']);
    } finally {
      await r.close();
    }
  });

  void describe('reopening costs what is new', () => {
    const logCalls = (r: Rig, id: string): string[] => r.docker.calls.filter((call) => call.startsWith(`logs ${id}`));
    const tailOf = (call: string): number => Number(/tail=(\d+)/.exec(call)?.[1] ?? NaN);

    void it('an idle container with a long log is reopened with a small tail window, never by since', async () => {
      let c!: FakeContainer;
      // One line a millisecond: the late-write window holds few lines and the log is long.
      const r = await rig({ rotationIntervalMs: 20 }, (docker) => {
        c = docker.add({ name: 'long-log' });
        c.write('stdout', ...Array.from({ length: 20_000 }, (_, i) => `history ${i}`));
      }, new Positions(), new FakeDocker({ stepNs: 1_000_000n }));
      try {
        await until('the history', () => r.collector.of(c.id).length === 20_000);
        await until('ten rotations', () => (r.engine.status().containers[0]?.rotations ?? 0) >= 10);
        c.write('stderr', 'new after idle');
        await until('the new line', () => r.collector.of(c.id).length === 20_001);
        assertExact(r, c);
        const reopens = logCalls(r, c.id).slice(1);
        assert.ok(reopens.length >= 10);
        for (const call of reopens) {
          assert.doesNotMatch(call, /since=\d/, `a reopen asked the daemon to scan the whole log: ${call}`);
          assert.ok(tailOf(call) <= 2 * 260 + 64, `a reopen asked for a large window: ${call}`);
        }
        assert.equal(await metricValue(r.registry, 'log_capturer_tail_window_fallbacks_total'), 0);
      } finally {
        await r.close();
      }
    });

    void it('a window too short on the first try is widened, and nothing is lost or repeated', async () => {
      const docker = new FakeDocker({ stepNs: 1_000_000n });
      const c = docker.add({ name: 'busy-while-away' });
      c.write('stdout', ...Array.from({ length: 1000 }, (_, i) => `before ${i}`));
      // A checkpoint taken after the last of them: since 250 ms back (251 lines, one a millisecond).
      const newest = Date.parse(docker.expected(c.id).at(-1)?.timestamp ?? '');
      const positions = new Positions(new Map([[c.id, { sinceMs: newest - 250, skip: 251 }]]), false);
      c.write('stdout', ...Array.from({ length: 5_000 }, (_, i) => `while away ${i}`));
      const r = await rig({}, () => {}, positions, docker);
      try {
        await until('the lines written while away', () => r.collector.of(c.id).length === 5_000);
        assert.deepEqual(r.collector.of(c.id), docker.expected(c.id).slice(1000));
        assert.ok((await metricValue(r.registry, 'log_capturer_tail_window_widened_total')) >= 1, 'the first window was widened');
        const first = logCalls(r, c.id)[0] ?? '';
        assert.match(first, /tail=\d+/, 'the first open from a checkpoint used a tail window');
      } finally {
        await r.close();
      }
    });

    void it('many lines sharing the boundary millisecond are neither lost nor repeated across tail reopens', async () => {
      let c!: FakeContainer;
      const r = await rig({ rotationIntervalMs: 15 }, (docker) => {
        c = docker.add({ name: 'same-ms' });
      }, new Positions(), new FakeDocker({ stepNs: 0n }));
      try {
        for (let round = 0; round < 15; round += 1) {
          c.write(round % 3 === 0 ? 'stderr' : 'stdout', ...Array.from({ length: 40 }, (_, i) => `r${round} ${i}`));
          r.docker.advance(round % 4 === 0 ? 300_000_000n : 1_000_000n);
          const rotations = r.engine.status().containers[0]?.rotations ?? 0;
          await until('a rotation', () => (r.engine.status().containers[0]?.rotations ?? 0) > rotations);
        }
        await until('every line', () => r.collector.of(c.id).length === 600);
        assertExact(r, c);
      } finally {
        await r.close();
      }
    });

    void it('a 30,000-line burst under a rotation far shorter than its reading is read completely: every turn makes progress', async () => {
      let c!: FakeContainer;
      const r = await rig({ rotationIntervalMs: 1 }, (docker) => {
        c = docker.add({ name: 'burst' });
      }, new Positions(), new FakeDocker({ stepNs: 5_000n }));
      try {
        await until('streaming', () => stateOf(r.engine, c.id) === 'streaming');
        c.write('stdout', ...Array.from({ length: 30_000 }, (_, i) => String(i + 1)));
        await until('all 30,000 lines', () => r.collector.of(c.id).length >= 30_000);
        assertExact(r, c);
      } finally {
        await r.close();
      }
    });
  });

  void describe('more containers than stream slots', () => {
    void it('containers beyond the pool are polled: their lines arrive, and open streams never exceed the pool', async () => {
      const containers: FakeContainer[] = [];
      const r = await rig({ maxStreams: 3, rotationIntervalMs: 60_000 }, (docker) => {
        for (let i = 0; i < 12; i += 1) containers.push(docker.add({ name: `n${i}` }));
      });
      let maxOpen = 0;
      const watch = setInterval(() => { maxOpen = Math.max(maxOpen, r.docker.openFollowers + r.engine.status().pool.polling); }, 1);
      try {
        await until('the pool is shared', () => r.engine.status().pool.shared);
        // Two writers; the rest quiet, then each writes once.
        for (let round = 0; round < 20; round += 1) {
          containers[0]?.write('stdout', `w0 ${round}`);
          containers[1]?.write('stdout', `w1 ${round}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        for (const c of containers.slice(2)) c.write('stderr', `${c.info.name} once`);
        await until('every line of every container', () => containers.every((c) => r.collector.of(c.id).length === r.docker.expected(c.id).length));
        for (const c of containers) assertExact(r, c);
        assert.ok(r.docker.calls.some((call) => / follow=0 /.test(call)), 'some containers were read by polls');
        assert.ok(maxOpen <= 3, `at most 3 streams open at once, saw ${maxOpen}`);
        assert.ok((await metricValue(r.registry, 'log_capturer_stream_opens_total', { kind: 'poll' })) > 0);
      } finally {
        clearInterval(watch);
        await r.close();
      }
    });

    void it('with one slot every container is polled in turn', async () => {
      const containers: FakeContainer[] = [];
      const r = await rig({ maxStreams: 1 }, (docker) => {
        for (let i = 0; i < 4; i += 1) containers.push(docker.add({ name: `one${i}` }));
      });
      try {
        for (let round = 0; round < 5; round += 1) {
          for (const c of containers) c.write('stdout', `${c.info.name} ${round}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await until('all lines', () => containers.every((c) => r.collector.of(c.id).length === 5));
        for (const c of containers) assertExact(r, c);
        assert.equal(r.docker.openFollowers, 0, 'a single slot shared by four is used for polls');
      } finally {
        await r.close();
      }
    });

    void it('quiet containers beyond the pool are polled at most once a poll interval, less often the longer they are quiet', async () => {
      const containers: FakeContainer[] = [];
      const r = await rig({ maxStreams: 1 }, (docker) => {
        for (let i = 0; i < 4; i += 1) containers.push(docker.add({ name: `quiet${i}` }));
      });
      try {
        await until('the pool is shared', () => r.engine.status().pool.shared);
        const polls = (): number => r.docker.calls.filter((call) => / follow=0 /.test(call)).length;
        const before = polls();
        const startedAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 600));
        const intervals = (Date.now() - startedAt) / 20; // poll_interval is 20 ms here
        const made = polls() - before;
        assert.ok(made <= containers.length * intervals, `${made} polls of ${containers.length} quiet containers in ${intervals.toFixed(0)} poll intervals`);
        assert.ok(made < (containers.length * intervals) / 2, `quiet containers are polled less often: ${made} polls`);
      } finally {
        await r.close();
      }
    });

    void it('a polled container that stops is read to its end and marked stopped', async () => {
      const containers: FakeContainer[] = [];
      const r = await rig({ maxStreams: 1 }, (docker) => {
        for (let i = 0; i < 3; i += 1) containers.push(docker.add({ name: `s${i}` }));
      });
      try {
        const last = containers[2] as FakeContainer;
        last.write('stdout', 'bye');
        last.stop();
        await until('stopped', () => stateOf(r.engine, last.id) === 'stopped');
        assertExact(r, last);
      } finally {
        await r.close();
      }
    });
  });
});
