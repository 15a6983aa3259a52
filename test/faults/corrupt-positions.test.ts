// Issue #6: positions.json is garbage when the capturer starts. It must start anyway, say so
// with an error naming the file, set the file aside (positions.json.corrupt-*), and lose
// nothing: a corrupt file is not a first run, so even `initial_position: end` must read the
// containers from their beginning (repeating lines is the documented price, never skipping).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { requireDocker, waitForExit } from '../support/docker.js';
import { waitForContainerLines } from '../support/oracle.js';
import { waitFor } from '../support/wait-for.js';
import { logEntries, startFaultRig } from './fault-rig.js';

const GARBAGE = '{"version":1,"containers":{"abc":{"since_ms":\u0000\u0001 not json at all';

describe('fault: corrupt positions.json at start', () => {
  it('starts, logs an error naming the file, sets it aside, and captures every line (initial_position end notwithstanding)', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const rig = await startFaultRig(t, docker, 'corrupt', { deferStart: true, config: { capture: { initial_position: 'end' } } });
    const positionsPath = join(rig.stateDir, 'positions.json');
    writeFileSync(positionsPath, GARBAGE);
    // History written before the capturer starts, then more while it runs.
    const container = await rig.container({ script: 'for i in $(seq 1 200); do echo "before $i"; done; sleep 2; for i in $(seq 1 200); do echo "after $i"; echo "after err $i" >&2; done; sleep 1' });
    const id = (await container.inspect()).Id;
    await waitFor('the history to be in the daemon log', { watch: async () => (await container.logs({ stdout: true })).toString(), until: (log) => log.includes('before 200') });

    rig.startCapturer();
    await rig.waitHealthy();
    await waitForExit(container);
    const result = await waitForContainerLines('every line, history included', docker, id, rig.receiver.events);
    assert.equal(result.expected, 600);
    assert.equal(result.firstMismatch, undefined);
    assert.equal(result.duplicated, 0, 'one run after a corrupt file repeats nothing');

    const errors = logEntries(rig.capturer().stderr()).filter((e) => e.level === 50 && String(e.msg).includes('corrupt'));
    assert.equal(errors.length, 1, `one error about the corrupt file; stderr:\n${rig.capturer().stderr().slice(0, 2000)}`);
    assert.equal(errors[0]?.path, positionsPath, 'the error names the file');
    const aside = readdirSync(rig.stateDir).filter((name) => name.startsWith('positions.json.corrupt-'));
    assert.equal(aside.length, 1, `the corrupt file is set aside (state dir: ${readdirSync(rig.stateDir).join(', ')})`);
    assert.equal(readFileSync(join(rig.stateDir, aside[0] as string), 'utf8'), GARBAGE, 'set aside unchanged, for a human to look at');
    assert.equal(errors[0]?.moved_to, join(rig.stateDir, aside[0] as string), 'the error says where it went');

    // The checkpoint is flushed every 200 ms; progress is the file changing.
    const written = await waitFor('a new, valid positions.json with this container', {
      watch: () => JSON.parse(readFileSync(positionsPath, 'utf8')) as { version: number; containers: Record<string, { since_ms: number }> },
      until: (value) => value.containers[id] !== undefined,
      intervalMs: 200,
    });
    assert.equal(written.version, 1);
    assert.equal((await rig.get('/healthz')).status, 200);
  });
});
