// Issue #6: a container printing 5 MiB without a newline, then exiting. The capturer keeps at
// most capture.max_line_bytes of it (one record, truncated: true) and its memory stays bounded:
// it must not buffer the whole line.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { daemonLines, requireDocker, waitForExit } from '../support/docker.js';
import { waitFor } from '../support/wait-for.js';
import { startFaultRig } from './fault-rig.js';

const MAX_LINE_BYTES = 1024 * 1024;
const LINE_BYTES = 5 * 1024 * 1024;
/** Generous: a Node process with tsx is ~100 MiB; keeping 5 MiB several times over would still pass, keeping it per 16 KiB frame would not. */
const PEAK_RSS_BOUND = 300 * 1024 * 1024;

/** Peak resident set size of a process in bytes (VmHWM), from /proc. */
function peakRss(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

describe('fault: 5 MiB without a newline', () => {
  it('arrives as ONE record, truncated, of exactly max_line_bytes, as valid JSON, with peak RSS bounded', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const rig = await startFaultRig(t, docker, 'longline', { config: { capture: { max_line_bytes: '1MiB' }, sink: { batch: { max_events: 200, linger: '50ms', max_bytes: '4MiB' } } } });
    const container = await rig.container({ script: `echo before; head -c ${LINE_BYTES} /dev/zero | tr '\\0' x; sleep 1` });
    const id = (await container.inspect()).Id;
    await waitForExit(container);

    // Progress while the 5 MiB are read: the bytes read from Docker, then the records received.
    const bytesRead = async (): Promise<number> => (await rig.metrics()).get('log_capturer_bytes_read_total') ?? 0;
    const events = await waitFor('the long line at the receiver', {
      watch: async () => ({ bytes: await bytesRead(), got: rig.eventsOf(id) }),
      until: (o) => o.got.some((e) => e.message !== 'before'),
      progress: (o) => [o.bytes, o.got.length],
      describe: (o) => `${o.bytes} bytes read, ${o.got.length} records received`,
      intervalMs: 250,
    }).then((o) => o.got);
    // Before judging, let a wrongly split line show all its pieces: wait until the capturer has
    // read the container to its end and holds nothing unacknowledged (not a fixed pause, which a
    // loaded machine could sleep through before the pieces arrive).
    interface StatusBody { capture: { containers: Array<{ id: string; state: string }> } }
    await waitFor('the container read to its end and nothing left to send', {
      watch: async () => {
        const status = JSON.parse((await rig.get('/status')).text) as StatusBody;
        const metrics = await rig.metrics();
        return { state: status.capture.containers.find((c) => c.id === id)?.state, buffered: metrics.get('log_capturer_buffer_bytes'), bytes: metrics.get('log_capturer_bytes_read_total'), received: rig.eventsOf(id).length };
      },
      until: (o) => o.state === 'stopped' && o.buffered === 0,
      intervalMs: 250,
    });
    const all = rig.eventsOf(id);
    assert.deepEqual(all.map((e) => (e.message === 'before' ? 'before' : 'long')), ['before', 'long'], 'the 5 MiB line is one record');
    const long = events.find((e) => e.message !== 'before');
    assert.equal(long?.truncated, true);
    assert.equal(typeof long?.message, 'string');
    assert.equal((long?.message as string).length, MAX_LINE_BYTES);
    assert.match(long?.message as string, /^x+$/);
    assert.ok(rig.receiver.requests.every((r) => r.status === 200), 'every request body parsed as NDJSON');

    const daemon = await daemonLines(docker, id);
    assert.equal(daemon.length, 2);
    assert.equal(daemon[1]?.message.length, LINE_BYTES, 'the daemon has the whole line');
    assert.equal(long?.timestamp, daemon[1]?.timestamp, 'the record carries the timestamp of the line start');

    const rss = peakRss(rig.capturer().child.pid ?? 0);
    t.diagnostic(`capturer peak RSS ${(rss / 1024 / 1024).toFixed(1)} MiB for a ${LINE_BYTES / 1024 / 1024} MiB line`);
    assert.ok(rss < PEAK_RSS_BOUND, `peak RSS ${(rss / 1024 / 1024).toFixed(1)} MiB is under ${PEAK_RSS_BOUND / 1024 / 1024} MiB`);
  });
});
