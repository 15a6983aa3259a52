// Issue #4: SIGTERM stops reading, flushes what is buffered within the grace period and exits 0;
// a second signal exits at once (130).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { capturerExit, freePort, startCapturerProcess, waitUntilServing, writeConfig } from '../support/capturer-process.js';
import { removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { compareWithDaemon } from '../support/oracle.js';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';

async function linesRead(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(/^log_capturer_lines_read_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

describe('shutdown', () => {
  it('SIGTERM flushes the buffered lines to a slow receiver within the grace period, then exits 0', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('flush');
    const receiver = await startStandInReceiver({ kind: 'vector' });
    receiver.delayReplies(1500);
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-'));
    const container = await runContainer(docker, { labels: { 'lct.run': run }, script: 'seq 1 300' });
    t.after(async () => {
      await removeQuietly(container);
      await receiver.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });
    await waitForExit(container);
    const port = await freePort();
    const capturer = startCapturerProcess(['--config', writeConfig({
      filters: { include_labels: [`lct.run=${run}`] },
      sink: { type: 'vector', url: receiver.url, batch: { max_events: 50, linger: '10ms' } },
      checkpoint: { state_dir: stateDir },
      server: { listen: `127.0.0.1:${port}` },
      // The flush needs about 6 replies of 1.5 s; a grace period far above that keeps a loaded
      // machine from turning "flushes, then exits 0" into a race against the clock.
      shutdown: { grace_period: '5m' },
      log: { level: 'warn' },
    })]);
    t.after(() => capturer.kill('SIGKILL'));
    await waitUntilServing(capturer, `http://127.0.0.1:${port}`);
    await waitFor('all 300 lines read from Docker', { watch: () => linesRead(port), until: (n) => n >= 300 });
    const atSignal = receiver.events.length;
    capturer.kill('SIGTERM');
    const exit = await capturerExit(capturer, 'the capturer to flush and exit', { progress: () => receiver.requests.length });
    assert.equal(exit.code, 0, capturer.stderr());
    const result = await compareWithDaemon(docker, (await container.inspect()).Id, receiver.events);
    t.diagnostic(`${atSignal} of 300 lines acknowledged at SIGTERM; ${result.received} after the flush`);
    assert.ok(atSignal < 300, 'lines were still buffered when the signal came');
    assert.deepEqual({ lost: result.lost, duplicated: result.duplicated }, { lost: 0, duplicated: 0 });
  });

  it('a second SIGTERM during the flush exits at once with 130', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('second-signal');
    const receiver = await startStandInReceiver({ kind: 'vector' });
    receiver.delayReplies(60_000);
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-'));
    const container = await runContainer(docker, { labels: { 'lct.run': run }, script: 'seq 1 50' });
    const port = await freePort();
    const capturer = startCapturerProcess(['--config', writeConfig({
      filters: { include_labels: [`lct.run=${run}`] },
      sink: { type: 'vector', url: receiver.url, batch: { linger: '10ms' } },
      checkpoint: { state_dir: stateDir },
      server: { listen: `127.0.0.1:${port}` },
      shutdown: { grace_period: '60s' },
      log: { level: 'warn' },
    })]);
    t.after(async () => {
      capturer.kill('SIGKILL');
      await removeQuietly(container);
      await receiver.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });
    await waitUntilServing(capturer, `http://127.0.0.1:${port}`);
    await waitFor('lines read', { watch: () => linesRead(port), until: (n) => n >= 50 });
    capturer.kill('SIGTERM');
    await waitFor('shutting down', {
      watch: async () => ({ status: (await fetch(`http://127.0.0.1:${port}/healthz`)).status, life: capturer.signsOfLife() }),
      until: (o) => o.status === 503,
      failIf: () => capturer.exitedWith(),
    });
    capturer.kill('SIGTERM');
    const exit = await capturerExit(capturer);
    assert.equal(exit.code, 130, capturer.stderr());
    assert.match(capturer.stderr(), /second signal/);
  });
});
