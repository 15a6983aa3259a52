// Replies held for a long time (Vector's backpressure): capture is paused, the buffer stays under
// buffer.max_bytes plus one record, and nothing is lost.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';
import { capturedLine, container, perContainer, startShipper, testConfig } from './ship-fixtures.js';

const MAX_BYTES = 64 * 1024;
const LINES = 1500;

void describe('slow receiver', () => {
  void it('pauses capture, keeps memory bounded and loses nothing', async () => {
    const receiver = await startStandInReceiver({ kind: 'vector' });
    receiver.delayReplies(300);
    const shipper = await startShipper((dir) =>
      testConfig(dir, { sink: { url: receiver.url, maxInFlight: 2, batch: { maxEvents: 1000, maxBytes: 32 * 1024 } }, buffer: { maxBytes: MAX_BYTES, resumeBytes: MAX_BYTES / 2 } }),
    );
    const containers = [container('slow-a'), container('slow-b'), container('slow-c'), container('slow-d')];
    let largestRecord = 0;
    let largestBuffer = 0;
    try {
      // A capture stand-in that honours the flow: it stops reading while paused.
      for (let n = 0; n < LINES; n += 1) {
        await shipper.flow.whenResumed();
        const before = shipper.pipeline.status().buffer.bytes;
        shipper.flow.accept(capturedLine(containers[n % 4] ?? containers[0]!, Math.floor(n / 4), 200));
        const after = shipper.pipeline.status().buffer.bytes;
        largestRecord = Math.max(largestRecord, after - before);
        largestBuffer = Math.max(largestBuffer, after);
        if (n % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await waitFor('every record delivered', { watch: () => receiver.events.length, until: (n) => n >= LINES });
      assert.ok(shipper.flow.pauses > 0, 'capture was paused');
      assert.equal(shipper.flow.pauses, shipper.flow.resumes, 'and resumed each time');
      assert.ok(largestBuffer <= MAX_BYTES + largestRecord, `buffer peaked at ${largestBuffer} bytes, bound ${MAX_BYTES} + ${largestRecord}`);
      assert.ok(largestBuffer > MAX_BYTES / 2, 'the buffer was actually used');
      const received = perContainer(receiver.events);
      for (const c of containers) assert.deepEqual(received.get(c.name), Array.from({ length: LINES / 4 }, (_, i) => i), c.name);
      await waitFor('buffer empty', { watch: () => shipper.pipeline.status().buffer.bytes, until: (bytes) => bytes === 0 });
      assert.equal(shipper.pipeline.status().buffer.paused, false);
    } finally {
      await shipper.close();
      await receiver.stop();
    }
  });
});
