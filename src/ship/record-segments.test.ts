import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordMemory, recordView } from './record-segments.js';
import type { RecordSegment, SegmentOwner, SegmentRecord } from './record-segments.js';

class Owner implements SegmentOwner {
  segment: RecordSegment | undefined;
  backlog = 0;
}

/** Writes `text` as one record of `owner`, as the pipeline does (reserve = twice the size). */
function write(memory: RecordMemory, owner: Owner, text: string, reserve = 2 * text.length): SegmentRecord {
  const segment = memory.segmentFor(owner, reserve <= memory.maxSegmentBytes ? reserve : text.length, owner.backlog);
  const start = segment.used;
  const end = start + segment.buffer.write(text, start, 'latin1');
  memory.written(segment, end);
  owner.backlog += text.length;
  return { segment, start, length: end - start };
}

/** Capacity of the distinct segments these records are in. */
function capacityOf(records: SegmentRecord[], extra: RecordSegment[] = []): number {
  const segments = new Set<RecordSegment>([...records.map((r) => r.segment), ...extra]);
  let total = 0;
  for (const segment of segments) total += segment.buffer.length;
  return total;
}

void describe('RecordMemory', () => {
  void it('joins one container\'s neighbouring records as a view, without a copy', () => {
    const memory = new RecordMemory(64 * 1024 * 1024);
    const owner = new Owner();
    const records = ['a\n', 'bb\n', 'ccc\n'].map((text) => write(memory, owner, text));
    const body = memory.join(records);
    assert.equal(body.toString(), 'a\nbb\nccc\n');
    assert.equal(body.buffer, records[0]?.segment.buffer.buffer, 'a view of the segment');
    assert.equal(memory.heldBytes, memory.minSegmentBytes);
    memory.release(records);
    assert.equal(memory.heldBytes, 0, 'an idle container holds nothing');
    assert.equal(owner.segment, undefined);
  });

  void it('copies records of several containers into a body they move to, and counts every byte held', () => {
    const memory = new RecordMemory(64 * 1024 * 1024);
    const a = new Owner();
    const b = new Owner();
    const records = [write(memory, a, 'a1\n'), write(memory, b, 'b1\n'), write(memory, a, 'a2\n')];
    const later = write(memory, a, 'a3\n'); // stays queued
    assert.equal(memory.heldBytes, 2 * memory.minSegmentBytes);
    const body = memory.join([records[0], records[2], records[1]] as SegmentRecord[]);
    assert.equal(body.toString(), 'a1\na2\nb1\n');
    // b's segment lost its only record and is freed; a's keeps `later`; the body is counted.
    assert.equal(memory.heldBytes, memory.minSegmentBytes + body.length);
    assert.equal(b.segment, undefined);
    assert.deepEqual(records.map((r) => recordView(r).toString()), ['a1\n', 'b1\n', 'a2\n']);
    assert.equal(recordView(later).toString(), 'a3\n');
    // Halves of a copied batch are views of the body.
    assert.equal(memory.join([records[0], records[2]] as SegmentRecord[]).buffer, body.buffer);
    memory.release(records);
    assert.equal(memory.heldBytes, memory.minSegmentBytes);
    memory.release([later]);
    assert.equal(memory.heldBytes, 0);
  });

  void it('grows segments with a container\'s backlog, up to the largest size, and releases them in any order', () => {
    const memory = new RecordMemory(64 * 1024 * 1024);
    const owner = new Owner();
    const line = `${'x'.repeat(470)}\n`;
    const records: SegmentRecord[] = [];
    for (let i = 0; i < 20_000; i += 1) records.push(write(memory, owner, line));
    const sizes = [...new Set(records.map((r) => r.segment))].map((s) => s.buffer.length);
    assert.equal(sizes[0], memory.minSegmentBytes);
    assert.equal(Math.max(...sizes), memory.maxSegmentBytes);
    assert.ok(sizes.every((size, i) => i === 0 || size >= (sizes[i - 1] as number)), 'never shrinks while the backlog grows');
    assert.equal(memory.heldBytes, capacityOf(records));
    // Held beyond the records: at most the unused tail of each segment (a record's reserve in
    // closed segments, the rest of the current one).
    const used = records.reduce((sum, r) => sum + r.length, 0);
    assert.ok(memory.heldBytes - used <= sizes.length * 2 * line.length + memory.maxSegmentBytes);
    // Batches of 1,000 are released out of order (retries): every segment is freed exactly once.
    const batches: SegmentRecord[][] = [];
    for (let i = 0; i < records.length; i += 1000) batches.push(records.slice(i, i + 1000));
    for (const batch of batches) memory.join(batch);
    for (const batch of [...batches.filter((_, i) => i % 2 === 1), ...batches.filter((_, i) => i % 2 === 0)]) memory.release(batch);
    assert.equal(memory.heldBytes, 0);
  });

  void it('keeps within max_bytes but for the one record that goes over, as the byte count did', () => {
    const maxBytes = 64 * 1024;
    const memory = new RecordMemory(maxBytes);
    const owners = [new Owner(), new Owner(), new Owner(), new Owner()];
    const line = `${'y'.repeat(300)}\n`;
    let peak = 0;
    let written = 0;
    while (memory.heldBytes <= maxBytes) {
      write(memory, owners[written % owners.length] as Owner, line);
      written += 1;
      peak = Math.max(peak, memory.heldBytes);
    }
    assert.ok(peak <= maxBytes + 2 * line.length, `held ${peak} bytes, bound ${maxBytes} + one reserve ${2 * line.length}`);
    assert.ok(written * line.length > maxBytes / 2, `records filled the memory (${written} records), not empty segments`);
  });

  void it('gives a line longer than the largest segment a segment of its exact size', () => {
    const memory = new RecordMemory(1024 * 1024);
    const owner = new Owner();
    const small = write(memory, owner, 'small\n');
    const huge = 'z'.repeat(memory.maxSegmentBytes + 10);
    const record = write(memory, owner, huge, 6 * huge.length);
    assert.equal(record.segment.buffer.length, huge.length);
    assert.equal(recordView(record).toString(), huge);
    assert.notEqual(small.segment, record.segment);
    memory.release([small, record]);
    assert.equal(memory.heldBytes, 0);
  });
});
