import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { readLogCeiling } from './ceiling-reader.js';

function frame(type: number, payload: string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

void describe('ceiling reader', () => {
  void it('counts complete lines across frames split at every byte, partial frames not counted twice', async () => {
    const ts = '2026-11-28T01:43:21.152000367Z ';
    const stream = Buffer.concat([
      frame(1, `${ts}first\n`),
      frame(2, `${ts}second\n`),
      frame(1, `${ts}${'p'.repeat(100)}`), // a partial (16 KiB-style) chunk: not a line yet
      frame(1, `${ts}end of the long one\n`),
      frame(1, `${ts}last\n`),
    ]);
    // A daemon stand-in that writes the body one byte per chunk: headers straddle chunks.
    const server = createServer((request, response) => {
      assert.match(request.url ?? '', /\/containers\/c1\/logs\?.*timestamps=1.*follow=0/);
      response.writeHead(200);
      let at = 0;
      const writeNext = (): void => {
        if (at >= stream.length) {
          response.end();
          return;
        }
        response.write(stream.subarray(at, at + 1), writeNext);
        at += 1;
      };
      writeNext();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await readLogCeiling(`tcp://127.0.0.1:${port}`, 'c1');
      assert.equal(result.lines, 4);
      assert.equal(result.bytes, stream.length);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
