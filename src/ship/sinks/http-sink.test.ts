import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startHostileReceiver } from '../../../test/support/hostile-receiver.js';
import { startStandInReceiver } from '../../../test/support/stand-in-receiver.js';
import { classify, DETAIL_LIMIT, HttpSink } from './http-sink.js';

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

// Issue 11 item 4: a receiver must not hold a request beyond sink.request_timeout, nor make us
// read (and spend CPU on) a body of any size. The receivers here run in this process on timers,
// so the client's deadline (due first) always fires before a body that takes longer can finish:
// the assertions hold on a loaded machine too.
void describe('HttpSink against hostile receivers', () => {
  const sinkFor = (url: string, requestTimeoutMs: number): HttpSink =>
    new HttpSink({ kind: 'vector', url, compression: 'none', headers: {}, requestTimeoutMs, connections: 1 });

  void it('200, then the body a byte at a time: delivered at the deadline, the connection destroyed, the body not awaited', async () => {
    // 100 bytes at one per 50 ms take 5 s; each gap is far below the 500 ms timeout, so an idle
    // (body) timeout never fires and a client that reads to the end waits the whole 5 s.
    const receiver = await startHostileReceiver({ kind: 'slow-body', status: 200, bodyBytes: 100, intervalMs: 50 });
    const sink = sinkFor(receiver.url, 500);
    try {
      assert.deepEqual(await sink.send(body, 1), { kind: 'delivered' }, 'the status is the answer');
      await receiver.closedConnections(1);
      const [connection] = receiver.connections;
      assert.equal(connection?.finished, false, `the client gave up before the body ended (it got ${connection?.bodyBytesWritten} of 100 bytes)`);
    } finally {
      await sink.destroy();
      await receiver.stop();
    }
  });

  void it('a 500 with a 256 MiB body: we read a short prefix for the log and close the connection', async () => {
    const total = 256 * 1024 * 1024;
    const receiver = await startHostileReceiver({ kind: 'huge-body', status: 500, bodyBytes: total, prefix: 'upstream exploded; '.repeat(40) });
    const sink = sinkFor(receiver.url, 60_000);
    try {
      const outcome = await sink.send(body, 1);
      assert.equal(outcome.kind, 'retry');
      assert.equal(outcome.kind === 'retry' ? outcome.status : undefined, 500);
      const detail = outcome.kind === 'retry' ? outcome.detail : '';
      assert.match(detail, /^HTTP 500: upstream exploded; upstream/);
      assert.ok(detail.length <= DETAIL_LIMIT + 'HTTP 500: '.length, `detail is ${detail.length} characters`);
      await receiver.closedConnections(1);
      const [connection] = receiver.connections;
      assert.equal(connection?.finished, false, 'the body was not drained');
      // What the kernel's socket buffers took before the close, nowhere near the body's size.
      assert.ok((connection?.bodyBytesWritten ?? total) < 64 * 1024 * 1024, `the receiver wrote ${connection?.bodyBytesWritten} bytes before we closed`);
    } finally {
      await sink.destroy();
      await receiver.stop();
    }
  });

  void it('headers announcing a body that never comes: the status stands (a 200 is delivered, not sent again)', async () => {
    const receiver = await startHostileReceiver({ kind: 'headers-then-silence', status: 200 });
    const sink = sinkFor(receiver.url, 300);
    try {
      assert.deepEqual(await sink.send(body, 1), { kind: 'delivered' });
      await receiver.closedConnections(1);
    } finally {
      await sink.destroy();
      await receiver.stop();
    }
  });

  void it('headers that never end, or no answer at all: a timeout retry at the deadline', async () => {
    for (const kind of ['partial-headers', 'no-answer'] as const) {
      const receiver = await startHostileReceiver({ kind });
      const sink = sinkFor(receiver.url, 300);
      try {
        const outcome = await sink.send(body, 1);
        assert.equal(outcome.kind === 'retry' ? outcome.cause : outcome.kind, 'timeout', kind);
        assert.match(outcome.kind === 'retry' ? outcome.detail : '', /within sink\.request_timeout \(300 ms\)/);
        await receiver.closedConnections(1);
      } finally {
        await sink.destroy();
        await receiver.stop();
      }
    }
  });
});
