// 401 is a configuration error: sink health goes red with a message saying what to fix, the data
// is kept and retried slowly, and it is delivered once the credentials match. The password
// never shows in logs or /status.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';
import { capturedLine, capturingLogger, container, perContainer, startShipper, testConfig } from './ship-fixtures.js';

void describe('401 from the receiver', () => {
  void it('turns sink health red, keeps the data, and delivers it once the auth is fixed', async () => {
    const SECRET = 'hunter2-old-password';
    let receiver = await startStandInReceiver({ kind: 'vector', auth: { username: 'capturer', password: 'the-new-one' } });
    const port = receiver.port;
    const { logger, lines, text } = capturingLogger();
    const shipper = await startShipper(
      (dir) => testConfig(dir, { sink: { url: receiver.url, auth: { username: 'capturer', password: SECRET }, retry: { configErrorBackoffMs: 100 } } }),
      logger,
    );
    const c = container('needs-auth');
    try {
      for (let n = 0; n < 20; n += 1) shipper.pipeline.accept(capturedLine(c, n));
      await waitFor('the configuration error is reported', {
        watch: () => ({ configError: shipper.pipeline.sinkHealth().configError, requests: receiver.requests.length }),
        until: (o) => o.configError !== undefined,
      });
      const health = shipper.pipeline.sinkHealth();
      assert.equal(health.ok, false);
      assert.match(health.configError ?? '', /401.*sink\.auth/);
      assert.equal(shipper.pipeline.status().sink.state, 'config-error');
      await waitFor('it keeps retrying', { watch: () => receiver.requests.length, until: (n) => n >= 3 });
      assert.equal(shipper.pipeline.status().buffer.events, 20, 'the data is kept');
      const errors = lines.filter((l) => l.level === 50);
      assert.equal(errors.length, 1, 'one clear error log, not one per retry');
      assert.match(String(errors[0]?.msg), /sink\.auth/);

      // The receiver's credentials are changed to what we send: the "fix".
      await receiver.stop();
      receiver = await startStandInReceiver({ kind: 'vector', port, auth: { username: 'capturer', password: SECRET } });
      // The pipeline retries a configuration error every 100 ms here: the new receiver's requests move.
      await waitFor('delivered after the fix', { watch: () => ({ requests: receiver.requests.length, events: receiver.events.length }), until: (o) => o.events === 20 });
      assert.deepEqual(perContainer(receiver.events).get('needs-auth'), Array.from({ length: 20 }, (_, i) => i));
      await waitFor('health green again', { watch: () => shipper.pipeline.sinkHealth(), until: (health) => health.ok });
      assert.equal(shipper.pipeline.sinkHealth().configError, undefined);
      assert.ok(!text().includes(SECRET), 'the password is not in our logs');
      assert.ok(!JSON.stringify(shipper.pipeline.status()).includes(SECRET), 'nor in /status');
    } finally {
      await shipper.close();
      await receiver.stop();
    }
  });
});
