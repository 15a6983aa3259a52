import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Position } from '../capture/position.js';
import { metricSamples } from '../../test/support/metric-values.js';
import { createMetricsRegistry } from '../telemetry/metrics-registry.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { silentLogger } from '../utils/logger.js';
import { ShipTelemetry } from './ship-telemetry.js';
import { AckTracker } from './ack-tracker.js';
import type { AcknowledgedRecord, CheckpointCommitter } from './ack-tracker.js';

class RecordingCommitter implements CheckpointCommitter {
  readonly commits: Array<{ id: string; position: Position; lastTimestamp: string; name: string }> = [];
  readonly forgotten: string[] = [];
  commit(id: string, position: Position, lastTimestamp: string, name: string): void {
    this.commits.push({ id, position, lastTimestamp, name });
  }
  forget(id: string): void {
    this.forgotten.push(id);
  }
}

const NOW = Date.UTC(2026, 10, 28, 1, 0, 10);
const ts = (second: number): string => `2026-11-28T01:00:${String(second).padStart(2, '0')}.000000000Z`;

function setup(): { tracker: AckTracker; committer: RecordingCommitter; metrics: MetricsRegistry } {
  const committer = new RecordingCommitter();
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  const telemetry = new ShipTelemetry(metrics, silentLogger());
  return { tracker: new AckTracker({ checkpoints: committer, telemetry, now: () => NOW }), committer, metrics };
}

function records(tracker: AckTracker, id: string, count: number, name = 'app'): AcknowledgedRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    containerId: id, seq: tracker.register(id), position: { sinceMs: 1000 + i, skip: 1 }, timestamp: ts(i), containerName: name,
  }));
}

async function gauge(metrics: MetricsRegistry, name: string): Promise<Array<{ labels: Record<string, unknown>; value: number }>> {
  return metricSamples(metrics, name);
}

void describe('AckTracker', () => {
  void it('advances over the acknowledged prefix only, when requests finish out of order', () => {
    const { tracker, committer } = setup();
    const [r0, r1, r2, r3, r4] = records(tracker, 'c1', 5) as [AcknowledgedRecord, AcknowledgedRecord, AcknowledgedRecord, AcknowledgedRecord, AcknowledgedRecord];
    tracker.acknowledge([r3, r4], true); // a later request finished first
    assert.equal(committer.commits.length, 0, 'nothing before the gap is acknowledged');
    tracker.acknowledge([r1], true);
    assert.equal(committer.commits.length, 0);
    tracker.acknowledge([r0], true);
    assert.deepEqual(committer.commits.at(-1)?.position, r1.position, 'advances to r1, r2 still missing');
    tracker.acknowledge([r2], true);
    assert.deepEqual(committer.commits.at(-1)?.position, r4.position, 'the gap closed: straight to r4');
    assert.equal(tracker.unacknowledged('c1'), 0);
  });

  void it('keeps containers independent and commits once per container per acknowledgement', () => {
    const { tracker, committer } = setup();
    const a = records(tracker, 'a', 3);
    const b = records(tracker, 'b', 2, 'other');
    tracker.acknowledge([...a, ...b.slice(1)], true);
    assert.deepEqual(committer.commits.map((c) => c.id), ['a']);
    assert.equal(committer.commits[0]?.lastTimestamp, ts(2));
    tracker.acknowledge(b.slice(0, 1), true);
    assert.deepEqual(committer.commits.map((c) => [c.id, c.name]), [['a', 'app'], ['b', 'other']]);
  });

  void it('counts delivered records as sent, dead-lettered ones not, and sets the lag', async () => {
    const { tracker, metrics } = setup();
    const r = records(tracker, 'c', 4);
    tracker.acknowledge(r.slice(0, 3), true);
    tracker.acknowledge(r.slice(3), false);
    assert.equal((await gauge(metrics, 'log_capturer_events_sent_total'))[0]?.value, 3);
    const lag = await gauge(metrics, 'log_capturer_container_lag_seconds');
    assert.deepEqual(lag.map((v) => [v.labels.container_name, v.value]), [['app', 10 - 3]]);
  });

  void it('containerGone forgets the checkpoint and the lag series only once everything is acknowledged', async () => {
    const { tracker, committer, metrics } = setup();
    const r = records(tracker, 'c', 2);
    tracker.acknowledge(r.slice(0, 1), true);
    tracker.containerGone('c');
    assert.deepEqual(committer.forgotten, [], 'one record is still out');
    tracker.acknowledge(r.slice(1), true);
    assert.deepEqual(committer.forgotten, ['c']);
    assert.deepEqual(await gauge(metrics, 'log_capturer_container_lag_seconds'), []);
    tracker.containerGone('never-seen');
    assert.deepEqual(committer.forgotten, ['c', 'never-seen']);
  });

  void it('ignores an acknowledgement it already counted', () => {
    const { tracker, committer } = setup();
    const r = records(tracker, 'c', 1);
    tracker.acknowledge(r, true);
    tracker.acknowledge(r, true);
    assert.equal(committer.commits.length, 1);
  });
});
