// The GET-only filters in front of Podman: capture reads a TTY container through Podman's
// /v{libpod}/libpod/containers/{id}/logs (the only endpoint where Podman frames TTY logs), so
// both the test proxy (test/support/get-only-proxy.ts) and the shipped haproxy.cfg must let that
// GET through, and nothing else of libpod. With 100 ms rotations through each filter, what
// capture hands on equals Podman's own lines, and the filter refused nothing the capturer asked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type Docker from 'dockerode';
import { removeQuietly, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { refusal, startGetOnlyProxy } from '../support/get-only-proxy.js';
import { parseHaproxyLog, requireHaproxy, startHaproxy } from '../support/haproxy.js';
import { podmanLines, requirePodman } from '../support/podman.js';
import { RUN_LABEL, assertMatchesLines, captureConfig, startEngine, waitUntilDrained } from '../capture/capture-harness.js';

/** Two containers (TTY and not) read through `host` with 100 ms rotations; returns their ids once every line matched. */
async function captureThrough(t: TestContext, podman: Docker, podmanHost: string, host: string): Promise<string[]> {
  const run = uniqueName('pproxy');
  const under = await startEngine(captureConfig(run, { rotationIntervalMs: 100 }, host));
  const containers: Docker.Container[] = [];
  try {
    assert.equal(under.engine.status().daemon.kind, 'podman', 'the daemon is told through the filter (/version)');
    containers.push(await runContainer(podman, { labels: { [RUN_LABEL]: run }, tty: true, script: 'for i in $(seq 1 6); do seq 1 300; head -c 9000 /dev/zero | tr "\\0" t; echo; usleep 200000; done' }));
    containers.push(await runContainer(podman, { labels: { [RUN_LABEL]: run }, script: 'for i in $(seq 1 6); do seq 1 300; seq 1 50 >&2; usleep 200000; done' }));
    for (const c of containers) await waitForExit(c);
    await waitUntilDrained(under.engine, containers.map((c) => c.id));
    for (const c of containers) {
      const count = assertMatchesLines(await podmanLines(podmanHost, c.id), under.consumer, c.id);
      assert.ok(count > 1500, `${c.id.slice(0, 12)}: ${count} lines`);
    }
    return containers.map((c) => c.id);
  } finally {
    await under.close();
    await Promise.all(containers.map(removeQuietly));
  }
}

function socketPath(host: string): string {
  assert.ok(host.startsWith('unix://'), `PODMAN_HOST is a unix socket here, not ${host}`);
  return host.slice('unix://'.length);
}

const libpodLogs = (url: string): boolean => /^\/v\d+\.\d+(?:\.\d+)?\/libpod\/containers\/[0-9a-f]{64}\/logs\?/.test(url);

describe('capture from Podman through a GET-only filter (real service)', () => {
  it('the test proxy passes the libpod logs GET and refuses nothing the capturer asks', async (t) => {
    const found = await requirePodman(t);
    if (!found) return;
    const proxy = await startGetOnlyProxy(socketPath(found.host));
    t.after(() => proxy.stop());
    const [ttyId] = await captureThrough(t, found.podman, found.host, proxy.host);
    assert.deepEqual(proxy.requests.filter((r) => r.refused).map((r) => r.url), [], 'nothing refused');
    for (const r of proxy.requests) assert.equal(refusal(r.method, r.url), undefined);
    const ttyReads = proxy.requests.filter((r) => libpodLogs(r.url) && r.url.includes(ttyId ?? '-'));
    assert.ok(ttyReads.length > 1, `the TTY container was read (and reopened) through /libpod/: ${ttyReads.length} requests`);
    assert.ok(ttyReads.every((r) => r.status === 200), 'Podman answered them');
  });

  it('deploy/docker-api-proxy/haproxy.cfg passes the libpod logs GET and refuses nothing the capturer asks', async (t) => {
    const found = await requirePodman(t);
    if (!found) return;
    if (!(await requireHaproxy(t))) return;
    const haproxy = await startHaproxy(t, socketPath(found.host));
    const [ttyId] = await captureThrough(t, found.podman, found.host, `unix://${haproxy.filtered}`);
    // haproxy logs a request when it ends; every log stream of the drained containers has ended.
    const logged = parseHaproxyLog(haproxy.output());
    assert.deepEqual(logged.filter((r) => r.status === 403).map((r) => r.url), [], 'nothing refused');
    const ttyReads = logged.filter((r) => libpodLogs(r.url) && r.url.includes(ttyId ?? '-'));
    assert.ok(ttyReads.length > 1, `the TTY container was read (and reopened) through /libpod/: ${ttyReads.length} requests`);
    assert.ok(ttyReads.every((r) => r.status === 200), 'Podman answered them');
  });
});
