// Issue #6: binary and invalid UTF-8 output. Whatever bytes a container writes, every request
// body must be valid NDJSON (the stand-in refuses bad JSON with 400, as Vector does), nothing
// goes to the dead-letter file, and the messages are the daemon's, decoded lossily as UTF-8.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { requireDocker, waitForExit } from '../support/docker.js';
import { waitForDaemonLines } from '../support/oracle.js';
import { startFaultRig } from './fault-rig.js';

const SCRIPT = [
  'dd if=/dev/urandom bs=1024 count=64 2>/dev/null',
  'echo',
  "printf '\\377\\376 byte order mark of UTF-16\\n'",
  "printf 'nul\\000inside\\000twice\\n'",
  "printf 'esc \\033[31mred\\033[0m bell \\007 del \\177\\n'",
  "printf 'line separator \\342\\200\\250 paragraph \\342\\200\\251 end\\n'",
  "printf 'cut utf8 \\342\\202\\n'",
  "printf 'cr only\\rthen more\\n'",
  "printf 'stderr \\377 \\300\\200 overlong\\n' >&2",
  'head -c 20000 /dev/urandom >&2',
  'echo end',
].join('; ');

describe('fault: binary and invalid UTF-8 output', () => {
  it('every body parses as NDJSON (no 400, no dead letters) and the messages match the daemon, lossily decoded', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const rig = await startFaultRig(t, docker, 'binary');
    const containers = await Promise.all([0, 1].map(() => rig.container({ script: SCRIPT })));
    const tty = await rig.container({ script: SCRIPT, tty: true });
    const ids = await Promise.all([...containers, tty].map(async (c) => (await c.inspect()).Id));
    for (const c of [...containers, tty]) await waitForExit(c);

    const results = await waitForDaemonLines('every line of the binary writers', ids.map((id) => ({ docker: docker, id })), rig.receiver.events);
    t.diagnostic(`lines per container: ${results.map((r) => r.expected).join(', ')}; ${rig.receiver.requests.length} requests`);
    for (const r of results) {
      assert.equal(r.duplicated, 0, 'no line twice');
      assert.equal(r.firstMismatch, undefined, 'daemon order');
    }
    assert.equal(rig.receiver.requests.filter((r) => r.status === 400).length, 0, 'no body refused as bad JSON');
    assert.ok(rig.receiver.requests.every((r) => r.status === 200), 'every request accepted');
    const metrics = await rig.metrics();
    assert.equal(metrics.get('log_capturer_dead_letter_events_total'), 0, 'no dead letters');
    assert.equal(existsSync(join(rig.stateDir, 'dead-letter.ndjson')), false, 'no dead-letter file');
    const messages = rig.receiver.events.map((e) => String(e.message));
    assert.ok(messages.includes('nul\u0000inside\u0000twice'), 'NUL kept, escaped in JSON');
    assert.ok(messages.includes('line separator \u2028 paragraph \u2029 end'), 'U+2028/U+2029 kept');
    assert.ok(messages.includes('\ufffd\ufffd byte order mark of UTF-16'), 'invalid bytes become U+FFFD');
  });
});
