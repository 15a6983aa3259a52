import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandInReceiver } from '../../../test/support/stand-in-receiver.js';
import { classify, HttpSink } from './http-sink.js';

const body = Buffer.from('{"message":"x"}\n');

void describe('classify (the contracts\' outcome table)', () => {
  void it('maps statuses to outcomes', () => {
    const table: Array<[number, string]> = [
      [200, 'delivered'], [201, 'delivered'], [202, 'delivered'], [204, 'delivered'],
      [413, 'too-large'], [400, 'rejected'],
      [401, 'config-error'], [403, 'config-error'], [404, 'config-error'], [405, 'config-error'], [415, 'config-error'],
      [429, 'retry'], [500, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'], [507, 'retry'], [422, 'retry'],
    ];
    for (const [status, kind] of table) assert.equal(classify('vector', status, '').kind, kind, `vector ${status}`);
    for (const status of [200, 201, 204]) assert.equal(classify('fluentbit', status, '').kind, 'delivered');
    assert.equal(classify('fluentbit', 202, '').kind, 'retry', 'fluentbit success is exactly 200/201/204');
  });
});

void describe('HttpSink', () => {
  void it('sends basic auth (also taken from URL credentials), never shows the password', async () => {
    const receiver = await startStandInReceiver({ kind: 'vector', auth: { username: 'u', password: 's3cret-pw' } });
    const withUrlCredentials = receiver.url.replace('http://', 'http://u:s3cret-pw@');
    const sink = new HttpSink({ kind: 'vector', url: withUrlCredentials, compression: 'none', headers: { 'x-extra': '1' }, requestTimeoutMs: 5000, connections: 1 });
    const wrong = new HttpSink({ kind: 'vector', url: receiver.url, auth: { username: 'u', password: 'wrong-pw' }, compression: 'none', headers: {}, requestTimeoutMs: 5000, connections: 1 });
    try {
      assert.ok(!sink.displayUrl.includes('s3cret-pw'));
      // What /status shows as sink.url: the credentials are there, their value is not.
      assert.match(sink.displayUrl, /^http:\/\/\[redacted\]@127\.0\.0\.1:\d+\//);
      assert.deepEqual(await sink.send(body, 1), { kind: 'delivered' });
      const refused = await wrong.send(body, 1);
      assert.equal(refused.kind, 'config-error');
      assert.ok(!JSON.stringify(refused).includes('wrong-pw'));
      assert.equal(receiver.requests[0]?.contentType, 'application/x-ndjson');
    } finally {
      await sink.close();
      await wrong.close();
      await receiver.stop();
    }
  });

  void it('connection refused and timeouts are retries', async () => {
    const receiver = await startStandInReceiver({ kind: 'vector' });
    const sink = new HttpSink({ kind: 'vector', url: receiver.url, compression: 'none', headers: {}, requestTimeoutMs: 200, connections: 1 });
    try {
      receiver.delayReplies(2000);
      const slow = await sink.send(body, 1);
      assert.equal(slow.kind === 'retry' ? slow.cause : slow.kind, 'timeout');
      await receiver.refuseConnections();
      const refused = await sink.send(body, 1);
      assert.equal(refused.kind, 'retry');
      assert.match(refused.kind === 'retry' ? refused.detail : '', /ECONNREFUSED/);
    } finally {
      await sink.close();
      await receiver.stop();
    }
  });
});
