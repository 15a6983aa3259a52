// Issue #11 item 10: the hardened stacks give log-capturer no Docker socket, only a GET-only
// filter in front of it. This runs the capturer (as a process, through its CLI) with
// `--docker-host tcp://127.0.0.1:<proxy>` against the private daemon behind the GET-only test
// proxy: every line of every container arrives exactly once (the daemon is the oracle), and the
// proxy saw only GET requests for allowed endpoints, none of them refused.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { freePort, startCapturerProcess, waitFor, writeConfig } from '../support/capturer-process.js';
import { removeQuietly, requireDocker, runContainer, uniqueName } from '../support/docker.js';
import { refusal, startGetOnlyProxy } from '../support/get-only-proxy.js';
import { compareWithDaemon } from '../support/oracle.js';
import type { OracleResult } from '../support/oracle.js';
import { startStandInReceiver } from '../support/stand-in-receiver.js';

/** How long the receiver may see no new record before the wait gives up (a stall, not a deadline). */
const STALL_MS = 90_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until no line of any container is missing. It gives up only when nothing new has
 * arrived for STALL_MS: a slow, loaded machine keeps it waiting, a stuck capturer fails it.
 */
async function everyLineArrived(docker: Docker, ids: string[], events: ReadonlyArray<Record<string, unknown>>, stderr: () => string): Promise<OracleResult[]> {
  let seen = -1;
  let progressAt = Date.now();
  for (;;) {
    const results = await Promise.all(ids.map((id) => compareWithDaemon(docker, id, events)));
    if (results.every((r) => r.lost === 0)) return results;
    if (events.length !== seen) {
      seen = events.length;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > STALL_MS) {
      const lost = results.map((r) => r.lost).join(', ');
      throw new Error(`no record arrived for ${STALL_MS} ms with lines still missing (lost per container: ${lost}); capturer stderr:\n${stderr().slice(-4000)}`);
    }
    await sleep(250);
  }
}

void describe('log-capturer through a GET-only Docker API proxy', () => {
  void it('captures every line once through the filter, and the filter saw only allowed GETs', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const socketPath = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
    assert.ok(!socketPath.includes('://'), `this test puts the proxy in front of a unix-socket daemon; DOCKER_HOST is ${process.env.DOCKER_HOST}`);
    const proxy = await startGetOnlyProxy(socketPath);
    const receiver = await startStandInReceiver({ kind: 'vector' });
    const run = uniqueName('proxy');
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-proxy-'));
    const configDir = mkdtempSync(join(tmpdir(), 'lc-config-'));
    const containers: Docker.Container[] = [];
    t.after(async () => {
      await Promise.all(containers.map(removeQuietly));
      await proxy.stop();
      await receiver.stop();
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(configDir, { recursive: true, force: true });
    });

    // Two containers before the capturer starts (found by the listing), one after (found by an
    // event); short rotation so that many log streams are opened and closed through the proxy.
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
      '--docker-host', proxy.host,
      '--state-dir', stateDir,
      '--listen', `127.0.0.1:${await freePort()}`,
    ]);
    t.after(async () => {
      capturer.kill('SIGKILL');
      await capturer.exited;
    });
    containers.push(await runContainer(docker, { labels: { 'lct.run': run }, script: script(2) }));
    containers.push(await runContainer(docker, { labels: { 'lct.run': run }, tty: true, script: 'for i in $(seq 1 300); do echo "tty line $i"; done' }));
    await Promise.all(containers.map((c) => c.wait()));
    const ids = await Promise.all(containers.map(async (c) => (await c.inspect()).Id));

    const results = await everyLineArrived(docker, ids, receiver.events, capturer.stderr);
    capturer.kill('SIGTERM');
    const exit = await capturer.exited;
    assert.equal(exit.code, 0, `the capturer stops cleanly; stderr:\n${capturer.stderr().slice(-4000)}`);

    t.diagnostic(`${receiver.events.length} records; proxy requests ${proxy.requests.length}: ${JSON.stringify(countBy(proxy.requests.map((r) => endpointOf(r.url))))}`);
    assert.deepEqual(results.map((r) => r.expected), [800, 800, 800, 300]);
    for (const r of results) {
      assert.equal(r.duplicated, 0, 'no line twice');
      assert.equal(r.firstMismatch, undefined, "the daemon's order");
    }
    assert.equal(receiver.events.length, 2700, 'nothing else arrived');

    // Everything the capturer asked went through the filter, as an allowed GET.
    const refused = proxy.requests.filter((r) => r.refused);
    assert.deepEqual(refused, [], 'the proxy refused nothing the capturer asked');
    for (const r of proxy.requests) {
      assert.equal(r.method, 'GET');
      assert.equal(refusal(r.method, r.url), undefined, `${r.url} is an allowed endpoint`);
    }
    const endpoints = new Set(proxy.requests.map((r) => endpointOf(r.url)));
    for (const used of ['/containers/json', '/containers/{id}/json', '/containers/{id}/logs', '/events']) {
      assert.ok(endpoints.has(used), `the capturer reached ${used} through the proxy`);
    }
    const logStreams = proxy.requests.filter((r) => endpointOf(r.url) === '/containers/{id}/logs').length;
    assert.ok(logStreams > ids.length, `log streams were reopened through the proxy (${logStreams} for ${ids.length} containers)`);
    // The capturer has exited: the proxy closes the daemon side of each of its connections.
    await waitFor('every upstream request closed after the capturer stopped', () => (proxy.openUpstreams() === 0 ? true : undefined));
  });
});

/** The endpoint of a request target, with the version prefix, ids and query left out. */
function endpointOf(url: string): string {
  return url.replace(/\?.*$/, '').replace(/^\/v\d+\.\d+/, '').replace(/^\/containers\/(?!json$)[^/]+\//, '/containers/{id}/');
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
