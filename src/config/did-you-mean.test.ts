import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { didYouMean, editDistance } from './did-you-mean.js';

void describe('didYouMean', () => {
  void it('measures edit distance', () => {
    assert.equal(editDistance('url', 'urll'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
  });

  void it('suggests the nearest sibling for a typo', () => {
    const sinkKeys = ['type', 'url', 'auth', 'compression', 'batch', 'max_in_flight', 'request_timeout', 'retry', 'headers'];
    assert.equal(didYouMean('urll', sinkKeys), 'url');
    assert.equal(didYouMean('compresion', sinkKeys), 'compression');
    assert.equal(didYouMean('max_inflight', sinkKeys), 'max_in_flight');
    assert.equal(didYouMean('Headers', sinkKeys), 'headers');
  });

  void it('suggests nothing for an unrelated word', () => {
    assert.equal(didYouMean('colour', ['type', 'url', 'auth']), undefined);
    assert.equal(didYouMean('anything', []), undefined);
  });
});
