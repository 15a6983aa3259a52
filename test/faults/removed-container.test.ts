// Issue #6: a container removed (docker rm -f) while its log is being read. The capturer keeps
// running and healthy, keeps capturing the others exactly, and forgets the removed one: it
// leaves /status and its lag series leaves /metrics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireDocker, waitForExit } from '../support/docker.js';
import { waitForContainerLines } from '../support/oracle.js';
import { waitFor } from '../support/wait-for.js';
import { startFaultRig } from './fault-rig.js';

interface StatusBody { capture: { containers: Array<{ id: string; name: string }> } }

describe('fault: container removed while being read', () => {
  it('the capturer stays up and healthy, others are captured exactly, the removed one leaves /status and its lag series', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const rig = await startFaultRig(t, docker, 'removed', { config: { capture: { rotation_interval: '300ms' } } });
    const doomed = await rig.container({ script: 'i=0; while true; do echo "doomed $i"; i=$((i+1)); usleep 5000; done' });
    const other = await rig.container({ script: 'i=0; while [ $i -lt 600 ]; do echo "other $i"; echo "other err $i" >&2; i=$((i+1)); usleep 10000; done' });
    const doomedInfo = await doomed.inspect();
    const doomedName = doomedInfo.Name.replace(/^\//, '');
    const otherId = (await other.inspect()).Id;

    await waitFor('the doomed container in /status and its lag series', {
      watch: async () => {
        const status = JSON.parse((await rig.get('/status')).text) as StatusBody;
        const inStatus = status.capture.containers.some((c) => c.id === doomedInfo.Id);
        const lag = [...(await rig.metrics()).keys()].some((k) => k.startsWith('log_capturer_container_lag_seconds{') && k.includes(`"${doomedName}"`));
        return { inStatus, lag, received: rig.eventsOf(doomedInfo.Id).length };
      },
      until: (o) => o.inStatus && o.lag && o.received > 100,
      intervalMs: 200,
    });
    await doomed.remove({ force: true });

    await waitFor('the removed container to leave /status and /metrics', {
      watch: async () => {
        const status = JSON.parse((await rig.get('/status')).text) as StatusBody;
        const inStatus = status.capture.containers.some((c) => c.id === doomedInfo.Id);
        const lag = [...(await rig.metrics()).keys()].some((k) => k.includes(`"${doomedName}"`));
        return { inStatus, lag };
      },
      until: (o) => !o.inStatus && !o.lag,
      intervalMs: 250,
    });

    await waitForExit(other);
    const result = await waitForContainerLines('every line of the other container', docker, otherId, rig.receiver.events);
    assert.equal(result.duplicated, 0);
    assert.equal(result.firstMismatch, undefined);
    assert.equal(result.expected, 1200);

    assert.equal(rig.capturer().child.exitCode, null, 'the capturer is still running');
    assert.equal((await rig.get('/healthz')).status, 200, '/healthz 200');
    // What was shipped of the removed container is a gap-free prefix of what it wrote.
    const numbers = rig.eventsOf(doomedInfo.Id).map((e) => Number(/^doomed (\d+)$/.exec(String(e.message))?.[1]));
    assert.deepEqual(numbers, Array.from({ length: numbers.length }, (_, i) => i), 'removed container: lines 0..n once each, in order');
    const errors = rig.capturer().stderr().split('\n').filter((l) => l.includes('"level":50') || l.includes('"level":60'));
    assert.deepEqual(errors, [], 'no error logged for an ordinary removal');
  });
});
