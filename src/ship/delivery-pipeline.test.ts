import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capturedLine, container, startShipperWithSink } from '../../test/ship/ship-fixtures.js';
import { waitFor } from '../../test/support/wait-for.js';
import type { SendOutcome, Sink } from './sinks/sink.js';

/** A sink whose requests stay open until the test settles them, in any order. */
class ManualSink implements Sink {
  readonly kind = 'vector' as const;
  readonly displayUrl = 'http://manual/';
  readonly open: Array<{ names: Set<string>; lines: string[]; settle: (outcome: SendOutcome) => void }> = [];
  readonly delivered: string[] = [];
  deliveredBytes = 0;
  maxConcurrent = 0;

  send(body: Buffer): Promise<SendOutcome> {
    const records = body.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { container_name: string; message: string });
    return new Promise((resolve) => {
      const request = {
        names: new Set(records.map((r) => r.container_name)),
        lines: records.map((r) => r.message),
        settle: (outcome: SendOutcome) => {
          this.open.splice(this.open.indexOf(request), 1);
          if (outcome.kind === 'delivered') {
            this.delivered.push(...request.lines);
            this.deliveredBytes += body.length;
          }
          resolve(outcome);
        },
      };
      for (const other of this.open) for (const name of request.names) assert.ok(!other.names.has(name), `two batches of ${name} under way at once`);
      this.open.push(request);
      this.maxConcurrent = Math.max(this.maxConcurrent, this.open.length);
    });
  }

  close(): Promise<void> {
    return this.destroy();
  }

  destroy(): Promise<void> {
    for (const request of [...this.open]) request.settle({ kind: 'retry', cause: 'connection', detail: 'closed' });
    return Promise.resolve();
  }
}

void describe('DeliveryPipeline', () => {
  void it('keeps one batch per container under way, lets other containers pass, and advances checkpoints by prefix', async () => {
    const sink = new ManualSink();
    const shipper = await startShipperWithSink(sink, { maxInFlight: 3, batch: { maxEvents: 5, maxBytes: 1024 * 1024, lingerMs: 10 } });
    const [a, b] = [container('pa'), container('pb')];
    try {
      for (let n = 0; n < 10; n += 1) shipper.pipeline.accept(capturedLine(a, n));
      for (let n = 0; n < 5; n += 1) shipper.pipeline.accept(capturedLine(b, n));
      await waitFor('batches under way', { watch: () => sink.open.length, until: (n) => n === 2 });
      assert.deepEqual(sink.open.map((r) => [...r.names]), [['pa'], ['pb']], 'a\'s second batch waits for its first');
      // b's request finishes before a's: b advances, a does not.
      sink.open[1]?.settle({ kind: 'delivered' });
      await waitFor('b acknowledged', { watch: () => shipper.checkpoints.get(b.id), until: (position) => position !== undefined });
      assert.deepEqual(shipper.checkpoints.get(b.id), capturedLine(b, 4).position);
      assert.equal(shipper.checkpoints.get(a.id), undefined);
      // a's first batch fails: it is retried before a's later records go anywhere.
      sink.open[0]?.settle({ kind: 'retry', cause: 'http_status', detail: 'HTTP 503', status: 503 });
      await waitFor('a retried', { watch: () => sink.open.length, until: (n) => n === 1 });
      assert.deepEqual(sink.open[0]?.lines, ['pa 0', 'pa 1', 'pa 2', 'pa 3', 'pa 4']);
      sink.open[0]?.settle({ kind: 'delivered' });
      await waitFor('a\'s second batch', { watch: () => sink.open.map((r) => r.lines[0]), until: (firsts) => firsts.length === 1 && firsts[0] === 'pa 5' });
      sink.open[0]?.settle({ kind: 'delivered' });
      await waitFor('buffer empty', { watch: () => shipper.pipeline.status().buffer.events, until: (n) => n === 0 });
      assert.deepEqual(sink.delivered.filter((l) => l.startsWith('pa')), Array.from({ length: 10 }, (_, i) => `pa ${i}`));
      assert.deepEqual(shipper.checkpoints.get(a.id), capturedLine(a, 9).position);
      assert.ok(sink.maxConcurrent <= 3);
      // The failed attempt is not counted: only what the receiver acknowledged.
      assert.equal(shipper.pipeline.status().acknowledgedBytes, sink.deliveredBytes);
    } finally {
      await shipper.close();
    }
  });

  void it('shutdown sends what is buffered within the grace period and reports what is left', async () => {
    const sink = new ManualSink();
    // A linger of an hour: a shutdown that waited for it would stall the wait below (60 s), not pass late.
    const shipper = await startShipperWithSink(sink, { maxInFlight: 1, batch: { maxEvents: 1000, maxBytes: 1024 * 1024, lingerMs: 3_600_000 } });
    const c = container('ps');
    for (let n = 0; n < 3; n += 1) shipper.pipeline.accept(capturedLine(c, n));
    const quick = shipper.pipeline.close(60_000);
    await waitFor('shutdown sends at once, without waiting for linger', { watch: () => sink.open.length, until: (n) => n === 1 });
    sink.open[0]?.settle({ kind: 'delivered' });
    assert.deepEqual(await quick, { flushed: true, pendingEvents: 0 });
    await shipper.close();

    const stuck = new ManualSink();
    const second = await startShipperWithSink(stuck, {});
    second.pipeline.accept(capturedLine(c, 0));
    assert.deepEqual(await second.pipeline.close(50), { flushed: false, pendingEvents: 1 });
    assert.equal(second.checkpoints.get(c.id), undefined, 'nothing unacknowledged is checkpointed');
    await second.close();
  });

  void it('a container gone with everything acknowledged loses its checkpoint', async () => {
    const sink = new ManualSink();
    const shipper = await startShipperWithSink(sink, { batch: { maxEvents: 2, maxBytes: 1024 * 1024, lingerMs: 10 } });
    const c = container('pg');
    try {
      shipper.pipeline.accept(capturedLine(c, 0));
      shipper.pipeline.accept(capturedLine(c, 1));
      shipper.pipeline.containerGone(c.id);
      await waitFor('sent', { watch: () => sink.open.length, until: (n) => n === 1 });
      sink.open[0]?.settle({ kind: 'delivered' });
      await waitFor('handled', { watch: () => shipper.pipeline.status().buffer.events, until: (n) => n === 0 });
      assert.equal(shipper.checkpoints.get(c.id), undefined);
    } finally {
      await shipper.close();
    }
  });
});
