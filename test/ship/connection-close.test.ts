// Vector answers `Connection: close` once a connection is older than max_connection_age: the
// sink reconnects cleanly, without errors, retries or duplicates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';
import { capturedLine, container, metricValue, perContainer, startShipper, testConfig } from './ship-fixtures.js';

void describe('Connection: close', () => {
  void it('reconnects cleanly when the receiver closes aged connections', async () => {
    const receiver = await startStandInReceiver({ kind: 'vector', maxConnectionAgeMs: 0 });
    const shipper = await startShipper((dir) => testConfig(dir, { sink: { url: receiver.url, maxInFlight: 2, batch: { maxEvents: 10 } } }));
    const containers = [container('cc-one'), container('cc-two')];
    try {
      for (let round = 0; round < 20; round += 1) {
        for (let n = round * 10; n < round * 10 + 10; n += 1) for (const c of containers) shipper.pipeline.accept(capturedLine(c, n));
        await waitFor(`round ${round} delivered`, { watch: () => receiver.events.length, until: (n) => n === (round + 1) * 20 });
      }
      const received = perContainer(receiver.events);
      for (const c of containers) assert.deepEqual(received.get(c.name), Array.from({ length: 200 }, (_, i) => i));
      assert.ok(receiver.requests.length >= 40);
      assert.ok(receiver.requests.every((r) => r.status === 200));
      assert.equal(await metricValue(shipper.metrics, 'log_capturer_retries_total'), 0, 'no request failed');
    } finally {
      await shipper.close();
      await receiver.stop();
    }
  });
});
