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
      const rest = resumeFrom(lines, consumed, new PositionTracker());
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
