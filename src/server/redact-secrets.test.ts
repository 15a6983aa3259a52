import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stripUrlCredentials } from '../utils/url-credentials.js';
import { redactSecrets } from './redact-secrets.js';

void describe('redactSecrets', () => {
  void it('strips credentials from URLs in text', () => {
    assert.equal(stripUrlCredentials('POST https://bob:pw@vector:8080/ failed'), 'POST https://[redacted]@vector:8080/ failed');
    assert.equal(stripUrlCredentials('http://vector:8080/'), 'http://vector:8080/');
  });

  void it('replaces secret-looking keys at any depth and keeps everything else', () => {
    const input = { sink: { url: 'http://u:p@h/', auth: { username: 'u', password: 'p' }, headers: { Authorization: 'Basic x' } }, statusToken: 't', lines: [1, 2], ok: true, none: null };
    assert.deepEqual(redactSecrets(input), {
      sink: { url: 'http://[redacted]@h/', auth: { username: 'u', password: '[redacted]' }, headers: { Authorization: '[redacted]' } },
      statusToken: '[redacted]', lines: [1, 2], ok: true, none: null,
    });
  });
});
