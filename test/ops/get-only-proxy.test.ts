// Issue #11 item 10: the hardened stacks give log-capturer no Docker socket, only a GET-only
// filter in front of it. The capturer runs as a process (through its CLI) against the private
// daemon behind such a filter, twice: behind the GET-only test proxy (`--docker-host
// tcp://127.0.0.1:<proxy>`), and behind deploy/docker-api-proxy/haproxy.cfg, the filter the
// stacks ship, run by Debian's haproxy. Each time every line of every container arrives exactly
// once (the daemon is the oracle) and the filter saw only GET requests for allowed endpoints.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type Docker from 'dockerode';
import { capturerExit, freePort, startCapturerProcess, writeConfig } from '../support/capturer-process.js';
import { removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { refusal, startGetOnlyProxy } from '../support/get-only-proxy.js';
import { parseHaproxyLog, requireHaproxy, startHaproxy } from '../support/haproxy.js';
import type { HaproxyRequest } from '../support/haproxy.js';
import { waitForDaemonLines } from '../support/oracle.js';
import type { OracleResult } from '../support/oracle.js';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';

interface CaptureRun {
  results: OracleResult[];
  records: number;
  containers: number;
}

/**
 * Four containers (two before the capturer starts, found by the listing; one after, found by an
 * event; one TTY), the capturer process reading them through `dockerHost` with 300 ms rotation
 * (many log streams opened and closed through the filter), a stand-in Vector receiving. Returns
 * once every line arrived and the capturer stopped on SIGTERM.
 */
async function captureThrough(t: TestContext, docker: Docker, dockerHost: string): Promise<CaptureRun> {
  const receiver = await startStandInReceiver({ kind: 'vector' });
  const run = uniqueName('proxy');
  const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-proxy-'));
  const configDir = mkdtempSync(join(tmpdir(), 'lc-config-'));
  const containers: Docker.Container[] = [];
  t.after(async () => {
    await Promise.all(containers.map(removeQuietly));
    await receiver.stop();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  });
  const script = (n: number): string => `i=0; while [ $i -lt 400 ]; do echo "c${n} out $i"; echo "c${n} err $i" >&2; i=$((i+1)); [ $((i % 40)) -eq 0 ] && usleep 200000; done`;
  for (const n of [0, 1]) containers.push(await runContainer(docker, { labels: { 'lct.run': run }, script: script(n) }));
  const capturer = startCapturerProcess([
    '--config', writeConfig({
      capture: { rotation_interval: '300ms' },
      filters: { include_labels: [`lct.run=${run}`] },
      sink: { type: 'vector', url: receiver.url, batch: { max_events: 100, linger: '50ms' } },
      checkpoint: { flush_interval: '100ms' },
      log: { level: 'warn' },
    }, configDir),
    '--docker-host', dockerHost,
    '--state-dir', stateDir,
    '--listen', `127.0.0.1:${await freePort()}`,
  ]);
  t.after(async () => {
    capturer.kill('SIGKILL');
    await capturer.exited;
  });
  containers.push(await runContainer(docker, { labels: { 'lct.run': run }, script: script(2) }));
  containers.push(await runContainer(docker, { labels: { 'lct.run': run }, tty: true, script: 'for i in $(seq 1 300); do echo "tty line $i"; done' }));
  for (const c of containers) await waitForExit(c);
  const ids = await Promise.all(containers.map(async (c) => (await c.inspect()).Id));

  const results = await waitForDaemonLines('every line through the filter', ids.map((id) => ({ docker, id })), receiver.events).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; capturer stderr:\n${capturer.stderr().slice(-4000)}`, { cause: error });
  });
  capturer.kill('SIGTERM');
  const exit = await capturerExit(capturer);
  assert.equal(exit.code, 0, `the capturer stops cleanly; stderr:\n${capturer.stderr().slice(-4000)}`);
  assert.deepEqual(results.map((r) => r.expected), [800, 800, 800, 300]);
  for (const r of results) {
    assert.equal(r.duplicated, 0, 'no line twice');
    assert.equal(r.firstMismatch, undefined, "the daemon's order");
  }
  assert.equal(receiver.events.length, 2700, 'nothing else arrived');
  return { results, records: receiver.events.length, containers: ids.length };
}

/** The private daemon's socket path (the filters sit in front of a unix socket). */
function daemonSocketPath(): string {
  const socketPath = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
  assert.ok(!socketPath.includes('://'), `this test puts a filter in front of a unix-socket daemon; DOCKER_HOST is ${process.env.DOCKER_HOST}`);
  return socketPath;
}

/** Every endpoint the capturer must have reached through a filter to have done its work. */
const ENDPOINTS_USED = ['/containers/json', '/containers/{id}/json', '/containers/{id}/logs', '/events'];

void describe('log-capturer through a GET-only Docker API proxy', () => {
  void it('the test proxy: every line once through the filter, and the filter saw only allowed GETs', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const proxy = await startGetOnlyProxy(daemonSocketPath());
    t.after(() => proxy.stop());

    const run = await captureThrough(t, docker, proxy.host);
    t.diagnostic(`${run.records} records; proxy requests ${proxy.requests.length}: ${JSON.stringify(countBy(proxy.requests.map((r) => endpointOf(r.url))))}`);

    // Everything the capturer asked went through the filter, as an allowed GET.
    assert.deepEqual(proxy.requests.filter((r) => r.refused), [], 'the proxy refused nothing the capturer asked');
    for (const r of proxy.requests) {
      assert.equal(r.method, 'GET');
      assert.equal(refusal(r.method, r.url), undefined, `${r.url} is an allowed endpoint`);
    }
    const endpoints = new Set(proxy.requests.map((r) => endpointOf(r.url)));
    for (const used of ENDPOINTS_USED) assert.ok(endpoints.has(used), `the capturer reached ${used} through the proxy`);
    const logStreams = proxy.requests.filter((r) => endpointOf(r.url) === '/containers/{id}/logs').length;
    assert.ok(logStreams > run.containers, `log streams were reopened through the proxy (${logStreams} for ${run.containers} containers)`);
    // The capturer has exited: the proxy closes the daemon side of each of its connections.
    await waitFor('every upstream request closed after the capturer stopped', { watch: () => proxy.openUpstreams(), until: (open) => open === 0 });
  });

  void it('deploy/docker-api-proxy/haproxy.cfg run by haproxy: every line once, only allowed GETs logged, a POST gets 403', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    if (!(await requireHaproxy(t))) return;
    const { filtered, output } = await startHaproxy(t, daemonSocketPath());

    await captureThrough(t, docker, `unix://${filtered}`);
    // haproxy logs a request when it ends. The capturer has stopped, so its events stream (idle
    // by now) must end too: haproxy has to notice a client that closed a silent response, or
    // every rotation of a quiet container's stream would leave a daemon connection behind.
    const log = (): HaproxyRequest[] => parseHaproxyLog(output());
    const capturerRequests = await waitFor('haproxy to close the idle events stream the capturer left', {
      watch: log,
      until: (seen) => seen.some((r) => endpointOf(r.url) === '/events'),
      progress: (seen) => seen.length,
    });
    t.diagnostic(`haproxy logged ${capturerRequests.length} requests: ${JSON.stringify(countBy(capturerRequests.map((r) => `${endpointOf(r.url)} ${r.status}`)))}`);
    for (const r of capturerRequests) {
      assert.equal(r.method, 'GET');
      assert.notEqual(r.status, 403, `${r.url} was refused`);
      assert.equal(refusal(r.method, r.url), undefined, `${r.url} is an endpoint the test proxy allows too`);
    }
    const endpoints = new Set(capturerRequests.map((r) => endpointOf(r.url)));
    for (const used of ENDPOINTS_USED) assert.ok(endpoints.has(used), `the capturer reached ${used} through haproxy`);

    // What the filter is for: anything that could change the host is refused before the daemon.
    const name = uniqueName('must-not-exist');
    const probes: Array<[string, string, string | undefined]> = [
      ['POST', `/containers/create?name=${name}`, JSON.stringify({ Image: 'log-capturer-test/busybox:latest', Cmd: ['true'] })],
      ['DELETE', '/containers/anything', undefined],
      ['HEAD', '/_ping', undefined],
      ['GET', '/info', undefined],
      ['GET', '/containers/json/../../info', undefined],
      ['GET', '/containers/x%2F..%2F..%2Finfo/json', undefined],
    ];
    for (const [method, path, body] of probes) {
      assert.equal(await statusThroughSocket(filtered, method, path, body), 403, `${method} ${path}`);
    }
    assert.equal(await statusThroughSocket(filtered, 'GET', '/v1.41/_ping', undefined), 200);
    const all = await docker.listContainers({ all: true });
    assert.ok(!all.some((c) => c.Names.includes(`/${name}`)), 'the refused POST created nothing');
  });
});

function statusThroughSocket(socketPath: string, method: string, path: string, body: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, agent: false, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The endpoint of a request target, with the version prefix, ids and query left out. */
function endpointOf(url: string): string {
  return url.replace(/\?.*$/, '').replace(/^\/v\d+\.\d+/, '').replace(/^\/containers\/(?!json$)[^/]+\//, '/containers/{id}/');
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
