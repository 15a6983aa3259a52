import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff.js';

void describe('backoffDelay', () => {
  void it('draws from [0, min(max, initial * 2^attempt)): full jitter, capped', () => {
    assert.equal(backoffDelay(0, 250, 30_000, () => 0.999999), 249);
    assert.equal(backoffDelay(3, 250, 30_000, () => 0.5), 1000);
    assert.equal(backoffDelay(10, 250, 30_000, () => 0.5), 15_000);
    assert.equal(backoffDelay(1000, 250, 30_000, () => 0.5), 15_000, 'huge attempt counts stay finite');
    assert.equal(backoffDelay(5, 250, 30_000, () => 0), 0);
  });
});
