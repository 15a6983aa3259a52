// Issue #6: the events stream is cut (only it: log streams and API calls go on). A container
// that starts - and even finishes - during the cut must still be captured, whole, once the
// events stream is back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireDocker, waitForExit } from '../support/docker.js';
import { waitForDaemonLines } from '../support/oracle.js';
import { waitFor } from '../support/wait-for.js';
import { startEventsProxy } from './events-proxy.js';
import { startFaultRig } from './fault-rig.js';

describe('fault: events stream cut', () => {
  it('a container started (and finished) during the cut is captured whole; the running one loses nothing', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const socketPath = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
    assert.ok(!socketPath.includes('://'), `this test proxies a unix-socket daemon; DOCKER_HOST is ${process.env.DOCKER_HOST}`);
    const proxy = await startEventsProxy(socketPath);
    t.after(() => proxy.stop());
    const rig = await startFaultRig(t, docker, 'eventscut', { config: { docker: { host: proxy.host } } });

    const steady = await rig.container({ script: 'i=0; while [ $i -lt 800 ]; do echo "steady $i"; i=$((i+1)); usleep 10000; done' });
    const steadyId = (await steady.inspect()).Id;
    await waitFor('the events stream open and lines arriving', {
      watch: () => ({ eventsRequests: proxy.eventsRequests(), received: rig.eventsOf(steadyId).length }),
      until: (o) => o.eventsRequests > 0 && o.received > 50,
    });

    proxy.cutEvents();
    const requestsAtCut = proxy.eventsRequests();
    const during = await rig.container({ script: 'for i in $(seq 1 150); do echo "during $i"; echo "during err $i" >&2; done' });
    const duringId = (await during.inspect()).Id;
    await waitForExit(during);
    // Hold the cut until the capturer has tried (and failed) to reconnect at least once. Its
    // events watcher backs off to at most 10 s between attempts, inside the stall window.
    await waitFor('a refused reconnect of the events stream', {
      watch: () => ({ eventsRequests: proxy.eventsRequests(), cut: proxy.cutConnections() }),
      until: (o) => o.eventsRequests > requestsAtCut,
    });
    proxy.allowEvents();

    await waitForExit(steady);
    const results = await waitForDaemonLines('every line of both containers', [steadyId, duringId].map((id) => ({ docker: docker, id })), rig.receiver.events);
    t.diagnostic(`events requests ${proxy.eventsRequests()}, connections cut or refused ${proxy.cutConnections()}`);
    assert.ok(proxy.cutConnections() >= 2, 'the open events stream was cut and a reconnect was refused');
    for (const r of results) {
      assert.equal(r.duplicated, 0);
      assert.equal(r.firstMismatch, undefined);
    }
    assert.equal(results[1]?.expected, 300);
    assert.equal((await rig.get('/healthz')).status, 200);
  });
});
