// Issue #6: 10,000 lines written at once (one printf), so many lines share a millisecond,
// while streams rotate every 100 ms and backpressure pauses reading: every line once, in order.
// A reopened stream resumes with `since` (whole timestamps) plus a skip count; a wrong count on
// a shared timestamp would lose or repeat lines exactly here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { daemonLines, requireDocker, waitForExit } from '../support/docker.js';
import { waitForContainerLines } from '../support/oracle.js';
import { startFaultRig } from './fault-rig.js';

const LINES = 10_000;

describe('fault: 10,000 lines in one write', () => {
  it('every line arrives once, in order, with rotation every 100 ms during the burst', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const rig = await startFaultRig(t, docker, 'burst', {
      config: {
        capture: { initial_position: 'beginning', rotation_interval: '100ms' },
        // A small buffer and slow replies keep the burst in flight for many rotation intervals.
        buffer: { max_bytes: '1MiB', resume_bytes: '256KiB' },
        sink: { batch: { max_events: 250, linger: '20ms' }, max_in_flight: 2 },
      },
    });
    rig.receiver.delayReplies(40);
    const pad = 'p'.repeat(200);
    const container = await rig.container({ script: `sleep 1; printf 'burst %05d ${pad}\\n' $(seq 1 ${LINES}); sleep 3` });
    const id = (await container.inspect()).Id;
    const before = (await rig.metrics()).get('log_capturer_container_stream_rotations_total') ?? 0;
    await waitForExit(container);

    const result = await waitForContainerLines('all burst lines', docker, id, rig.receiver.events);
    const rotations = ((await rig.metrics()).get('log_capturer_container_stream_rotations_total') ?? 0) - before;
    const daemon = await daemonLines(docker, id);
    // Positions count in whole milliseconds (`since` plus a skip count), so a shared millisecond is what matters.
    const distinctTimestamps = new Set(daemon.map((l) => l.timestamp.slice(0, 23))).size;
    t.diagnostic(`${LINES} lines over ${distinctTimestamps} distinct milliseconds; ${rotations} rotations; ${rig.receiver.requests.length} requests`);
    assert.equal(result.expected, LINES);
    assert.equal(result.duplicated, 0, 'no line twice');
    assert.equal(result.firstMismatch, undefined, 'daemon order');
    assert.ok(distinctTimestamps < LINES, 'lines share milliseconds (the case under test)');
    assert.ok(rotations >= 3, `streams rotated while the burst was read (${rotations})`);
    const numbers = rig.eventsOf(id).map((e) => Number(/^burst (\d+)/.exec(String(e.message))?.[1]));
    assert.deepEqual(numbers, Array.from({ length: LINES }, (_, i) => i + 1), 'burst 1..10000 in order');
  });
});
