// Issue #4: the receiver answers 503, then refuses connections, while containers keep logging;
// afterwards every line has arrived once, in the daemon's order. Run for Vector's http_server
// and for Fluent Bit's http input (the same oracle, the other contract).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { freePort, startCapturerProcess, waitUntilServing, writeConfig } from '../support/capturer-process.js';
import { removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { parseMetrics } from '../support/metrics-text.js';
import { waitForDaemonLines } from '../support/oracle.js';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import type { ReceiverKind } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';

async function outage(t: TestContext, kind: ReceiverKind): Promise<void> {
  const docker = await requireDocker(t);
  if (!docker) return;
  const run = uniqueName(`outage-${kind}`);
  const receiver = await startStandInReceiver({ kind, path: kind === 'fluentbit' ? '/docker.app' : '/' });
  const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-'));
  // Two writers with both streams, a burst of identical timestamps, and a 40 KiB line each.
  const containers = await Promise.all([0, 1].map((n) => runContainer(docker, {
    labels: { 'lct.run': run },
    script: `head -c 40000 /dev/zero | tr '\\0' y; echo; i=0; while [ $i -lt 700 ]; do echo "w${n} out $i"; echo "w${n} err $i" >&2; i=$((i+1)); [ $((i % 100)) -eq 0 ] && printf 'burst\\nburst\\nburst\\n'; usleep 10000; done`,
  })));
  const port = await freePort();
  const capturer = startCapturerProcess(['--config', writeConfig({
    capture: { rotation_interval: '500ms' },
    filters: { include_labels: [`lct.run=${run}`] },
    sink: {
      type: kind, url: `${receiver.url.replace(/\/$/, '')}${kind === 'fluentbit' ? '/docker.app' : '/'}`,
      compression: 'gzip', batch: { max_events: 100, linger: '50ms' }, retry: { initial_backoff: '50ms', max_backoff: '500ms' },
    },
    checkpoint: { state_dir: stateDir },
    server: { listen: `127.0.0.1:${port}` },
    log: { level: 'error' },
  })]);
  t.after(async () => {
    capturer.kill('SIGKILL');
    await Promise.all(containers.map(removeQuietly));
    await receiver.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  await waitUntilServing(capturer, `http://127.0.0.1:${port}`);
  await waitFor('the first lines at the receiver', { watch: () => receiver.events.length, until: (n) => n > 100 });
  // Each phase of the outage lasts until the capturer has met it (a few 503 answers; connections
  // refused), not a fixed time a loaded machine could sleep through without a single request.
  receiver.failWith(503);
  const before503 = receiver.requests.length;
  await waitFor('503 answers during the outage', { watch: () => receiver.requests.filter((r, i) => i >= before503 && r.status === 503).length, until: (n) => n >= 3 });
  const connectionErrors = async (): Promise<number> => parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).get('log_capturer_send_errors_total{reason="connection"}') ?? 0;
  const refusedBefore = await connectionErrors();
  await receiver.refuseConnections();
  await waitFor('requests refused during the outage', { watch: connectionErrors, until: (n) => n >= refusedBefore + 2 });
  await receiver.acceptConnections();
  receiver.failWith(null);

  const ids = await Promise.all(containers.map(async (c) => (await c.inspect()).Id));
  for (const c of containers) await waitForExit(c);
  const results = await waitForDaemonLines('every line after the outage', ids.map((id) => ({ docker: docker, id })), receiver.events);
  const refused = receiver.requests.filter((r) => r.status === 503).length;
  t.diagnostic(`${kind}: ${results.map((r) => r.expected).join('+')} lines expected, lost 0, duplicated ${results.reduce((n, r) => n + r.duplicated, 0)}; ${refused} requests answered 503 during the outage`);
  assert.ok(refused > 0, 'the outage really refused requests');
  for (const r of results) {
    assert.equal(r.duplicated, 0, 'no line twice');
    assert.equal(r.firstMismatch, undefined, 'per-container order kept');
  }
  if (kind === 'fluentbit') {
    assert.ok(receiver.requests.every((r) => r.status !== 201 || r.tag === 'docker.app'), 'records tagged from the URL path');
  }
  assert.ok(receiver.requests.some((r) => r.encoding === 'gzip' && r.status < 300), 'gzip bodies accepted');
}

describe('receiver outage during steady logging', () => {
  it('vector: 503 then refused connections, then back: every line once, in order', async (t) => outage(t, 'vector'));
  it('fluentbit: 503 then refused connections, then back: every line once, in order', async (t) => outage(t, 'fluentbit'));
});
