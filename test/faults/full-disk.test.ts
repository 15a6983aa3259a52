// Issue #6: the state directory's disk fills up. The capturer must say so clearly, show the
// checkpoint as unhealthy, keep capturing (positions on disk stay where they were, which only
// means lines may repeat after a crash), and write positions again once there is room.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { requireDocker, waitForExit } from '../support/docker.js';
import { waitForContainerLines } from '../support/oracle.js';
import { waitFor } from '../support/wait-for.js';
import { logEntries, startFaultRig } from './fault-rig.js';

const run = promisify(execFile);

/** A 64 KiB tmpfs of the test's own (0700: a state dir others may write to is refused), unmounted and removed in cleanup; undefined when skipped. */
async function tinyDisk(t: TestContext): Promise<string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'lc-full-disk-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const why = `cannot mount a tmpfs for the full-disk test (needs root or CAP_SYS_ADMIN): ${error instanceof Error ? error.message : String(error)}`;
    if (process.env.CI === 'true') throw new Error(why, { cause: error });
    t.skip(why);
    return undefined;
  }
  t.after(async () => {
    await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Appends to `path` until the filesystem refuses with ENOSPC. */
function fillUp(path: string): number {
  const block = Buffer.alloc(4096, 0x66);
  let written = 0;
  for (;;) {
    try {
      appendFileSync(path, block);
      written += block.length;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return written;
      throw error;
    }
  }
}

function storedSince(path: string, id: string): number | undefined {
  const value = JSON.parse(readFileSync(path, 'utf8')) as { containers: Record<string, { since_ms: number; skip: number }> };
  const entry = value.containers[id];
  return entry === undefined ? undefined : entry.since_ms * 1e6 + entry.skip;
}

describe('fault: full disk for the state dir', () => {
  it('logs a clear error, reports checkpoint unhealthy, keeps capturing, and writes positions again once space is freed', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    // Mounted before the rig starts, so the rig's cleanup (which kills the capturer) runs first.
    const stateDir = await tinyDisk(t);
    if (stateDir === undefined) return;
    const rig = await startFaultRig(t, docker, 'fulldisk', { stateDir, config: { checkpoint: { state_dir: stateDir, flush_interval: '100ms' } } });
    const positionsPath = join(stateDir, 'positions.json');
    const fillerPath = join(stateDir, 'filler');
    const container = await rig.container({ script: 'i=0; while [ $i -lt 1500 ]; do echo "steady $i"; i=$((i+1)); usleep 10000; done' });
    const id = (await container.inspect()).Id;

    await waitFor('positions.json with the container', {
      watch: () => ({ since: existsSync(positionsPath) ? storedSince(positionsPath, id) : undefined, received: rig.eventsOf(id).length }),
      until: (o) => o.since !== undefined,
    });
    const filled = fillUp(fillerPath);
    t.diagnostic(`filled the state dir with ${filled} bytes`);

    await waitFor('the checkpoint reported unhealthy', {
      watch: async () => {
        const m = await rig.metrics();
        return { errors: m.get('log_capturer_checkpoint_writes_total{result="error"}') ?? 0, health: m.get('log_capturer_component_health{component="checkpoint"}'), received: rig.eventsOf(id).length };
      },
      until: (o) => o.errors > 0 && o.health === 0,
    });
    const errorLog = logEntries(rig.capturer().stderr()).find((e) => e.level === 50 && e.code === 'ENOSPC');
    assert.ok(errorLog !== undefined, `an error log with code ENOSPC; stderr:\n${rig.capturer().stderr().slice(-2000)}`);
    assert.equal(errorLog.path, positionsPath, 'the error names the file');
    assert.match(String(errorLog.msg), /disk is not full/, 'the error says what to check');

    // Capture goes on while positions on disk stand still.
    const sinceWhileFull = storedSince(positionsPath, id);
    const receivedAtFailure = rig.eventsOf(id).length;
    await waitFor('lines still arriving while the disk is full', { watch: () => rig.eventsOf(id).length, until: (n) => n >= receivedAtFailure + 100 });
    assert.equal(storedSince(positionsPath, id), sinceWhileFull, 'positions.json did not change while the disk was full');
    assert.equal((await rig.get('/healthz')).status, 200, 'the process itself stays healthy');

    rmSync(fillerPath);
    await waitFor('positions to advance on disk again', {
      watch: async () => {
        const m = await rig.metrics();
        return { health: m.get('log_capturer_component_health{component="checkpoint"}'), since: storedSince(positionsPath, id) ?? 0, writes: m.get('log_capturer_checkpoint_writes_total{result="ok"}') ?? 0 };
      },
      until: (o) => o.health === 1 && o.since > (sinceWhileFull ?? 0),
    });
    assert.ok(logEntries(rig.capturer().stderr()).some((e) => String(e.msg).includes('written again')), 'the recovery is logged');

    await waitForExit(container);
    const result = await waitForContainerLines('every line', docker, id, rig.receiver.events);
    assert.equal(result.expected, 1500);
    assert.equal(result.duplicated, 0);
    assert.equal(result.firstMismatch, undefined);
  });
});
