import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearerTokenMatches } from './bearer-token.js';

void describe('bearerTokenMatches', () => {
  void it('accepts exactly the configured token', () => {
    assert.equal(bearerTokenMatches('Bearer s3cr3t', 's3cr3t'), true);
    assert.equal(bearerTokenMatches('bearer s3cr3t', 's3cr3t'), true);
  });

  void it('refuses a missing, empty, wrong, longer, shorter or non-bearer credential', () => {
    assert.equal(bearerTokenMatches(undefined, 's3cr3t'), false);
    assert.equal(bearerTokenMatches('', 's3cr3t'), false);
    assert.equal(bearerTokenMatches('Bearer ', 's3cr3t'), false);
    assert.equal(bearerTokenMatches('Bearer s3cr3T', 's3cr3t'), false);
    assert.equal(bearerTokenMatches('Bearer s3cr3tX', 's3cr3t'), false);
    assert.equal(bearerTokenMatches('Bearer s3cr3', 's3cr3t'), false);
    assert.equal(bearerTokenMatches('Basic s3cr3t', 's3cr3t'), false);
    assert.equal(bearerTokenMatches('s3cr3t', 's3cr3t'), false);
  });

  void it('never matches an empty expected token', () => {
    assert.equal(bearerTokenMatches('Bearer ', ''), false);
  });
});
