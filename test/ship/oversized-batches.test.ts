// 413: the batch is split in halves until the receiver takes it; a record too large even alone
// is dead-lettered. Order is kept.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';
import { capturedLine, container, metricValue, perContainer, startShipper, testConfig } from './ship-fixtures.js';

void describe('413 from the receiver', () => {
  void it('splits batches in halves, dead-letters a lone oversized record, keeps order', async () => {
    const receiver = await startStandInReceiver({ kind: 'vector', maxBodyBytes: 4000 });
    let stateDir = '';
    const shipper = await startShipper((dir) => {
      stateDir = dir;
      return testConfig(dir, { sink: { url: receiver.url, maxInFlight: 1, batch: { maxEvents: 1000, maxBytes: 1024 * 1024, lingerMs: 50 } } });
    });
    const c = container('big-batches');
    try {
      for (let n = 0; n < 120; n += 1) shipper.pipeline.accept(capturedLine(c, n, n === 60 ? 6000 : 100));
      await waitFor('everything handled', { watch: () => ({ events: shipper.pipeline.status().buffer.events, requests: receiver.requests.length }), until: (o) => o.events === 0 });
      const expected = Array.from({ length: 120 }, (_, i) => i).filter((i) => i !== 60);
      assert.deepEqual(perContainer(receiver.events).get('big-batches'), expected);
      assert.ok(receiver.requests.some((r) => r.status === 413), 'the receiver said 413');
      assert.ok(receiver.requests.filter((r) => r.status === 200).every((r) => r.bytes <= 4000));
      const deadLetters = (await readFile(join(stateDir, 'dead-letter.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(deadLetters.length, 1);
      assert.equal(deadLetters[0]?.status, 413);
      assert.equal(String((deadLetters[0]?.record as Record<string, unknown>).message).trim(), 'big-batches 60');
      assert.equal(await metricValue(shipper.metrics, 'log_capturer_dead_letter_events_total'), 1);
      assert.deepEqual(shipper.checkpoints.get(c.id), capturedLine(c, 119).position);
    } finally {
      await shipper.close();
      await receiver.stop();
    }
  });
});
