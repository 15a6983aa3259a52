import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from './backoff.js';

void describe('Backoff', () => {
  void it('doubles up to the cap, with jitter between half and all of the step', () => {
    const lowest = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => lowest.next()), [50, 100, 200, 400, 500, 500]);
    const highest = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 1);
    assert.deepEqual([1, 2, 3, 4, 5].map(() => highest.next()), [100, 200, 400, 800, 1000]);
  });

  void it('starts over after reset() and counts attempts', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 1);
    backoff.next();
    backoff.next();
    assert.equal(backoff.attempts, 2);
    backoff.reset();
    assert.equal(backoff.attempts, 0);
    assert.equal(backoff.next(), 100);
  });

  void it('stays finite for huge attempt counts and sane for nonsense options', () => {
    const backoff = new Backoff({ initialMs: 250, maxMs: 30_000 }, () => 0.5);
    let last = 0;
    for (let i = 0; i < 2000; i += 1) last = backoff.next();
    assert.equal(last, 22_500);
    const odd = new Backoff({ initialMs: 0, maxMs: -5 }, () => 1);
    assert.equal(odd.next(), 1);
  });
});
