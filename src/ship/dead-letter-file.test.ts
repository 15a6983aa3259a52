// Issue 11 item 6: dead letters grew without bound, on the volume positions.json needs, and were
// world-readable (0644) though they hold full log lines.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { metricValue } from '../../test/support/metric-values.js';
import { createMetricsRegistry } from '../telemetry/metrics-registry.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { silentLogger } from '../utils/logger.js';
import { DEAD_LETTER_FILE, DeadLetterFile, ROTATED_DEAD_LETTER_FILE } from './dead-letter-file.js';
import { ShipTelemetry } from './ship-telemetry.js';

const record = (n: number, padding = 100): Buffer => Buffer.from(`${JSON.stringify({ message: `line ${n} ${'x'.repeat(padding)}` })}\n`);

async function linesOf(path: string): Promise<Array<{ record: { message: string } }>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  assert.ok(text === '' || text.endsWith('\n'), `${path} ends with a whole line`);
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { record: { message: string } });
}

const numberOf = (entry: { record: { message: string } }): number => Number(entry.record.message.split(' ')[1]);

void describe('DeadLetterFile', () => {
  let dir: string;
  let registry: MetricsRegistry;
  let deadLetters: (maxBytes: number) => DeadLetterFile;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lc-dead-letter-'));
    registry = createMetricsRegistry({ defaultMetrics: false });
    const telemetry = new ShipTelemetry(registry, silentLogger());
    deadLetters = (maxBytes) => new DeadLetterFile({ stateDir: dir, maxBytes, telemetry });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void it('keeps at most max_bytes in the file and one rotated file, drops the oldest records and counts them', async () => {
    const file = deadLetters(4096);
    const total = 200;
    for (let n = 0; n < total; n += 5) await file.write([0, 1, 2, 3, 4].map((i) => record(n + i)), 'refused by the receiver', 400);

    const current = await linesOf(join(dir, DEAD_LETTER_FILE));
    const rotated = await linesOf(join(dir, ROTATED_DEAD_LETTER_FILE));
    assert.ok((await stat(join(dir, DEAD_LETTER_FILE))).size <= 4096, 'the file stays within its bound');
    assert.ok((await stat(join(dir, ROTATED_DEAD_LETTER_FILE))).size <= 4096, 'so does the rotated one');
    // The newest records are kept, without a gap: the rotated file then the current one end at the last record.
    const kept = [...rotated, ...current].map(numberOf);
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => total - kept.length + i));
    assert.ok(kept.length > 0 && kept.length < total);
    assert.equal(current[0]?.record.message.startsWith('line '), true);
    const dropped = await metricValue(registry, 'log_capturer_dead_letter_dropped_events_total', { reason: 'rotated' });
    assert.equal(dropped, total - kept.length, 'every record no longer on disk is counted');
  });

  void it('drops a record larger than the bound by itself, counts it, and writes the others', async () => {
    const file = deadLetters(2048);
    await file.write([record(1), record(2, 4000), record(3)], 'too large for the receiver even alone (413)', 413);
    assert.deepEqual((await linesOf(join(dir, DEAD_LETTER_FILE))).map(numberOf), [1, 3]);
    assert.equal(await metricValue(registry, 'log_capturer_dead_letter_dropped_events_total', { reason: 'too_large' }), 1);
    assert.equal(await metricValue(registry, 'log_capturer_dead_letter_dropped_events_total', { reason: 'rotated' }), 0);
  });

  void it('creates its files 0600, whatever the umask, and narrows an older 0644 file', async () => {
    const previous = process.umask(0);
    try {
      const file = deadLetters(1024);
      await file.write([record(1), record(2), record(3), record(4), record(5), record(6), record(7), record(8), record(9)], 'refused', 400);
      assert.equal((await stat(join(dir, DEAD_LETTER_FILE))).mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, ROTATED_DEAD_LETTER_FILE))).mode & 0o777, 0o600, 'the rotated file too');

      const older = await mkdtemp(join(tmpdir(), 'lc-dead-letter-old-'));
      try {
        await writeFile(join(older, DEAD_LETTER_FILE), '');
        await chmod(join(older, DEAD_LETTER_FILE), 0o644);
        await new DeadLetterFile({ stateDir: older, maxBytes: 64 * 1024 * 1024, telemetry: new ShipTelemetry(createMetricsRegistry({ defaultMetrics: false }), silentLogger()) }).write([record(1)], 'refused', 400);
        assert.equal((await stat(join(older, DEAD_LETTER_FILE))).mode & 0o777, 0o600);
      } finally {
        await rm(older, { recursive: true, force: true });
      }
    } finally {
      process.umask(previous);
    }
  });
});
