// Issue 11 item 7: symlinks in the state directory were followed when writing. Run as root, as
// the capturer often is: whoever could write into the directory could have any file overwritten
// (`positions.json.tmp -> victim`) or filled with container output (`dead-letter.ndjson -> victim`).
import assert from 'node:assert/strict';
import { chmod, chown, link, lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { capturingLogger } from '../../test/ship/ship-fixtures.js';
import { metricValue } from '../../test/support/metric-values.js';
import { createMetricsRegistry } from '../telemetry/metrics-registry.js';
import { silentLogger } from '../utils/logger.js';
import { CheckpointStore, POSITIONS_FILE } from './checkpoint-store.js';
import { DEAD_LETTER_FILE, DeadLetterFile, ROTATED_DEAD_LETTER_FILE } from './dead-letter-file.js';
import { ShipTelemetry } from './ship-telemetry.js';
import { UnsafeStateDirError, isTemporaryOf, prepareStateDir, writeFileAtomically } from './state-dir.js';

const A = 'a'.repeat(64);
const VICTIM_TEXT = 'root:x:0:0:root:/root:/bin/bash\n';
/** What a victim file would hold if we parsed it as our positions: a position for container A. */
const VICTIM_POSITIONS = JSON.stringify({ version: 1, containers: { [A]: { since_ms: 42, skip: 3, last_timestamp: 't', name: 'planted' } } });

function store(stateDir: string, logger = silentLogger()): CheckpointStore {
  return new CheckpointStore({ stateDir, flushIntervalMs: 60_000, logger, registry: createMetricsRegistry({ defaultMetrics: false }) });
}

/** These tests create files owned by another user: they need root, which CI has. */
function requireRoot(t: TestContext): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.CI === 'true') throw new Error('the state-dir tests need root (chown) and CI runs them as root');
  t.skip('needs root to chown');
  return false;
}

