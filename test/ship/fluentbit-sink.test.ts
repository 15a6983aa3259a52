// The fluentbit kind: the same NDJSON labelled application/json, tag from the URL path, 201 is
// success, and per-container order holds across several containers and requests in flight.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';
import { capturedLine, container, metricValue, perContainer, startShipper, testConfig } from './ship-fixtures.js';

void describe('fluentbit sink', () => {
  void it('delivers everything in order per container, as application/json, tagged from the path', async () => {
    const receiver = await startStandInReceiver({ kind: 'fluentbit' });
    const shipper = await startShipper((dir) => testConfig(dir, { sink: { type: 'fluentbit', url: `${receiver.url}docker.logs`, batch: { maxEvents: 40 } } }));
    const containers = [container('fb-one'), container('fb-two'), container('fb-three')];
    try {
      for (let n = 0; n < 300; n += 1) for (const c of containers) shipper.pipeline.accept(capturedLine(c, n));
      await waitFor('all delivered', { watch: () => receiver.events.length, until: (n) => n === 900 });
      const received = perContainer(receiver.events);
      for (const c of containers) assert.deepEqual(received.get(c.name), Array.from({ length: 300 }, (_, i) => i), c.name);
      assert.ok(receiver.requests.every((r) => r.status === 201 && r.contentType === 'application/json' && r.tag === 'docker.logs'));
      assert.ok(receiver.requests.every((r) => r.bytes > 0), 'never an empty body');
      assert.equal(await metricValue(shipper.metrics, 'log_capturer_send_errors_total'), 0);
      const event = receiver.events[0];
      assert.equal(event?.source_type, 'log_capturer');
      assert.equal(typeof event?.timestamp, 'string', "Docker's timestamp survives in the body");
    } finally {
      await shipper.close();
      await receiver.stop();
    }
  });
});
