import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compress, decompress } from 'zstd-napi';
import { ZstdCompressor } from './zstd-compressor.js';

function body(size: number, seed: number): Buffer {
  const text = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) text[i] = 0x61 + ((i * seed + (i >> 7)) % 26);
  return text;
}

void describe('ZstdCompressor', () => {
  void it('compresses in its worker; concurrent bodies come back as their own frames', async () => {
    const compressor = new ZstdCompressor();
    try {
      // Growing and shrinking sizes: the shared input buffer is replaced, then reused.
      const bodies = [body(10, 3), body(100_000, 5), body(8 * 1024 * 1024, 7), body(1, 11), body(70_000, 13)];
      // A view into a larger buffer, as the pipeline's batches are: only the view is compressed.
      const backing = body(300_000, 13);
      bodies.push(backing.subarray(1000, 201_000));
      const frames = await Promise.all(bodies.map((b) => compressor.compress(b)));
      frames.forEach((frame, i) => {
        assert.ok(decompress(frame).equals(bodies[i] as Buffer), `body ${i}`);
        assert.ok(frame.equals(compress(bodies[i] as Buffer)), `body ${i}: the same frame as zstd-napi's compress()`);
      });
      assert.ok((frames[2] as Buffer).length < (bodies[2] as Buffer).length / 10, 'actually compressed');
    } finally {
      await compressor.close();
    }
  });

  void it('fails what waits on a worker that died, and starts a new one for the next body', async () => {
    const compressor = new ZstdCompressor();
    try {
      await compressor.compress(body(10, 1)); // the worker is up
      const worker = compressor['worker'];
      assert.ok(worker !== undefined);
      const failed = assert.rejects(compressor.compress(body(4 * 1024 * 1024, 3)), /worker crashed/);
      worker.emit('error', new Error('worker crashed')); // what Node emits when the worker throws
      await failed;
      await worker.terminate();
      assert.notEqual(compressor['worker'], worker);
      const again = body(1000, 5);
      assert.ok(decompress(await compressor.compress(again)).equals(again));
    } finally {
      await compressor.close();
    }
  });

  void it('rejects work after close, and fails work still waiting when closed', async () => {
    const compressor = new ZstdCompressor();
    const failed = assert.rejects(compressor.compress(body(4 * 1024 * 1024, 3)), /closed/);
    await compressor.close();
    await failed;
    await assert.rejects(compressor.compress(body(10, 1)), /closed/);
  });
});