void describe('state directory: symlinks and hard links are never written through', () => {
  let outside: string;
  let dir: string;
  let victim: string;
  beforeEach(async () => {
    outside = await mkdtemp(join(tmpdir(), 'lc-victim-'));
    victim = join(outside, 'victim');
    await writeFile(victim, VICTIM_TEXT);
    dir = await mkdtemp(join(tmpdir(), 'lc-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  void it('positions.json.tmp -> victim: the victim is untouched, positions.json is a new regular file, 0600', async () => {
    await symlink(victim, join(dir, `${POSITIONS_FILE}.tmp`));
    const s = store(dir);
    await s.load();
    s.commit(A, { sinceMs: 5, skip: 1 }, 't', 'n');
    await s.flush();
    assert.equal(await readFile(victim, 'utf8'), VICTIM_TEXT, 'the victim is unchanged');
    const written = await lstat(join(dir, POSITIONS_FILE));
    assert.ok(written.isFile(), 'positions.json is a regular file');
    assert.equal(written.mode & 0o777, 0o600);
    assert.ok(s.healthy());
    assert.deepEqual(await readdir(dir), [POSITIONS_FILE], 'the planted link (a name of older versions) was removed, no temporary file is left');
  });

  void it('positions.json -> a file of positions elsewhere: not read, and the next write replaces the link, not the target', async () => {
    await writeFile(victim, VICTIM_POSITIONS);
    await symlink(victim, join(dir, POSITIONS_FILE));
    const { logger, lines } = capturingLogger();
    const s = store(dir, logger);
    await s.load();
    assert.equal(s.get(A), undefined, 'positions are not taken through a symlink');
    assert.equal(s.firstRun, false, 'nor is it a first run (initial_position: end must not skip logs)');
    assert.ok(lines.some((l) => l.level === 50 && /symbolic link/.test(String(l.msg))), 'an error log says why');
    await s.flush();
    assert.equal(await readFile(victim, 'utf8'), VICTIM_POSITIONS, 'the target is unchanged');
    assert.ok((await lstat(join(dir, POSITIONS_FILE))).isFile(), 'the link was replaced by our file');
  });

  void it('writeFileAtomically picks a new random temporary name each time and leaves nothing behind', async () => {
    const target = join(dir, 'x.json');
    await writeFileAtomically(target, 'one');
    await writeFileAtomically(target, 'two');
    assert.equal(await readFile(target, 'utf8'), 'two');
    assert.deepEqual(await readdir(dir), ['x.json']);
    assert.ok(isTemporaryOf(target, 'x.json.0123456789abcdef.tmp'));
    assert.ok(!isTemporaryOf(target, 'x.json.tmp') && !isTemporaryOf(target, 'x.json.corrupt-2026') && !isTemporaryOf(target, 'x.json.0123456789abcdef.tmp.evil'));
  });

  void it('dead-letter.ndjson -> victim, or a hard link to it: nothing appended to the victim, the write fails (the records are kept)', async () => {
    const telemetry = new ShipTelemetry(createMetricsRegistry({ defaultMetrics: false }), silentLogger());
    const deadLetters = new DeadLetterFile({ stateDir: dir, maxBytes: 64 * 1024 * 1024, telemetry });
    const records = [Buffer.from('{"message":"container output"}\n')];
    await symlink(victim, join(dir, DEAD_LETTER_FILE));
    await assert.rejects(deadLetters.write(records, 'refused', 400), (error: NodeJS.ErrnoException) => error.code === 'ELOOP');
    assert.equal(await readFile(victim, 'utf8'), VICTIM_TEXT);

    await rm(join(dir, DEAD_LETTER_FILE));
    const sameDisk = join(dir, 'victim-on-this-disk');
    await writeFile(sameDisk, VICTIM_TEXT);
    await link(sameDisk, join(dir, DEAD_LETTER_FILE));
    await assert.rejects(deadLetters.write(records, 'refused', 400), /not a regular file of its own \(2 hard links\)/);
    assert.equal(await readFile(sameDisk, 'utf8'), VICTIM_TEXT);
  });

  void it('dead-letter.ndjson.1 -> victim: rotation replaces the link, the victim is untouched and not read (its lines are not counted as ours)', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const deadLetters = new DeadLetterFile({ stateDir: dir, maxBytes: 1024, telemetry: new ShipTelemetry(registry, silentLogger()) });
    await symlink(victim, join(dir, ROTATED_DEAD_LETTER_FILE));
    const total = 20;
    for (let n = 0; n < total; n += 1) await deadLetters.write([Buffer.from(`{"message":"line ${n}"}\n`)], 'refused', 400);
    assert.equal(await readFile(victim, 'utf8'), VICTIM_TEXT);
    assert.ok((await lstat(join(dir, ROTATED_DEAD_LETTER_FILE))).isFile());
    const onDisk = (await readFile(join(dir, DEAD_LETTER_FILE), 'utf8')).split('\n').length - 1 + (await readFile(join(dir, ROTATED_DEAD_LETTER_FILE), 'utf8')).split('\n').length - 1;
    assert.equal(await metricValue(registry, 'log_capturer_dead_letter_dropped_events_total', { reason: 'rotated' }), total - onDisk, 'only our own records are counted as dropped');
  });
});

void describe('state directory: created 0700, refused when others could write into it', () => {
  let parent: string;
  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'lc-state-parent-'));
  });
  afterEach(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  void it('is created 0700 (with its missing parents), whatever the umask', async () => {
    const previous = process.umask(0);
    try {
      const stateDir = join(parent, 'a', 'state');
      await prepareStateDir(stateDir);
      assert.equal((await stat(stateDir)).mode & 0o777, 0o700);
      assert.equal((await stat(join(parent, 'a'))).mode & 0o777, 0o700);
    } finally {
      process.umask(previous);
    }
  });

  void it('accepts a directory of ours that only we may write (0700, 0755)', async () => {
    for (const mode of [0o700, 0o755]) {
      const stateDir = join(parent, `ok-${mode.toString(8)}`);
      await mkdir(stateDir);
      await chmod(stateDir, mode);
      await prepareStateDir(stateDir);
    }
  });

  void it('refuses a directory writable by its group or by others (also with the sticky bit), saying how to fix it', async () => {
    for (const [mode, who] of [[0o777, 'its group and others'], [0o770, 'its group'], [0o1703, 'others'], [0o1777, 'its group and others']] as const) {
      const stateDir = join(parent, `bad-${mode.toString(8)}`);
      await mkdir(stateDir);
      await chmod(stateDir, mode);
      await assert.rejects(prepareStateDir(stateDir), (error: Error) => {
        assert.ok(error instanceof UnsafeStateDirError);
        assert.match(error.message, new RegExp(`checkpoint.state_dir ".*bad-${mode.toString(8)}" is writable by ${who} \\(mode ${mode.toString(8).padStart(4, '0')}\\)`));
        assert.match(error.message, /chmod 700/);
        return true;
      });
    }
  });

  void it('refuses a directory owned by another user, and a path that is not a directory', async (t) => {
    if (!requireRoot(t)) return;
    const foreign = join(parent, 'foreign');
    await mkdir(foreign, { mode: 0o700 });
    await chown(foreign, 12345, 12345);
    await assert.rejects(prepareStateDir(foreign), (error: Error) => error instanceof UnsafeStateDirError && /belongs to uid 12345, not to uid 0/.test(error.message) && /chown 0/.test(error.message));
    const file = join(parent, 'file');
    await writeFile(file, '');
    await assert.rejects(prepareStateDir(file), /not a directory|EEXIST|ENOTDIR/);
  });

  void it('CheckpointStore.load throws the refusal (the capturer must not start) and writes nothing there', async () => {
    const stateDir = join(parent, 'open');
    await mkdir(stateDir);
    await chmod(stateDir, 0o777);
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const s = new CheckpointStore({ stateDir, flushIntervalMs: 60_000, logger: silentLogger(), registry });
    await assert.rejects(s.load(), UnsafeStateDirError);
    assert.deepEqual(await readdir(stateDir), []);
    assert.equal(await metricValue(registry, 'log_capturer_checkpoint_writes_total', { result: 'ok' }), 0);
  });
});
