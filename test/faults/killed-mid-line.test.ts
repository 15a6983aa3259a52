// Issue #6: a container killed while its last line has no newline yet. The daemon keeps the
// unfinished text as the last entry of its log; the capturer must ship it as a line of its own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireDocker, waitForExit } from '../support/docker.js';
import { waitForContainerLines } from '../support/oracle.js';
import { waitFor } from '../support/wait-for.js';
import { startFaultRig } from './fault-rig.js';

describe('fault: container killed mid-line', () => {
  it('the unfinished text arrives as one line, exactly as the daemon has it', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const rig = await startFaultRig(t, docker, 'killed');
    const container = await rig.container({ script: 'echo "first line"; echo "err line" >&2; printf "unfinished"; sleep 60' });
    const id = (await container.inspect()).Id;
    await waitFor('the complete lines at the receiver', { watch: () => rig.eventsOf(id).length, until: (n) => n >= 2 });
    await container.kill();
    await waitForExit(container);

    const result = await waitForContainerLines('the unfinished line at the receiver', docker, id, rig.receiver.events);
    assert.equal(result.expected, 3, 'the daemon oracle itself holds the unfinished text as a line');
    assert.equal(result.duplicated, 0);
    assert.equal(result.firstMismatch, undefined);
    const last = rig.eventsOf(id).filter((e) => e.stream === 'stdout').at(-1);
    assert.equal(last?.message, 'unfinished');
    assert.equal(last?.truncated, undefined, 'an unfinished line is not a truncated one');
  });
});
