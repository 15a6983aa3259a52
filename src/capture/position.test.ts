import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BEGINNING, PositionTracker, comparePositions, sinceParam, timestampMs } from './position.js';

const T = (ms: number, ns = 0): string => {
  const iso = new Date(ms).toISOString(); // 2026-11-28T01:43:21.152Z
  return `${iso.slice(0, 23)}${String(ns).padStart(6, '0')}Z`;
};

/**
 * Models the daemon: lines in file order with timestamps. `reopen(p)` returns what the daemon
 * sends for since=p.sinceMs after skipping p.skip lines: that is the contract positions rely on.
 */
function resumeFrom(lines: string[], observedCount: number, track: PositionTracker): string[] {
  for (let i = 0; i < observedCount; i += 1) track.observe(lines[i] as string);
  const p = track.position();
  const sent = lines.filter((ts) => timestampMs(ts) >= p.sinceMs);
  return sent.slice(p.skip);
}

describe('position', () => {
  it('formats since as SECONDS.NANOSECONDS and keeps 0 for the beginning', () => {
    assert.equal(sinceParam(BEGINNING), '0');
    assert.equal(sinceParam({ sinceMs: 1764294201152, skip: 3 }), '1764294201.152000000');
    assert.equal(sinceParam({ sinceMs: 1764294201007, skip: 0 }), '1764294201.007000000');
  });

  it('parses Docker timestamps to the millisecond without rounding', () => {
    assert.equal(timestampMs('2026-11-28T01:43:21.152999999Z'), Date.UTC(2026, 10, 28, 1, 43, 21, 152));
    assert.throws(() => timestampMs('yesterday'), /not an RFC 3339 timestamp/);
  });

  it('orders positions by since, then skip', () => {
    assert.ok(comparePositions({ sinceMs: 1, skip: 9 }, { sinceMs: 2, skip: 0 }) < 0);
    assert.ok(comparePositions({ sinceMs: 2, skip: 1 }, { sinceMs: 2, skip: 0 }) > 0);
  });

  it('resumes exactly after any prefix, with shared timestamps and out-of-order lines', () => {
    const base = Date.UTC(2026, 10, 28, 1, 0, 0, 0);
    // Shared timestamps (same ns), a jump of several ms, and lines written up to 1 ms late.
    const lines = [
      T(base, 1), T(base, 1), T(base, 1), T(base + 1, 5), T(base, 999), T(base + 1, 5),
      T(base + 5, 0), T(base + 5, 0), T(base + 4, 100), T(base + 6, 0), T(base + 6, 0), T(base + 9, 1),
    ];
    for (let consumed = 0; consumed <= lines.length; consumed += 1) {
      const rest = resumeFrom(lines, consumed, new PositionTracker(BEGINNING, 1));
      assert.deepEqual(rest, lines.slice(consumed), `after ${consumed} lines`);
    }
  });

  it('stays exact across a chain of reopenings that each observe their skipped lines', () => {
    const base = Date.UTC(2026, 10, 28, 2, 0, 0, 0);
    const lines: string[] = [];
    for (let i = 0; i < 200; i += 1) lines.push(T(base + Math.floor(i / 7), (i % 3) * 10));
    let position = BEGINNING;
    const delivered: string[] = [];
    for (const step of [1, 5, 13, 2, 40, 7, 7, 60, 1, 200]) {
      const tracker = new PositionTracker(position);
      const sent = lines.filter((ts) => timestampMs(ts) >= position.sinceMs);
      sent.slice(0, position.skip).forEach((ts) => tracker.observe(ts)); // discarded, but observed
      const fresh = sent.slice(position.skip, position.skip + step);
      fresh.forEach((ts) => tracker.observe(ts));
      delivered.push(...fresh);
      position = tracker.position();
    }
    assert.deepEqual(delivered, lines);
  });

  it('does not reach back before the start position (initial_position: end)', () => {
    const start = { sinceMs: Date.UTC(2026, 10, 28, 3, 0, 0, 500), skip: 0 };
    const tracker = new PositionTracker(start);
    assert.deepEqual(tracker.position(), start);
    tracker.observe(T(start.sinceMs, 10));
    assert.deepEqual(tracker.position(), { sinceMs: start.sinceMs, skip: 1 });
  });
});

