import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { eventId, murmur3x86Hash128 } from './event-id.js';

// An independent implementation that states it matches the reference C++ (npm: murmurhash3js-revisited).
const reference = createRequire(import.meta.url)('murmurhash3js-revisited') as {
  x86: { hash128: (bytes: Uint8Array, seed?: number) => string };
};

const ID = 'a'.repeat(64);

void describe('event ids', () => {
  it('is MurmurHash3 x86 128 exactly as the reference computes it, for every tail length', () => {
    for (let length = 0; length <= 80; length += 1) {
      const bytes = randomBytes(length);
      assert.equal(murmur3x86Hash128(bytes), reference.x86.hash128(bytes, 0), `length ${length}`);
    }
    assert.equal(murmur3x86Hash128(Buffer.alloc(0)), '00000000000000000000000000000000');
  });

  it('is the first 16 hex digits of the hash of `id\\ntimestamp\\nstream\\nordinal`', () => {
    const timestamp = '2026-11-29T04:01:02.123456789Z';
    const text = Buffer.from(`${ID}\n${timestamp}\nstderr\n3`, 'utf8');
    assert.equal(eventId(ID, timestamp, 'stderr', 3), reference.x86.hash128(text, 0).slice(0, 16));
    assert.match(eventId(ID, timestamp, 'stdout', 0), /^[0-9a-f]{16}$/);
  });

  it('differs when any of the four parts differs', () => {
    const timestamp = '2026-11-29T04:01:02.123456789Z';
    const ids = new Set([
      eventId(ID, timestamp, 'stdout', 0),
      eventId('b'.repeat(64), timestamp, 'stdout', 0),
      eventId(ID, '2026-11-29T04:01:02.123456790Z', 'stdout', 0),
      eventId(ID, timestamp, 'stderr', 0),
      eventId(ID, timestamp, 'stdout', 1),
    ]);
    assert.equal(ids.size, 5);
  });

  it('gives the reference value whatever container came before (the per-container cache) and for ids of any length or alphabet', () => {
    const timestamp = '2026-11-29T04:01:02.123456789Z';
    const ids = [ID, 'b'.repeat(64), 'short-id', 'x'.repeat(20), 'ünïcode-id-ü', ID, 'short-id', 'é'];
    for (const [n, id] of ids.entries()) {
      const text = Buffer.from(`${id}\n${timestamp}\nstdout\n${n}`, 'utf8');
      assert.equal(eventId(id, timestamp, 'stdout', n), reference.x86.hash128(text, 0).slice(0, 16), id);
    }
  });

  it('handles input longer than its scratch buffer the same way', () => {
    const long = 'c'.repeat(300);
    const text = Buffer.from(`${long}\nT\nstdout\n0`, 'utf8');
    assert.equal(eventId(long, 'T', 'stdout', 0), reference.x86.hash128(text, 0).slice(0, 16));
  });

  it('is unique across 1,000,000 lines of a burst written within the same milliseconds', () => {
    // The worst case for the inputs: one container, a few hundred lines per millisecond,
    // Docker's nanosecond stamps close together, and runs of lines sharing one stamp (ordinals).
    const seen = new Set<string>();
    const base = Date.UTC(2026, 10, 29, 4, 0, 0);
    let nanos = 0;
    for (let line = 0; line < 1_000_000; line += 1) {
      if (line % 4 !== 0) nanos += 1 + (line % 7); // every fourth line shares the previous stamp
      const ms = base + Math.floor(nanos / 1_000_000);
      const timestamp = `${new Date(ms).toISOString().slice(0, 19)}.${String((ms % 1000) * 1_000_000 + (nanos % 1_000_000)).padStart(9, '0')}Z`;
      const ordinal = line % 4 === 0 ? 1 : 0;
      seen.add(eventId(ID, timestamp, line % 3 === 0 ? 'stderr' : 'stdout', ordinal));
    }
    assert.equal(seen.size, 1_000_000);
  });
});
