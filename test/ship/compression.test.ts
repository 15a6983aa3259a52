// gzip and zstd request bodies, decoded by both stand-ins.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';
import { capturedLine, container, perContainer, startShipper, testConfig } from './ship-fixtures.js';

void describe('compressed bodies', () => {
  for (const kind of ['vector', 'fluentbit'] as const) {
    for (const compression of ['gzip', 'zstd'] as const) {
      void it(`${kind} decodes ${compression}`, async () => {
        const receiver = await startStandInReceiver({ kind });
        const url = kind === 'fluentbit' ? `${receiver.url}docker` : receiver.url;
        const shipper = await startShipper((dir) => testConfig(dir, { sink: { type: kind, url, compression, batch: { maxEvents: 50 } } }));
        const c = container(`squeezed-${compression}`);
        try {
          for (let n = 0; n < 200; n += 1) shipper.pipeline.accept(capturedLine(c, n, 100));
          await waitFor('all delivered', { watch: () => receiver.events.length, until: (n) => n === 200 });
          assert.deepEqual(perContainer(receiver.events).get(c.name), Array.from({ length: 200 }, (_, i) => i));
          assert.ok(receiver.requests.length >= 4);
          assert.ok(receiver.requests.every((r) => r.encoding === compression));
          const rawBytes = receiver.requests.reduce((sum, r) => sum + r.bytes, 0);
          assert.ok(rawBytes < 200 * 100, `bodies were compressed (${rawBytes} bytes on the wire)`);
        } finally {
          await shipper.close();
          await receiver.stop();
        }
      });
    }
  }
});
