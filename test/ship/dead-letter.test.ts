// 400: the batch is refused as a whole. It goes to <state_dir>/dead-letter.ndjson, is counted,
// and the positions move on past it; it is never retried forever nor dropped silently.
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';
import { capturedLine, container, metricValue, perContainer, startShipper, testConfig } from './ship-fixtures.js';

void describe('400 from the receiver', () => {
  void it('writes the refused batch to the dead-letter file and moves on', async () => {
    const receiver = await startStandInReceiver({ kind: 'vector' });
    let stateDir = '';
    const shipper = await startShipper((dir) => {
      stateDir = dir;
      return testConfig(dir, { sink: { url: receiver.url, batch: { maxEvents: 10 } } });
    });
    const c = container('refused');
    try {
      receiver.failWith(400);
      for (let n = 0; n < 10; n += 1) shipper.pipeline.accept(capturedLine(c, n));
      await waitFor('the refused batch handled', { watch: () => ({ events: shipper.pipeline.status().buffer.events, requests: receiver.requests.length }), until: (o) => o.events === 0 });
      assert.equal(receiver.requests.length, 1, 'a 400 is not retried');
      assert.deepEqual(shipper.checkpoints.get(c.id), capturedLine(c, 9).position, 'positions advance past dead letters');
      receiver.failWith(null);
      for (let n = 10; n < 20; n += 1) shipper.pipeline.accept(capturedLine(c, n));
      await waitFor('later records delivered', { watch: () => receiver.events.length, until: (n) => n === 10 });
      assert.deepEqual(perContainer(receiver.events).get('refused'), Array.from({ length: 10 }, (_, i) => i + 10));

      const lines = (await readFile(join(stateDir, 'dead-letter.ndjson'), 'utf8')).split('\n');
      assert.equal(lines.pop(), '', 'ends with a newline');
      assert.equal(lines.length, 10);
      lines.forEach((line, n) => {
        const entry = JSON.parse(line) as { dead_letter_reason: string; status: number; record: Record<string, unknown> };
        assert.equal(entry.status, 400);
        assert.match(entry.dead_letter_reason, /refused by the receiver.*forced failure/);
        assert.equal(entry.record.message, `refused ${n}`);
        assert.equal(entry.record.container_id, c.id);
        assert.equal(entry.record.timestamp, capturedLine(c, n).line.timestamp);
      });
      assert.equal((await stat(join(stateDir, 'dead-letter.ndjson'))).mode & 0o777, 0o600, 'only we may read whole log lines');
      assert.equal(await metricValue(shipper.metrics, 'log_capturer_dead_letter_events_total'), 10);
      assert.equal(await metricValue(shipper.metrics, 'log_capturer_dead_letter_dropped_events_total', { reason: 'rotated' }), 0, 'nothing dropped within the bound');
      assert.equal(shipper.pipeline.status().deadLetterEvents, 10);
      assert.equal(await metricValue(shipper.metrics, 'log_capturer_events_sent_total'), 10, 'dead letters are not counted as sent');
    } finally {
      await shipper.close();
      await receiver.stop();
    }
  });
});
