import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { compress as zstdCompress } from 'zstd-napi';
import { recordIdentity, startCountingReceiver } from './counting-receiver.js';

function record(message: string, timestamp: string): string {
  return JSON.stringify({ timestamp, message, container_id: 'abc', label: { timestamp: 'not this one' } });
}

void describe('counting receiver', () => {
  void it('counts NDJSON lines, records latency from the Docker timestamp and answers 200', async () => {
    const receiver = await startCountingReceiver({ keepIdentities: true });
    try {
      const oneSecondAgo = new Date(Date.now() - 1000).toISOString().replace('Z', '000000Z');
      const body = `${record('a', oneSecondAgo)}\n${record('b', oneSecondAgo)}\n${record('a', oneSecondAgo)}\n`;
      const response = await fetch(receiver.url, { method: 'POST', body });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), '');
      assert.equal(receiver.lines, 3);
      assert.equal(receiver.requests, 1);
      assert.equal(receiver.latency.count, 3);
      const p50 = receiver.latency.quantileMs(0.5) ?? 0;
      assert.ok(p50 >= 1000, `latency ${p50} ms should be at least the second the record is old`);
      assert.equal(receiver.identities.get(recordIdentity('abc', oneSecondAgo, 'a')), 2);
      assert.equal(receiver.identities.get(recordIdentity('abc', oneSecondAgo, 'b')), 1);
      await receiver.waitForLines(3, { timeoutMs: 5000 });
    } finally {
      await receiver.stop();
    }
  });

  void it('holds replies while a delay is set, and waitForLines rejects on a stall', async () => {
    const receiver = await startCountingReceiver({ delayMs: 300 });
    try {
      const reply = fetch(receiver.url, { method: 'POST', body: '{"message":"x"}\n' });
      await receiver.waitForLines(1, { timeoutMs: 10_000 });
      assert.equal(receiver.pendingReplies, 1);
      assert.equal((await reply).status, 200);
      assert.equal(receiver.pendingReplies, 0);
      await assert.rejects(receiver.waitForLines(2, { timeoutMs: 60_000, stallMs: 300 }), /stalled at 1 of 2/);
    } finally {
      await receiver.stop();
    }
  });

  void it('counts the lines of gzip and zstd bodies (sink.compression), and their bytes as sent', async () => {
    const receiver = await startCountingReceiver();
    try {
      const body = Buffer.from('{"message":"a"}\n{"message":"b"}\n');
      const gzip = gzipSync(body);
      const zstd = zstdCompress(body);
      for (const [encoding, wire] of [['gzip', gzip], ['zstd', zstd]] as const) {
        const response = await fetch(receiver.url, { method: 'POST', body: wire, headers: { 'content-encoding': encoding } });
        assert.equal(response.status, 200);
        await response.arrayBuffer();
      }
      assert.equal(receiver.lines, 4);
      assert.equal(receiver.bytes, gzip.length + zstd.length);
    } finally {
      await receiver.stop();
    }
  });

  void it('keeps the records it received, in order, when asked (keepRecords)', async () => {
    const receiver = await startCountingReceiver({ keepRecords: true });
    try {
      const body = `${JSON.stringify({ container_id: 'c1', timestamp: 't1', stream: 'stdout', message: 'a' })}\n${JSON.stringify({ container_id: 'c2', timestamp: 't2', stream: 'stderr', message: 'b' })}\n`;
      for (const wire of [body, gzipSync(body)]) {
        const response = await fetch(receiver.url, { method: 'POST', body: wire, headers: typeof wire === 'string' ? {} : { 'content-encoding': 'gzip' } });
        await response.arrayBuffer();
      }
      const a = { containerId: 'c1', timestamp: 't1', stream: 'stdout', message: 'a' };
      const b = { containerId: 'c2', timestamp: 't2', stream: 'stderr', message: 'b' };
      assert.deepEqual([...receiver.records()], [a, b, a, b]);
    } finally {
      await receiver.stop();
    }
  });
});
