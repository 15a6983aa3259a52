import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { metricValue } from '../../test/support/metric-values.js';
import { createMetricsRegistry } from '../telemetry/metrics-registry.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { createLogger } from '../utils/logger.js';
import { CheckpointStore, POSITIONS_FILE } from './checkpoint-store.js';

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

async function counter(metrics: MetricsRegistry, result: string): Promise<number> {
  return metricValue(metrics, 'log_capturer_checkpoint_writes_total', { result });
}

/** Container ids as the daemon writes them: the store refuses anything else from its file. */
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const C1 = 'c1'.repeat(32);
const D = 'd'.repeat(64);

void describe('CheckpointStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lc-checkpoints-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const store = (stateDir = dir, logger = capturingLogger().logger, registry = createMetricsRegistry({ defaultMetrics: false })): CheckpointStore =>
    new CheckpointStore({ stateDir, flushIntervalMs: 60_000, logger, registry });

  void it('first run: creates the state dir, has nothing; a flush writes the documented format atomically', async () => {
    const stateDir = join(dir, 'nested', 'state');
    const s = store(stateDir);
    await s.load();
    assert.equal(s.firstRun, true);
    assert.equal(s.get(C1), undefined);
    s.commit(C1, { sinceMs: 1234, skip: 2 }, '2026-11-28T01:00:00.000000001Z', 'web');
    assert.deepEqual(s.acknowledgedTimestamps(), { [C1]: '2026-11-28T01:00:00.000000001Z' });
    await s.flush();
    const stored: unknown = JSON.parse(await readFile(join(stateDir, POSITIONS_FILE), 'utf8'));
    assert.deepEqual(stored, { version: 1, containers: { [C1]: { since_ms: 1234, skip: 2, last_timestamp: '2026-11-28T01:00:00.000000001Z', name: 'web' } } });
    assert.deepEqual(await readdir(stateDir), [POSITIONS_FILE], 'no temporary file left behind');
  });

  void it('a new store resumes from the file; forget and prune remove entries; unchanged means no write', async () => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const first = store(dir, undefined, metrics);
    await first.load();
    first.commit(A, { sinceMs: 1, skip: 0 }, 't', 'a');
    first.commit(B, { sinceMs: 2, skip: 1 }, 't', 'b');
    first.commit(C, { sinceMs: 3, skip: 1 }, 't', 'c');
    await first.close();
    const second = store();
    await second.load();
    assert.equal(second.firstRun, false);
    assert.deepEqual(second.get(B), { sinceMs: 2, skip: 1 });
    second.forget(A);
    second.retainOnly(new Set([B]));
    assert.equal(second.get(C), undefined);
    await second.flush();
    const stored = JSON.parse(await readFile(join(dir, POSITIONS_FILE), 'utf8')) as { containers: Record<string, unknown> };
    assert.deepEqual(Object.keys(stored.containers), [B]);
    assert.equal(await counter(metrics, 'ok'), 1);
    await first.flush();
    assert.equal(await counter(metrics, 'ok'), 1, 'nothing changed, nothing written');
  });

  void it('a corrupt file is reported, set aside and not trusted', async () => {
    for (const corrupt of ['{"version":1,"containers":{"c":{"since_ms":', '{"version":2,"containers":{}}', '{"version":1,"containers":{"c":{"since_ms":-5,"skip":0}}}']) {
      await rm(dir, { recursive: true, force: true });
      dir = await mkdtemp(join(tmpdir(), 'lc-checkpoints-'));
      await writeFile(join(dir, POSITIONS_FILE), corrupt);
      const { logger, lines } = capturingLogger();
      const s = store(dir, logger);
      await s.load();
      assert.equal(s.get(C), undefined);
      assert.equal(s.firstRun, false, 'a corrupt file is not a first run: initial_position must not skip logs');
      const files = await readdir(dir);
      assert.ok(!files.includes(POSITIONS_FILE), corrupt);
      assert.equal(files.filter((f) => f.startsWith(`${POSITIONS_FILE}.corrupt-`)).length, 1);
      assert.ok(lines.some((l) => l.level === 50 && /corrupt/.test(String(l.msg))), 'an error log says so');
    }
  });

  void it('keeps newest_ms of a position a long line held back, and only then', async () => {
    const first = store();
    await first.load();
    first.commit(A, { sinceMs: 10, skip: 2, newestMs: 900 }, 't', 'a');
    first.commit(B, { sinceMs: 20, skip: 1 }, 't', 'b');
    await first.close();
    const stored = JSON.parse(await readFile(join(dir, POSITIONS_FILE), 'utf8')) as { containers: Record<string, Record<string, unknown>> };
    assert.equal(stored.containers[A]?.newest_ms, 900);
    assert.equal('newest_ms' in (stored.containers[B] ?? {}), false);
    const second = store();
    await second.load();
    assert.deepEqual(second.get(A), { sinceMs: 10, skip: 2, newestMs: 900 });
    assert.deepEqual(second.get(B), { sinceMs: 20, skip: 1 });
  });

  void it('takes only 64-hex container ids from the file: any other key is ignored with a warning, never used', async () => {
    const entry = { since_ms: 7, skip: 1, last_timestamp: 't', name: 'n' };
    await writeFile(join(dir, POSITIONS_FILE), JSON.stringify({ version: 1, containers: { '..': entry, '../json': entry, [B]: entry, [B.toUpperCase()]: entry } }));
    const { logger, lines } = capturingLogger();
    const s = store(dir, logger);
    await s.load();
    assert.deepEqual(s.get(B), { sinceMs: 7, skip: 1 });
    assert.equal(s.get('..'), undefined);
    assert.equal(s.size(), 1);
    const warning = lines.find((l) => l.level === 40 && /not a 64-hex container id/.test(String(l.msg)));
    assert.equal(warning?.refused, 3);
  });

  void it('an unwritable state dir: one clear error, health false, error metric; commits still work; recovers', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const stateDir = join(blocker, 'state'); // ENOTDIR even for root
    const { logger, lines } = capturingLogger();
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const s = store(stateDir, logger, metrics);
    await s.load();
    s.commit(C, { sinceMs: 5, skip: 1 }, 't', 'n');
    await s.flush();
    await s.flush();
    assert.equal(s.healthy(), false);
    assert.deepEqual(s.get(C), { sinceMs: 5, skip: 1 }, 'positions still advance in memory');
    assert.ok((await counter(metrics, 'error')) >= 2);
    const errors = lines.filter((l) => l.level === 50);
    assert.equal(errors.length, 1, 'one error log per episode');
    assert.match(String(errors[0]?.msg), /state_dir is writable/);
    await rm(blocker);
    await s.flush();
    assert.equal(s.healthy(), true);
    assert.deepEqual(Object.keys((JSON.parse(await readFile(join(stateDir, POSITIONS_FILE), 'utf8')) as { containers: object }).containers), [C]);
  });

  void it('start flushes on its interval; stop flushes at the end', async () => {
    const s = new CheckpointStore({ stateDir: dir, flushIntervalMs: 20, logger: capturingLogger().logger, registry: createMetricsRegistry({ defaultMetrics: false }) });
    await s.load();
    s.start();
    s.commit(C, { sinceMs: 9, skip: 0 }, 't', 'n');
    const deadline = Date.now() + 10_000;
    let seen = false;
    while (!seen && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen = await readFile(join(dir, POSITIONS_FILE), 'utf8').then((t) => t.includes(`"${C}"`), () => false);
    }
    assert.ok(seen, 'the interval flushed');
    s.commit(D, { sinceMs: 10, skip: 0 }, 't', 'n');
    await s.close();
    assert.ok((await readFile(join(dir, POSITIONS_FILE), 'utf8')).includes(`"${D}"`));
  });
});
