// The receiver answers 503, then refuses connections, then comes back, while three containers
// keep logging: every record arrives exactly once, in order per container, and the checkpoints
// end at each container's last line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';
import { capturedLine, container, metricValue, perContainer, startShipper, testConfig } from './ship-fixtures.js';


void describe('receiver outage', () => {
  void it('loses nothing and repeats nothing through 503s and refused connections', async () => {
    const receiver = await startStandInReceiver({ kind: 'vector' });
    const shipper = await startShipper((dir) => testConfig(dir, { sink: { url: receiver.url, batch: { maxEvents: 50 } } }));
    const containers = [container('alpha'), container('beta'), container('gamma')];
    let produced = 0;
    // Steady logging: a few lines of every container each tick, until the outage is over.
    const producing = setInterval(() => {
      for (let i = 0; i < 5; i += 1, produced += 1) {
        for (const c of containers) shipper.pipeline.accept(capturedLine(c, produced));
      }
    }, 5);
    try {
      await waitFor('some records delivered', { watch: () => receiver.events.length, until: (n) => n > 100 });
      receiver.failWith(503);
      const before503 = receiver.requests.length;
      await waitFor('several 503 answers', { watch: () => receiver.requests.filter((r, i) => i >= before503 && r.status === 503).length, until: (n) => n >= 5 });
      await receiver.refuseConnections();
      const retriesAtRefusal = await metricValue(shipper.metrics, 'log_capturer_retries_total');
      // Retries back off to at most 200 ms here, so the sink's error moves from the 503 to the refusal quickly.
      await waitFor('retries against the closed port', { watch: () => shipper.pipeline.status().sink.lastError, until: (error) => error?.includes('ECONNREFUSED') === true });
      assert.equal(shipper.pipeline.status().sink.state, 'retrying');
      const producedDuringOutage = produced;
      await receiver.acceptConnections();
      receiver.failWith(null);
      await waitFor('logging goes on after the outage', { watch: () => produced, until: (n) => n > producedDuringOutage + 100 });
      clearInterval(producing);
      const PER_CONTAINER = produced;
      await waitFor('every record delivered', { watch: () => receiver.events.length, until: (n) => n >= PER_CONTAINER * containers.length });
      await waitFor('buffer empty', { watch: () => shipper.pipeline.status().buffer.events, until: (n) => n === 0 });

      assert.ok((await metricValue(shipper.metrics, 'log_capturer_retries_total')) > retriesAtRefusal);
      assert.equal(receiver.events.length, PER_CONTAINER * containers.length, 'none twice');
      const expected = Array.from({ length: PER_CONTAINER }, (_, i) => i);
      for (const [name, numbers] of perContainer(receiver.events)) assert.deepEqual(numbers, expected, `${name}: all, once, in order`);
      for (const c of containers) {
        assert.deepEqual(shipper.checkpoints.get(c.id), capturedLine(c, PER_CONTAINER - 1).position, `${c.name} checkpoint at its last line`);
      }
      assert.equal(await metricValue(shipper.metrics, 'log_capturer_events_sent_total'), PER_CONTAINER * containers.length);
      assert.equal(shipper.pipeline.status().sink.state, 'ok');
    } finally {
      clearInterval(producing);
      await shipper.close();
      await receiver.stop();
    }
  });
});
