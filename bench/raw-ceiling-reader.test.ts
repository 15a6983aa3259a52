import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../test/support/seeded-random.js';
import { ChunkedFrameCounter } from './raw-ceiling-reader.js';

/** A Docker log frame: header, `TIMESTAMP message`. */
function frame(stream: 1 | 2, payload: string): Buffer {
  const body = Buffer.from(`2026-11-28T01:43:21.152000367Z ${payload}`);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** HTTP/1.1 chunked encoding of `pieces`, with the odd extension and upper-case hex. */
function chunked(pieces: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  pieces.forEach((piece, i) => {
    const size = piece.length.toString(16);
    parts.push(Buffer.from(`${i % 3 === 0 ? size.toUpperCase() : size}${i % 5 === 0 ? ';ext=1' : ''}\r\n`), piece, Buffer.from('\r\n'));
  });
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

void describe('ChunkedFrameCounter', () => {
  void it('counts lines whatever the chunk and read boundaries, as dockerd and the kernel cut them', () => {
    const next = seededRandom(5);
    const frames: Buffer[] = [];
    let lines = 0;
    for (let n = 0; n < 500; n += 1) {
      const complete = next() < 0.8;
      if (complete) lines += 1;
      frames.push(frame(next() < 0.5 ? 1 : 2, `line ${n}${'x'.repeat(Math.floor(next() * 300))}${complete ? '\n' : ''}`));
    }
    const stream = Buffer.concat(frames);
    // Chunks: one per frame (dockerd's way), and arbitrary cuts through frames.
    const perFrame = chunked(frames);
    const cuts: Buffer[] = [];
    for (let at = 0; at < stream.length; ) {
      const size = 1 + Math.floor(next() * 700);
      cuts.push(stream.subarray(at, at + size));
      at += size;
    }
    for (const body of [perFrame, chunked(cuts)]) {
      for (const readSize of [1, 7, 64, 4096, body.length]) {
        const counter = new ChunkedFrameCounter();
        for (let at = 0; at < body.length; at += readSize) counter.push(body.subarray(at, at + readSize));
        assert.equal(counter.lines, lines, `read size ${readSize}`);
        assert.equal(counter.bytes, stream.length);
        assert.equal(counter.done, true);
      }
    }
  });

  void it('refuses a chunk that is not followed by CRLF', () => {
    const counter = new ChunkedFrameCounter();
    assert.throws(() => counter.push(Buffer.from('3\r\nabcX\r\n')), /CRLF/);
  });
});
