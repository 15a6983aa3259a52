// Issue 11 item 8: 21,000 idle connections to the admin server took every file descriptor of
// the capturer: positions.json writes failed with EMFILE, the checkpoint check went red and
// /readyz stopped answering. Here the real capturer runs with a file limit of FILE_LIMIT and a
// flood of FLOOD idle connections (more than that limit, and far more than server.max_connections)
// is kept up against it; closed ones are reopened, at a bounded rate, for as long as the test
// looks. While it lasts, positions.json must keep advancing, no checkpoint write may fail,
// /readyz must answer, and the capturer's open descriptors must stay far below its limit.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { requireDocker } from '../support/docker.js';
import { waitFor } from '../support/wait-for.js';
import { startFaultRig } from './fault-rig.js';

const FILE_LIMIT = 1024;
const FLOOD = 3000;
const MAX_CONNECTIONS = 128;
/** Reopened connections per second at most: a steady flood without burning the shared machine. */
const REOPEN_PER_SECOND = 300;

/** Keeps `target` idle connections open (or trying to be): every one the server closes is reopened. */
class Flood {
  opened = 0;
  closedByServer = 0;
  private readonly sockets = new Set<Socket>();
  private owed = 0;
  private stopped = false;
  private readonly pacer: NodeJS.Timeout;

  constructor(private readonly port: number, target: number) {
    for (let n = 0; n < target; n += 1) this.open();
    this.pacer = setInterval(() => {
      const now = Math.min(this.owed, Math.ceil(REOPEN_PER_SECOND / 10));
      this.owed -= now;
      for (let n = 0; n < now; n += 1) this.open();
    }, 100);
  }

  get held(): number {
    return this.sockets.size;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.pacer);
    for (const socket of this.sockets) socket.destroy();
  }

  private open(): void {
    if (this.stopped) return;
    const socket = connect(this.port, '127.0.0.1');
    this.opened += 1;
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (this.stopped) return;
      this.closedByServer += 1;
      this.owed += 1;
    });
  }
}

function storedSince(path: string, id: string): number | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as { containers: Record<string, { since_ms: number; skip: number }> };
    const entry = value.containers[id];
    return entry === undefined ? undefined : entry.since_ms * 1e6 + entry.skip;
  } catch {
    return undefined;
  }
}

describe('fault: a flood of idle connections to the admin server', () => {
  it(`never starves checkpoint writes: ${FLOOD} connections against a file limit of ${FILE_LIMIT} and max_connections ${MAX_CONNECTIONS}`, async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const rig = await startFaultRig(t, docker, 'flood', {
      fileLimit: FILE_LIMIT,
      config: { checkpoint: { flush_interval: '100ms' }, server: { max_connections: MAX_CONNECTIONS } },
    });
    const pid = rig.capturer().child.pid;
    assert.ok(pid !== undefined);
    const limitLine = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((line) => line.startsWith('Max open files'));
    assert.match(limitLine ?? '', new RegExp(`\\s${FILE_LIMIT}\\s+${FILE_LIMIT}\\s`), 'the capturer runs with the file limit under test');
    const positionsPath = join(rig.stateDir, 'positions.json');
    const container = await rig.container({ script: 'i=0; while true; do echo "tick $i"; i=$((i+1)); usleep 20000; done' });
    const id = (await container.inspect()).Id;
    await waitFor('positions.json with the container', { watch: () => ({ since: storedSince(positionsPath, id), received: rig.eventsOf(id).length }), until: (o) => o.since !== undefined });
    const openFds = (): number => readdirSync(`/proc/${pid}/fd`).length;
    const fdsBefore = openFds();

    const flood = new Flood(new URL(rig.baseUrl).port === '' ? 80 : Number(new URL(rig.baseUrl).port), FLOOD);
    t.after(() => flood.stop());
    let mostFds = 0;
    const sampler = setInterval(() => {
      mostFds = Math.max(mostFds, openFds());
    }, 50);
    t.after(() => clearInterval(sampler));
    try {
      // The flood is on once every first connection was made and the server has had to close some.
      await waitFor('the flood to be under way', {
        watch: () => ({ opened: flood.opened, closedByServer: flood.closedByServer }),
        until: (o) => o.opened >= FLOOD && o.closedByServer >= FLOOD - MAX_CONNECTIONS,
        intervalMs: 50,
      });
      const sinceAtFlood = storedSince(positionsPath, id) ?? 0;
      await waitFor('positions.json to advance during the flood', { watch: () => storedSince(positionsPath, id) ?? 0, until: (since) => since > sinceAtFlood, intervalMs: 50 });
      for (let n = 0; n < 3; n += 1) {
        const ready = await waitFor('/readyz to answer during the flood', { watch: () => rig.get('/readyz'), until: (reply) => reply.status === 200 });
        assert.match(ready.text, /"status":"ready"/);
      }
      const metrics = await waitFor('/metrics during the flood', { watch: () => rig.metrics(), until: () => true });
      assert.equal(metrics.get('log_capturer_checkpoint_writes_total{result="error"}'), 0, 'no checkpoint write failed');
      assert.equal(metrics.get('log_capturer_component_health{component="checkpoint"}'), 1);
      assert.ok((metrics.get('log_capturer_server_connections') ?? Infinity) <= MAX_CONNECTIONS, `${metrics.get('log_capturer_server_connections')} connections held`);
      assert.ok((metrics.get('log_capturer_server_connections_shed_total{reason="idle_evicted"}') ?? 0) > 0);
      mostFds = Math.max(mostFds, openFds());
      t.diagnostic(`flood: ${flood.opened} connections opened, ${flood.closedByServer} closed by the capturer, ${flood.held} open or opening now; capturer fds: ${fdsBefore} before, at most ${mostFds} during (limit ${FILE_LIMIT}); load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
      // The capturer's own descriptors plus max_connections, with room to spare: far from the limit.
      assert.ok(mostFds <= fdsBefore + MAX_CONNECTIONS + 32, `the capturer had ${mostFds} descriptors open (${fdsBefore} before the flood)`);
    } finally {
      clearInterval(sampler);
      flood.stop();
    }
  });
});
