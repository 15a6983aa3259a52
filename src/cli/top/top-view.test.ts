import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixtureText, scenarioSamples } from '../../../test/cli/top/top-fixtures.js';
import type { Sample } from './capturer-client.js';
import { readMetrics } from './metrics-snapshot.js';
import { readStatus } from './status-snapshot.js';
import type { ContainerSnapshot } from './status-snapshot.js';
import { TopSession, lagOf, sortRows } from './top-view.js';
import type { ContainerRow } from './top-view.js';

const T0 = Date.parse('2026-11-29T01:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '000000Z');

function containerSnapshot(fields: Partial<ContainerSnapshot>): ContainerSnapshot {
  return { key: 'c1', id: 'c1', name: 'c1', image: undefined, state: 'streaming', lastTimestamp: undefined, lines: 0, bytes: 0, rotations: 0, lastError: undefined, ...fields };
}

/** A sample of one container `app`: lines read so far, newest line read and acknowledged (epoch ms). */
function sample(at: number, lines: number, readMs: number, acknowledgedMs: number, uptime = at / 1000): Sample {
  return {
    at,
    status: readStatus({
      uptime_seconds: uptime,
      capture: { containers: [{ id: 'app-id', name: 'app', state: 'streaming', lines, lastTimestamp: iso(readMs) }] },
      ship: { acknowledged: { 'app-id': iso(acknowledgedMs) } },
    }),
    metrics: readMetrics(''),
  };
}

function row(name: string, lagSeconds: number | undefined, linesPerSecond: number | undefined): ContainerRow {
  return { key: name, name, state: 'streaming', linesPerSecond, lagSeconds, lagTrend: [], backlog: undefined, lastError: undefined };
}

void describe('TopSession', () => {
  void it('rates are the counters\' differences over the time between two recorded samples', () => {
    const [first, second] = scenarioSamples('busy');
    const session = new TopSession('http://127.0.0.1:8001');
    const before = session.update(first);
    assert.equal(before.rates.linesIn, undefined, 'one sample: no rate yet');
    const view = session.update(second);
    const seconds = (second.at - first.at) / 1000;
    // From the recorded text itself, not from the parser under test.
    const counter = (n: 1 | 2, line: string): number => Number(/ (\S+)$/.exec(fixtureText(`busy-${n}.metrics.txt`).split('\n').find((l) => l.startsWith(line)) ?? '')?.[1]);
    const linesRead = (n: 1 | 2): number => counter(n, 'log_capturer_lines_read_total{stream="stdout"}') + counter(n, 'log_capturer_lines_read_total{stream="stderr"}');
    assert.equal(view.rates.linesIn, (linesRead(2) - linesRead(1)) / seconds);
    assert.equal(view.rates.linesAcknowledged, (counter(2, 'log_capturer_events_sent_total ') - counter(1, 'log_capturer_events_sent_total ')) / seconds);
    const acknowledgedBytes = (n: 1 | 2): number => (JSON.parse(fixtureText(`busy-${n}.status.json`)) as { ship: { acknowledgedBytes: number } }).ship.acknowledgedBytes;
    assert.equal(view.rates.bytesAcknowledged, (acknowledgedBytes(2) - acknowledgedBytes(1)) / seconds);
    const statusLines = (n: 1 | 2): number => (JSON.parse(fixtureText(`busy-${n}.status.json`)) as { capture: { containers: Array<{ name: string; lines: number }> } }).capture.containers.find((c) => c.name === 'billing-import')?.lines ?? Number.NaN;
    assert.equal(view.containers.find((c) => c.name === 'billing-import')?.linesPerSecond, (statusLines(2) - statusLines(1)) / seconds);
    const recordedStates = (JSON.parse(fixtureText('busy-2.status.json')) as { capture: { containers: Array<{ state: string }> } }).capture.containers.map((c) => c.state);
    assert.deepEqual(view.states, ['streaming', 'waiting', 'paused', 'backoff', 'stopped', 'unreadable'].map((state) => ({ state, count: recordedStates.filter((s) => s === state).length })));
    assert.equal(view.ready, true);
  });

  void it('the receiver down: not ready, sink failing, nothing acknowledged', () => {
    const [first, second] = scenarioSamples('receiver-down');
    const session = new TopSession('http://127.0.0.1:8001');
    session.update(first);
    const view = session.update(second);
    assert.equal(view.ready, false);
    assert.deepEqual(view.failing, ['sink']);
    assert.equal(view.receiver.state, 'retrying');
    assert.equal(view.rates.linesAcknowledged, 0);
    assert.equal(view.rates.bytesAcknowledged, 0);
  });

  void it('a capturer that restarted (uptime went down) gives no rate across the restart', () => {
    const session = new TopSession('x');
    session.update(sample(T0, 5000, T0, T0, 600));
    const view = session.update(sample(T0 + 1000, 10, T0 + 1000, T0 + 1000, 1));
    assert.equal(view.containers[0]?.linesPerSecond, undefined);
    assert.equal(session.update(sample(T0 + 2000, 30, T0 + 2000, T0 + 2000, 2)).containers[0]?.linesPerSecond, 20);
  });

  void it('a backlog being caught up shows how far it has got and how long to go', () => {
    const session = new TopSession('x');
    // The newest acknowledged line gains 6 s of log per second: the lag (100 s at first) falls 5 s per second.
    let view = session.update(sample(T0, 0, T0 - 90_000, T0 - 100_000));
    assert.equal(view.containers[0]?.backlog, undefined, 'one sample: no trend yet');
    for (let n = 1; n <= 4; n += 1) view = session.update(sample(T0 + n * 1000, n * 1000, T0 - 90_000 + n * 6000, T0 - 100_000 + n * 6000));
    const app = view.containers[0];
    assert.equal(app?.lagSeconds, 80);
    assert.deepEqual(app?.lagTrend, [100, 95, 90, 85, 80]);
    assert.ok(Math.abs((app?.backlog?.progress ?? 0) - 0.2) < 1e-9, `progress ${app?.backlog?.progress}`);
    assert.ok(Math.abs((app?.backlog?.etaSeconds ?? 0) - 16) < 1e-9, `eta ${app?.backlog?.etaSeconds}`);
  });

  void it('a lag that grows over the trend window is not a backlog being caught up', () => {
    const session = new TopSession('x');
    let view = session.update(sample(T0, 0, T0 - 90_000, T0 - 100_000));
    // The newest acknowledged line gains only 0.5 s of log per second.
    for (let n = 1; n <= 4; n += 1) view = session.update(sample(T0 + n * 1000, n * 1000, T0 - 90_000 + n * 500, T0 - 100_000 + n * 500));
    assert.equal(view.containers[0]?.lagSeconds, 102);
    assert.equal(view.containers[0]?.backlog, undefined);
  });

  void it('a failed sample keeps the last view and says what went wrong', () => {
    const session = new TopSession('x');
    assert.equal(session.failed('down', T0), undefined, 'nothing to show before the first sample');
    session.update(sample(T0, 1, T0, T0));
    assert.deepEqual(session.failed('cannot reach', T0 + 5000)?.problem, { message: 'cannot reach', at: T0 + 5000 });
    assert.equal(session.update(sample(T0 + 6000, 2, T0, T0)).problem, undefined);
  });
});

void describe('lagOf', () => {
  const now = T0;
  void it('lines read and not acknowledged: since the newest acknowledged line', () => {
    assert.equal(lagOf(containerSnapshot({ lastTimestamp: iso(now - 2000) }), iso(now - 30_000), 0, now), 30);
    assert.equal(lagOf(containerSnapshot({ lastTimestamp: iso(now - 2000) }), undefined, 0, now), 2, 'nothing acknowledged yet: at least since the newest line read');
  });
  void it('all acknowledged and nothing coming: 0, however old the last line (an idle container is not behind)', () => {
    assert.equal(lagOf(containerSnapshot({ lastTimestamp: iso(now - 3_600_000) }), iso(now - 3_600_000), 0, now), 0);
  });
  void it('lines being read: at least since the newest line read (a backlog being read)', () => {
    assert.equal(lagOf(containerSnapshot({ lastTimestamp: iso(now - 50_000) }), iso(now - 50_000), 900, now), 50);
  });
  void it('never a line: 0 when streaming or stopped, unknown when waiting for a first turn or unreadable', () => {
    assert.equal(lagOf(containerSnapshot({ state: 'streaming' }), undefined, 0, now), 0);
    assert.equal(lagOf(containerSnapshot({ state: 'waiting' }), undefined, undefined, now), undefined);
    assert.equal(lagOf(containerSnapshot({ state: 'unreadable' }), undefined, 0, now), undefined);
    assert.equal(lagOf(containerSnapshot({ lastTimestamp: 'yesterday' }), 'garbage', 0, now), 0);
  });
});

void describe('sortRows', () => {
  const rows = [row('b', 5, 10), row('a', 5, 300), row('slow', 120, 0), row('new', undefined, undefined), row('busy', 0.2, 900)];
  const names = (key: 'lag' | 'rate' | 'name', reversed = false): string[] => sortRows(rows, { key, reversed }).map((r) => r.name);

  void it('by lag, slowest first; ties by name; unknown last', () => {
    assert.deepEqual(names('lag'), ['slow', 'a', 'b', 'busy', 'new']);
    assert.deepEqual(names('lag', true), ['busy', 'a', 'b', 'slow', 'new']);
  });
  void it('by rate, busiest first; by name', () => {
    assert.deepEqual(names('rate'), ['busy', 'a', 'b', 'slow', 'new']);
    assert.deepEqual(names('name'), ['a', 'b', 'busy', 'new', 'slow']);
    assert.deepEqual(names('name', true), ['slow', 'new', 'busy', 'b', 'a']);
  });
  void it('does not change the rows it was given', () => {
    names('lag');
    assert.deepEqual(rows.map((r) => r.name), ['b', 'a', 'slow', 'new', 'busy']);
  });
});
