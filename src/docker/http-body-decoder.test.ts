// The one-pass body decoder: every split of a chunked body gives the same bytes, malformed
// chunking is an HttpBodyError (never anything else), and nothing after the body is taken.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpBodyDecoder, HttpBodyError } from './http-body-decoder.js';

function chunked(pieces: string[], extra = ''): Buffer {
  const parts = pieces.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`);
  return Buffer.from(`${parts.join('')}0\r\n${extra}\r\n`);
}

/** Decodes `wire` cut into reads of `size` bytes (copies: the decoder writes into its reads). */
function decodeIn(decoder: HttpBodyDecoder, wire: Buffer, size: number): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < wire.length; at += size) out.push(Buffer.from(decoder.decode(Buffer.from(wire.subarray(at, at + size)))));
  return Buffer.concat(out);
}

void describe('HttpBodyDecoder', () => {
  const pieces = ['\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0005hello', 'x'.repeat(300), 'é\r\n0\r\n', '\n', 'A'.repeat(17)];
  const body = Buffer.from(pieces.join(''));

  void it('gives the same body for every read size, upper and lower case hex, extensions and trailers', () => {
    const wires = [
      chunked(pieces),
      chunked(pieces, 'X-Trailer: 1\r\n'),
      Buffer.from(chunked(pieces).toString('latin1').replace('12c\r\n', '12C;name=value\r\n'), 'latin1'),
    ];
    for (const wire of wires) {
      for (const size of [1, 2, 3, 7, 64, wire.length]) {
        const decoder = new HttpBodyDecoder({ kind: 'chunked' });
        assert.deepEqual(decodeIn(decoder, wire, size), body, `reads of ${size}`);
        assert.equal(decoder.done, true);
      }
    }
  });

  void it('takes nothing after the last chunk', () => {
    const decoder = new HttpBodyDecoder({ kind: 'chunked' });
    const wire = Buffer.concat([chunked(['abc']), Buffer.from('HTTP/1.1 200 OK\r\n')]);
    assert.equal(decoder.decode(wire).toString(), 'abc');
    assert.equal(decoder.done, true);
    assert.equal(decoder.decode(Buffer.from('more')).length, 0);
  });

  void it('Content-Length and close-delimited bodies', () => {
    const byLength = new HttpBodyDecoder({ kind: 'length', length: 5 });
    assert.equal(byLength.decode(Buffer.from('abc')).toString(), 'abc');
    assert.equal(byLength.decode(Buffer.from('defgh')).toString(), 'de');
    assert.equal(byLength.done, true);
    assert.equal(new HttpBodyDecoder({ kind: 'length', length: 0 }).done, true);
    const byClose = new HttpBodyDecoder({ kind: 'close' });
    assert.equal(byClose.decode(Buffer.from('anything')).toString(), 'anything');
    assert.equal(byClose.done, false);
    assert.equal(byClose.endsWithConnection, true);
  });

  void it('refuses malformed chunking with an HttpBodyError, whatever the bytes', () => {
    const hostile = [
      'zz\r\nabc\r\n', // not hex
      '\r\n', // no digits
      '123456789\r\n', // more than 8 digits
      `5;${'x'.repeat(5000)}\r\n`, // size line too long
      '3\r\nabcX\r\n', // no CRLF after the data
      `0\r\n${'t'.repeat(5000)}\r\n`, // trailer line too long
    ];
    for (const wire of hostile) {
      for (const size of [1, 3, wire.length]) {
        const decoder = new HttpBodyDecoder({ kind: 'chunked' });
        assert.throws(() => decodeIn(decoder, Buffer.from(wire), size), HttpBodyError, JSON.stringify(wire.slice(0, 20)));
      }
    }
  });

  void it('random bytes never throw anything but an HttpBodyError', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let round = 0; round < 500; round += 1) {
      const wire = Buffer.alloc(1 + Math.floor(random() * 200));
      for (let i = 0; i < wire.length; i += 1) wire[i] = random() < 0.5 ? '0123456789abcdef\r\n;'.charCodeAt(Math.floor(random() * 20)) : Math.floor(random() * 256);
      const decoder = new HttpBodyDecoder({ kind: 'chunked' });
      try {
        decodeIn(decoder, wire, 1 + Math.floor(random() * 16));
      } catch (error) {
        assert.ok(error instanceof HttpBodyError, String(error));
      }
    }
  });
});
