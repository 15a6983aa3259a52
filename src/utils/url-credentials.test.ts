import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stripUrlCredentials, stripUrlValueCredentials } from './url-credentials.js';

void describe('stripUrlCredentials (free text: logs, errors, /status)', () => {
  void it('hides user:password in every URL of a text and leaves the rest alone', () => {
    const cases: Array<[string, string]> = [
      ['POST http://alice:S3cretPass@127.0.0.1:9/ failed', 'POST http://[redacted]@127.0.0.1:9/ failed'],
      ['tcp://alice:S3cretPass@127.0.0.1:2375', 'tcp://[redacted]@127.0.0.1:2375'],
      ['see http://a:S3cret@c and https://d:S3cret@f.', 'see http://[redacted]@c and https://[redacted]@f.'],
      ['http://h/?next=http://u:S3cret@o/', 'http://h/?next=http://[redacted]@o/'],
      // Malformed: the port is out of range, or the password holds / # ? or @.
      ['http://alice:S3cretPass@127.0.0.1:99999/', 'http://[redacted]@127.0.0.1:99999/'],
      ['http://alice:S3c/retPass@host/', 'http://[redacted]@host/'],
      ['http://alice:S3c#retPass@host/', 'http://[redacted]@host/'],
      ['http://alice:S3c@retPass@host/x', 'http://[redacted]@host/x'],
      // Without `//`, a URL parser calls the user name a scheme.
      ['got "alice:S3cretPass@127.0.0.1:9/" (x)', 'got "[redacted]@127.0.0.1:9/" (x)'],
      ['http://vector:8080/', 'http://vector:8080/'],
      ['http://host/path@version', 'http://host/path@version'],
      ['unix:///var/run/docker.sock', 'unix:///var/run/docker.sock'],
      ['no URL, but an @ sign', 'no URL, but an @ sign'],
    ];
    for (const [text, expected] of cases) assert.equal(stripUrlCredentials(text), expected, text);
  });

  void it('is idempotent', () => {
    const once = stripUrlCredentials('x http://alice:S3cretPass@h/ y');
    assert.equal(stripUrlCredentials(once), once);
  });
});

void describe('stripUrlValueCredentials (one configuration value)', () => {
  void it('treats the whole value as one URL, so a space or a quote in the password hides it all', () => {
    assert.equal(stripUrlValueCredentials('http://alice:S3cret Pass@127.0.0.1:9/'), 'http://[redacted]@127.0.0.1:9/');
    assert.equal(stripUrlValueCredentials('http://alice:S3cret"Pass@127.0.0.1:9/'), 'http://[redacted]@127.0.0.1:9/');
    assert.equal(stripUrlValueCredentials('alice:S3cret Pass@127.0.0.1:2375'), '[redacted]@127.0.0.1:2375');
    assert.equal(stripUrlValueCredentials('http://a:S3cret@c/?x=http://d:S3cret@f'), 'http://[redacted]@c/?x=http://[redacted]@f');
    assert.equal(stripUrlValueCredentials('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080/');
    assert.equal(stripUrlValueCredentials('web-*'), 'web-*');
  });
});