describe('position with lines written late', () => {
  it('tolerates a line landing in the file up to the window behind newer ones', () => {
    const base = Date.UTC(2026, 10, 28, 4, 30, 0, 0);
    // stdout writes a burst stamped over 6 ms while a stderr line stamped at its start waits.
    const lines = [T(base, 0), T(base + 1, 0), T(base + 3, 0), T(base + 6, 0), T(base, 500), T(base + 7, 0)];
    for (let consumed = 0; consumed <= lines.length; consumed += 1) {
      assert.deepEqual(resumeFrom(lines, consumed, new PositionTracker()), lines.slice(consumed), `after ${consumed}`);
    }
    // With a 1 ms window the late line is lost when the stream closes just before it.
    assert.notDeepEqual(resumeFrom(lines, 4, new PositionTracker(BEGINNING, 1)), lines.slice(4));
  });

  it('slides the window over gaps longer than the window', () => {
    const base = Date.UTC(2026, 10, 28, 4, 31, 0, 0);
    const lines = [T(base, 0), T(base, 1), T(base + 10_000, 0), T(base + 10_000, 0), T(base + 10_100, 0), T(base + 30_000, 5)];
    for (let consumed = 0; consumed <= lines.length; consumed += 1) {
      assert.deepEqual(resumeFrom(lines, consumed, new PositionTracker()), lines.slice(consumed), `after ${consumed}`);
    }
  });
});

describe('position with a partial line pending', () => {
  it('does not pass an unfinished line, and counts what completed after it', () => {
    const base = Date.UTC(2026, 10, 28, 4, 0, 0, 0);
    // File order: a, b (stdout); L (stderr, 3 frames) interleaved with c, d (stdout, 5 ms later).
    const a = T(base, 1);
    const b = T(base + 1, 1);
    const longLine = T(base + 1, 500);
    const c = T(base + 6, 0);
    const d = T(base + 7, 0);
    // The parser emits a line when its last frame arrives: a, b, c, d, then L.
    const emitted = [a, b, c, d, longLine];
    const tracker = new PositionTracker(BEGINNING, 1); // a 1 ms late-write window keeps the numbers small
    tracker.observe(a);
    tracker.observe(b);
    tracker.pin(longLine); // L's first frame arrived
    tracker.observe(c);
    tracker.observe(d);
    // Closed now, with L unfinished: reopening must bring L, and only L, back.
    const p = tracker.position();
    assert.ok(p.sinceMs <= timestampMs(longLine), 'since does not pass the unfinished line');
    assert.deepEqual(emitted.filter((ts) => timestampMs(ts) >= p.sinceMs).slice(p.skip), [longLine]);
    // Without the pin, the window would have moved past L and it would be lost.
    const unpinned = new PositionTracker(BEGINNING, 1);
    [a, b, c, d].forEach((ts) => unpinned.observe(ts));
    assert.deepEqual(emitted.filter((ts) => timestampMs(ts) >= unpinned.position().sinceMs).slice(unpinned.position().skip), []);
    tracker.unpin();
    tracker.observe(longLine);
    assert.deepEqual(tracker.position(), { sinceMs: base + 6, skip: 2 });
  });
});

describe('position resumed mid-log (the file route reopens at a byte offset)', () => {
  /** A run of lines: bursts sharing a millisecond, lines late by up to 200 ms, pauses longer than the window. */
  function lines(seed: number, count: number): string[] {
    let state = seed;
    const random = (): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    const base = Date.UTC(2026, 10, 28, 1, 0, 0, 0);
    let ms = base;
    const out: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const r = random();
      if (r < 0.02) ms += 300 + Math.floor(random() * 400); // a pause longer than the window
      else if (r < 0.4) ms += Math.floor(random() * 5);
      const late = random() < 0.05 ? Math.floor(random() * 200) : 0;
      out.push(T(Math.max(base, ms - late), i % 1000));
    }
    return out;
  }

  it('after any chain of reopenings, the time position still resumes the API route exactly', () => {
    for (let seed = 1; seed <= 40; seed += 1) {
      const all = lines(seed, 3000);
      // Reopen at irregular points: each reader is told the lines before were not observed by it.
      let consumed = 0;
      let position = { ...BEGINNING };
      let resumed = false;
      let state = seed * 7;
      while (consumed < all.length) {
        state = (state * 69069 + 1) % 4294967296;
        const take = Math.min(all.length - consumed, 1 + (state % 400));
        const track = new PositionTracker(position, undefined, 1, resumed);
        for (let i = consumed; i < consumed + take; i += 1) track.observe(all[i] as string);
        consumed += take;
        position = track.position();
        resumed = true;
        // What the API route would send from here: since, then skip.
        const sent = all.filter((ts) => timestampMs(ts) >= position.sinceMs).slice(position.skip);
        assert.deepEqual(sent, all.slice(consumed), `seed ${seed}: after ${consumed} lines, position ${JSON.stringify(position)}`);
      }
    }
  });
});
