import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TAIL, MIN_TAIL, TailWindowPlanner, WIDEN } from './tail-window.js';

void describe('TailWindowPlanner', () => {
  const at = { sinceMs: 1_000_000, skip: 40 };

  void it('reads from the beginning, by a window sized from skip, or by since/all where windows are off', () => {
    const planner = new TailWindowPlanner(() => true);
    assert.deepEqual(planner.plan({ sinceMs: 0, skip: 0 }, 5), { kind: 'beginning' });
    assert.deepEqual(planner.plan(at, 2_000_000), { kind: 'tail', tail: 2 * 40 + MIN_TAIL }, 'nothing known about the rate: the skipped lines, twice, and a margin');
    assert.deepEqual(new TailWindowPlanner(() => false).plan(at, 0), { kind: 'since' });
    assert.deepEqual(new TailWindowPlanner(() => false, () => false).plan(at, 0), { kind: 'all' }, 'the daemon\'s since is not trusted: the whole log, filtered here');
  });

  void it('sizes the window by what the container wrote since the last read (its rate in log time), within a cap', () => {
    const planner = new TailWindowPlanner(() => true);
    // 2,000 lines spanning 10 s of log time: 0.2 lines/ms; read 0.1 s ago: 20 more lines.
    planner.learn({ verdict: undefined, tail: undefined, lines: 2000, logSpanMs: 10_000, now: 100_000 });
    assert.deepEqual(planner.plan(at, 100_100), { kind: 'tail', tail: Math.ceil(2 * (40 + 0.2 * 100)) + MIN_TAIL });
    // Read 1 h ago: the guess (720,000 lines) is capped at 4 windows' worth; widening finds the rest.
    assert.deepEqual(planner.plan(at, 100_000 + 3_600_000), { kind: 'tail', tail: 2 * (40 + 4 * (40 + MIN_TAIL)) + MIN_TAIL });
  });

  void it('widens by WIDEN up to MAX_TAIL, then falls back', () => {
    const planner = new TailWindowPlanner(() => true);
    assert.deepEqual(planner.widen({ kind: 'tail', tail: 100 }), { opening: { kind: 'tail', tail: 100 * WIDEN } });
    assert.deepEqual(planner.widen({ kind: 'tail', tail: MAX_TAIL }), { opening: { kind: 'since' }, fallback: 'too_large' });
  });

  void it('after a window showed the whole log is small, reads by since until as many more lines came', () => {
    const planner = new TailWindowPlanner(() => true);
    assert.equal(planner.learn({ verdict: 'whole', tail: 500, lines: 0, logSpanMs: 0, now: 1 }), 'small_log');
    assert.deepEqual(planner.plan(at, 2), { kind: 'since' });
    planner.learn({ verdict: undefined, tail: undefined, lines: 499, logSpanMs: 10, now: 3 });
    assert.deepEqual(planner.plan(at, 4), { kind: 'since' });
    planner.learn({ verdict: undefined, tail: undefined, lines: 1, logSpanMs: 10, now: 5 });
    assert.equal(planner.plan(at, 6).kind, 'tail');
  });
});
