import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { StdoutSink } from './stdout-sink.js';

void describe('StdoutSink', () => {
  void it('writes the body and waits for drain when the stream is full', async () => {
    const written: Buffer[] = [];
    let release: (() => void) | undefined;
    const out = new Writable({
      highWaterMark: 4,
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk);
        release = done;
      },
    });
    const sink = new StdoutSink(out);
    let settled = false;
    const sending = sink.send(Buffer.from('{"a":1}\n'), 1).then((outcome) => {
      settled = true;
      return outcome;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'waits while the stream is over its high-water mark');
    release?.();
    assert.deepEqual(await sending, { kind: 'delivered' });
    assert.equal(Buffer.concat(written).toString(), '{"a":1}\n');
    await sink.close();
  });
});
