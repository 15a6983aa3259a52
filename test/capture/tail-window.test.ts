// Reopens that cost what is new (issue 10), against the real daemon: streams are reopened with a
// tail window proven to reach back to the position, widened when it does not, and every line
// still arrives once, in order — across the daemon's own log rotation (json-file and the local
// driver's compressed files), a restart between turns, shared timestamps, a too-short first
// window, and a burst far longer than a rotation interval.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { Position } from '../../src/capture/position.js';
import type { ApiStream, LogQuery } from '../../src/docker/docker-api.js';
import { DockerReader } from '../../src/docker/docker-reader.js';
import { daemonLines, removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { metricValue } from '../support/metric-values.js';
import { waitFor } from '../support/wait-for.js';
import { MemoryPositions, RUN_LABEL, assertMatchesDaemon, captureConfig, startEngine, waitUntilDrained } from './capture-harness.js';
import type { EngineUnderTest } from './capture-harness.js';

/** Remembers every log query it is asked. */
class QueryRecordingReader extends DockerReader {
  readonly queries: Array<{ id: string; query: LogQuery }> = [];

  override openLogs(id: string, query: LogQuery): Promise<ApiStream> {
    this.queries.push({ id, query: { ...query } });
    return super.openLogs(id, query);
  }
}

/** The numbers a `seq`-style container wrote, in the order they were captured. */
function numbers(lines: Array<{ message: Buffer }>): number[] {
  return lines.map((l) => Number(/(\d+)/.exec(l.message.toString())?.[1] ?? NaN));
}

void describe('reopening with tail windows (real daemon)', () => {
  void it('reads a 30,000-line burst completely under 100 ms rotation (every turn makes progress)', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('burst30k');
    const under = await startEngine(captureConfig(run, { rotationIntervalMs: 100 }));
    let container: Docker.Container | undefined;
    try {
      container = await runContainer(docker, { labels: { [RUN_LABEL]: run }, script: 'seq 1 30000; sleep 1' });
      await waitForExit(container);
      await waitUntilDrained(under.engine, [container.id]);
      assert.equal(await assertMatchesDaemon(docker, under.consumer, container.id), 30_000);
      const rotations = under.engine.status().containers[0]?.rotations ?? 0;
      t.diagnostic(`30,000 lines, ${rotations} rotations`);
    } finally {
      await under.close();
      if (container) await removeQuietly(container);
    }
  });

  void it('reopens an idle container with a long log by small tail windows, never by a since scan', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('idle-long');
    let first: EngineUnderTest | undefined;
    let second: EngineUnderTest | undefined;
    let container: Docker.Container | undefined;
    try {
      // Written over a few seconds, as a long log is (a burst written within one late-write window
      // can only be reopened by reading all of it again: no line lies before the window), and
      // ending with ten lines a tenth of a second apart, as a container that has gone quiet does.
      container = await runContainer(docker, { labels: { [RUN_LABEL]: run }, script: 'i=0; while [ $i -lt 50 ]; do seq $((i*1000+1)) $((i*1000+1000)); sleep 0.05; i=$((i+1)); done; j=1; while [ $j -le 10 ]; do echo $((50000+j)); sleep 0.1; j=$((j+1)); done; while true; do sleep 1; done' });
      const id = container.id;
      const writer = container;
      await waitFor('the daemon to hold every line', { watch: async () => (await writer.logs({ stdout: true, tail: 1 })).subarray(8).toString('utf8'), until: (last) => last === '50010\n' });
      // The history is read by a capturer whose turns are long: a turn that ends in the middle of
      // a backlog leaves a position that only a window of most of this (50,000-line) log proves,
      // and a log that fits in a window is rightly read by `since` (TailWindowPlanner: small_log).
      first = await startEngine(captureConfig(run));
      const reading = first;
      await waitFor('the history', { watch: () => reading.consumer.of(id).length, until: (n) => n === 50_010 });
      assert.equal(numbers(reading.consumer.of(id)).every((n, i) => n === i + 1), true);
      const position = reading.consumer.last?.position ?? { sinceMs: 0, skip: 0 };
      await first.close();
      // Then the capturer restarts at that position with a 150 ms turn: every reopen of the idle
      // log must be a small window, never a scan of the whole log.
      const config = captureConfig(run, { rotationIntervalMs: 150 });
      const reader = new QueryRecordingReader(config.docker);
      second = await startEngine(config, { positions: new MemoryPositions(new Map([[id, position]]), false) }, reader);
      const idle = second;
      await waitFor('ten rotations', {
        watch: () => ({ rotations: idle.engine.status().containers[0]?.rotations ?? 0, queries: reader.queries.length }),
        until: (o) => o.rotations >= 10 && o.queries >= 10,
      });
      const reopens = reader.queries.filter((q) => q.id === id);
      for (const { query } of reopens) {
        assert.equal(query.since, undefined, `a reopen asked the daemon to scan the whole log: ${JSON.stringify(query)}`);
        // Bounded by the lines of the last late-write window (a few here), not by the log.
        assert.ok(query.tail !== undefined && query.tail <= 12_500, `a reopen asked for a large window: ${JSON.stringify(query)}`);
      }
      t.diagnostic(`reopen windows: ${[...new Set(reopens.map((q) => q.query.tail))].join(', ')} entries`);
      assert.equal(idle.consumer.of(id).length, 0, 'nothing read twice');
    } finally {
      await first?.close();
      await second?.close();
      if (container) await removeQuietly(container);
    }
  });

  void it('widens a window that is too short on the first try (a restart after much was written), losing and repeating nothing', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('widen');
    const first = await startEngine(captureConfig(run));
    let container: Docker.Container | undefined;
    let second: Awaited<ReturnType<typeof startEngine>> | undefined;
    try {
      container = await runContainer(docker, { labels: { [RUN_LABEL]: run }, script: 'seq 1 2000; sleep 2; touch /tmp/go; while [ ! -f /tmp/more ]; do sleep 0.1; done; seq 2001 40000; sleep 3600' });
      const id = container.id;
      await waitFor('the first 2,000 lines', { watch: () => first.consumer.of(id).length, until: (n) => n === 2000 });
      const position: Position = first.consumer.last?.position ?? { sinceMs: 0, skip: 0 };
      await first.close();
      // While nobody reads, the container writes 38,000 more lines.
      const exec = await container.exec({ Cmd: ['touch', '/tmp/more'] });
      await exec.start({});
      // Its last line only: reading 40,000 lines on every poll would load the daemon it waits for.
      const writer = container;
      await waitFor('the daemon to hold every line', { watch: async () => (await writer.logs({ stdout: true, tail: 1 })).subarray(8).toString('utf8'), until: (last) => last === '40000\n' });
      const config = captureConfig(run);
      const reader = new QueryRecordingReader(config.docker);
      second = await startEngine(config, { positions: new MemoryPositions(new Map([[id, position]]), false) }, reader);
      await waitFor('the 38,000 new lines', { watch: () => second?.consumer.of(id).length ?? 0, until: (n) => n >= 38_000 });
      const seen = [...numbers(first.consumer.of(id)), ...numbers(second.consumer.of(id))];
      assert.deepEqual(seen, Array.from({ length: 40_000 }, (_, i) => i + 1), 'every line once, in order, across the restart');
      const opens = reader.queries.filter((q) => q.id === id);
      assert.ok(opens[0]?.query.tail !== undefined, 'the first open from the checkpoint used a tail window');
      assert.ok((await metricValue(second.metrics, 'log_capturer_tail_window_widened_total')) >= 1, 'the first window was widened');
      t.diagnostic(`windows asked: ${opens.map((q) => q.query.tail ?? `since ${q.query.since ?? '-'}`).join(', ')}`);
    } finally {
      await first.close();
      await second?.close();
      if (container) await removeQuietly(container);
    }
  });

  void it('keeps many lines sharing a millisecond exact across tail reopens', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('same-ms');
    const under = await startEngine(captureConfig(run, { rotationIntervalMs: 100 }));
    let container: Docker.Container | undefined;
    try {
      container = await runContainer(docker, {
        labels: { [RUN_LABEL]: run },
        script: 'seq 1 3000 > /tmp/x; i=0; while [ $i -lt 15 ]; do cat /tmp/x & cat /tmp/x >&2 & wait; sleep 0.3; i=$((i+1)); done',
      });
      await waitForExit(container);
      await waitUntilDrained(under.engine, [container.id]);
      assert.equal(await assertMatchesDaemon(docker, under.consumer, container.id), 90_000);
    } finally {
      await under.close();
      if (container) await removeQuietly(container);
    }
  });

  for (const driver of [
    { name: 'json-file', logDriver: 'json-file', logOptions: { 'max-size': '200k', 'max-file': '4' } as Record<string, string> },
    { name: 'local (compressed rotated files)', logDriver: 'local', logOptions: { 'max-size': '200k', 'max-file': '4', compress: 'true' } },
  ]) {
    void it(`follows the daemon's own log rotation (${driver.name}) without loss or repeat`, async (t) => {
      const docker = await requireDocker(t);
      if (!docker) return;
      const run = uniqueName('logrot');
      const under = await startEngine(captureConfig(run, { rotationIntervalMs: 100 }));
      let container: Docker.Container | undefined;
      try {
        // ~2.4 MB in 60-byte lines: about a dozen rotations of 200 KB files, paced so the daemon
        // keeps several of them (a reader that falls behind its rotation loses what it deletes).
        container = await runContainer(docker, {
          labels: { [RUN_LABEL]: run },
          logDriver: driver.logDriver,
          logOptions: driver.logOptions,
          script: 'i=0; while [ $i -lt 40 ]; do seq $((i*1000+1)) $((i*1000+1000)) | sed "s/$/ padding-padding-padding-padding-padding-padding/"; sleep 0.1; i=$((i+1)); done',
        });
        const id = container.id;
        await waitForExit(container);
        await waitUntilDrained(under.engine, [id]);
        const captured = numbers(under.consumer.of(id));
        const kept = numbers(await daemonLines(docker, id));
        assert.ok(kept.length < 40_000, `the daemon rotated its files away (it keeps ${kept.length} lines)`);
        // Nothing repeated, nothing out of order; every line the daemon still has was captured
        // in its place; a gap is allowed only among lines the daemon deleted before we read them.
        for (let i = 1; i < captured.length; i += 1) assert.ok((captured[i] ?? 0) > (captured[i - 1] ?? 0), `out of order or repeated at ${i}: ${captured[i - 1]} then ${captured[i]}`);
        const firstKept = kept[0] ?? Infinity;
        assert.deepEqual(captured.filter((n) => n >= firstKept), kept, 'the lines the daemon still holds, exactly');
        const missing = 40_000 - captured.length;
        t.diagnostic(`${driver.name}: captured ${captured.length}, daemon keeps ${kept.length}, lost to the daemon's own rotation ${missing}`);
        assert.equal(captured.at(-1), 40_000);
      } finally {
        await under.close();
        if (container) await removeQuietly(container);
      }
    });
  }

  void it('a container restarted between turns is reopened at its position by tail window', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('restart-turn');
    const config = captureConfig(run, { rotationIntervalMs: 100 });
    const reader = new QueryRecordingReader(config.docker);
    const under = await startEngine(config, {}, reader);
    let container: Docker.Container | undefined;
    try {
      container = await runContainer(docker, { labels: { [RUN_LABEL]: run }, script: 'i=0; while [ $i -lt 20 ]; do seq $((i*1000+1)) $((i*1000+1000)); sleep 0.05; i=$((i+1)); done; echo run-$(date +%s%N)' });
      const id = container.id;
      await waitForExit(container);
      await waitUntilDrained(under.engine, [id]);
      const opensBefore = reader.queries.length;
      await container.start();
      await waitForExit(container);
      await waitFor('the second run', { watch: () => under.consumer.of(id).length, until: (n) => n === 40_002 });
      await waitUntilDrained(under.engine, [id]);
      assert.equal(await assertMatchesDaemon(docker, under.consumer, id), 40_002);
      const reopens = reader.queries.slice(opensBefore).filter((q) => q.id === id);
      assert.ok(reopens.some((q) => q.query.tail !== undefined), 'the restart was read through a tail window');
    } finally {
      await under.close();
      if (container) await removeQuietly(container);
    }
  });
});
