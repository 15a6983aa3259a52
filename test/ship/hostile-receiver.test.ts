// Issue 11 item 4: a receiver that answers 200 and then sends its body a byte at a time held the
// only request for minutes (0 delivered) while /readyz said "receiver accepting". Now every
// request ends at sink.request_timeout, the status decides, and a record left unacknowledged for
// longer than the readiness window turns the sink check red.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_READINESS_WINDOW_MS, evaluateReadiness } from '../../src/server/readiness.js';
import { startHostileReceiver } from '../support/hostile-receiver.js';
import { waitFor } from '../support/wait-for.js';
import { capturedLine, container, perContainer, startShipper, testConfig } from './ship-fixtures.js';

void describe('hostile receivers and the delivery pipeline', () => {
  void it('a receiver that acknowledges and then dribbles its body forever does not stall delivery', async () => {
    // A body of a gigabyte at a byte per 50 ms: a client that reads bodies to the end never finishes.
    const receiver = await startHostileReceiver({ kind: 'slow-body', status: 200, bodyBytes: 1_000_000_000, intervalMs: 50 });
    const shipper = await startShipper((dir) => testConfig(dir, { sink: { url: receiver.url, requestTimeoutMs: 300, maxInFlight: 1, batch: { maxEvents: 10 } } }));
    const containers = [container('dribble-a'), container('dribble-b'), container('dribble-c')];
    try {
      for (let n = 0; n < 30; n += 1) shipper.pipeline.accept(capturedLine(containers[n % 3] ?? containers[0]!, Math.floor(n / 3)));
      await waitFor('every record acknowledged', { watch: () => ({ buffered: shipper.pipeline.status().buffer.events, received: receiver.events.length }), until: (o) => o.buffered === 0 });
      const received = perContainer(receiver.events);
      for (const c of containers) assert.deepEqual(received.get(c.name), Array.from({ length: 10 }, (_, i) => i), `${c.name}: each once, in order`);
      assert.equal(receiver.connections.some((c) => c.finished), false, 'no body was read to its end');
    } finally {
      await shipper.close();
      await receiver.stop();
    }
  });

  void it('a request held without an answer turns the sink check red once the oldest record is older than the readiness window', async () => {
    const receiver = await startHostileReceiver({ kind: 'no-answer' });
    const shipper = await startShipper((dir) => testConfig(dir, { sink: { url: receiver.url, requestTimeoutMs: 600_000, batch: { maxEvents: 5 } } }));
    const c = container('held');
    try {
      for (let n = 0; n < 5; n += 1) shipper.pipeline.accept(capturedLine(c, n));
      await waitFor('the request to be held by the receiver', { watch: () => receiver.events.length, until: (n) => n === 5 });
      const health = shipper.pipeline.sinkHealth();
      assert.equal(health.ok, true, 'nothing has failed: the request is simply still under way');
      assert.ok(health.oldestPendingAt !== undefined && health.oldestPendingAt <= Date.now());
      const sources = { dockerHealth: () => ({ ok: true, lastSuccessAt: Date.now() }), sinkHealth: () => shipper.pipeline.sinkHealth(), checkpointHealthy: () => true, captureHealth: () => ({ ok: true, silent: [] }) };
      // Judged at a moment past the window instead of waiting 30 s for it.
      assert.equal(evaluateReadiness(sources, DEFAULT_READINESS_WINDOW_MS).ready, true, 'ready while the record is young');
      const later = evaluateReadiness(sources, DEFAULT_READINESS_WINDOW_MS, (health.oldestPendingAt ?? 0) + DEFAULT_READINESS_WINDOW_MS + 1_000);
      assert.equal(later.ready, false);
      assert.match(later.checks.find((check) => check.name === 'sink')?.detail ?? '', /oldest record not yet acknowledged was read 31s ago/);
    } finally {
      await shipper.pipeline.destroy();
      await shipper.close();
      await receiver.stop();
    }
  });
});
