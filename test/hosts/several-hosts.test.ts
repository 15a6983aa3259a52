// Issue #6: several hosts. Three private daemons, one capturer each (capture.host_name host-a,
// host-b, host-c), all shipping to ONE receiver: every line arrives once, carrying the host it
// came from, and each container's records match its own daemon's log.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { freePort, startCapturerProcess, waitUntilServing, writeConfig } from '../support/capturer-process.js';
import type { CapturerProcess } from '../support/capturer-process.js';
import { removeQuietly, requireDocker, runContainer, startPrivateDaemon, testDocker, uniqueName, waitForExit } from '../support/docker.js';
import type { PrivateDaemon } from '../support/docker.js';
import { waitForDaemonLines } from '../support/oracle.js';
import { startStandInReceiver } from '../support/stand-in-receiver.js';

const HOSTS = ['host-a', 'host-b', 'host-c'] as const;

interface Host {
  name: string;
  daemon: PrivateDaemon;
  docker: Docker;
  capturer: CapturerProcess;
  stateDir: string;
  containerIds: string[];
}

describe('several hosts', () => {
  it('three daemons, three capturers, one receiver: every line once, with the right host, oracle per container', async (t) => {
    // The shared daemon is not used, but its absence means Docker is not available here at all.
    if (!(await requireDocker(t))) return;
    const run = uniqueName('hosts');
    const receiver = await startStandInReceiver({ kind: 'vector' });
    const hosts: Host[] = [];
    const daemons: PrivateDaemon[] = [];
    const containers: Docker.Container[] = [];
    const configDirs: string[] = [];
    t.after(async () => {
      for (const h of hosts) {
        h.capturer.kill('SIGKILL');
        await h.capturer.exited;
        rmSync(h.stateDir, { recursive: true, force: true });
      }
      await Promise.all(containers.map(removeQuietly));
      await Promise.all(daemons.map((d) => d.stop().catch(() => undefined)));
      for (const d of daemons) rmSync(d.dir, { recursive: true, force: true });
      for (const dir of configDirs) rmSync(dir, { recursive: true, force: true });
      await receiver.stop();
    });

    // One at a time: three dockerd start-ups at once are slow on a small machine.
    for (const name of HOSTS) daemons.push(await startPrivateDaemon(name));

    const serving: Array<Promise<void>> = [];
    for (const [index, name] of HOSTS.entries()) {
      const daemon = daemons[index] as PrivateDaemon;
      const docker = testDocker(daemon.host);
      const stateDir = mkdtempSync(join(tmpdir(), `lc-state-${name}-`));
      const configDir = mkdtempSync(join(tmpdir(), 'lc-config-'));
      configDirs.push(configDir);
      const port = await freePort();
      const capturer = startCapturerProcess(['--config', writeConfig({
        docker: { host: daemon.host },
        capture: { host_name: name, rotation_interval: '500ms' },
        filters: { include_labels: [`lct.run=${run}`] },
        sink: { type: 'vector', url: receiver.url, batch: { max_events: 100, linger: '50ms' } },
        checkpoint: { state_dir: stateDir },
        server: { listen: `127.0.0.1:${port}` },
        log: { level: 'warn' },
      }, configDir)]);
      hosts.push({ name, daemon, docker, capturer, stateDir, containerIds: [] });
      serving.push(waitUntilServing(capturer, `http://127.0.0.1:${port}`));
    }
    await Promise.all(serving);

    // Two containers per host, both streams, the same script everywhere: only the host tells them apart.
    for (const h of hosts) {
      for (const n of [0, 1]) {
        const container = await runContainer(h.docker, {
          labels: { 'lct.run': run },
          script: `i=0; while [ $i -lt 300 ]; do echo "c${n} out $i"; echo "c${n} err $i" >&2; i=$((i+1)); [ $((i % 50)) -eq 0 ] && usleep 50000; done`,
        });
        containers.push(container);
        h.containerIds.push((await container.inspect()).Id);
      }
    }
    for (const c of containers) await waitForExit(c);

    const results = await waitForDaemonLines('every line from every host', hosts.flatMap((h) => h.containerIds.map((id) => ({ docker: h.docker, id }))), receiver.events);
    t.diagnostic(`${results.length} containers on ${hosts.length} hosts, ${receiver.events.length} records, ${results.reduce((n, r) => n + r.duplicated, 0)} duplicated`);
    for (const r of results) {
      assert.equal(r.expected, 600);
      assert.equal(r.duplicated, 0, 'no line twice');
      assert.equal(r.firstMismatch, undefined, 'daemon order per container');
    }
    for (const h of hosts) {
      const ids = new Set(h.containerIds);
      const mine = receiver.events.filter((e) => ids.has(String(e.container_id)));
      assert.equal(mine.length, 1200, `${h.name}: its records`);
      assert.ok(mine.every((e) => e.host === h.name), `${h.name}: every record carries host ${h.name}`);
    }
    assert.equal(receiver.events.length, 3 * 1200, 'nothing else arrived');
    for (const h of hosts) assert.equal(h.capturer.child.exitCode, null, `${h.name}: capturer still running; stderr:\n${h.capturer.stderr()}`);
  });
});
