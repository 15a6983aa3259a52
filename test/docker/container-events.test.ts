// ContainerEvents against a daemon of this test's own (it is restarted; the shared one never is).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { ApiStream } from '../../src/docker/docker-api.js';
import { describe, it } from 'node:test';
import { ContainerEvents } from '../../src/docker/container-events.js';
import type { ContainerEvent } from '../../src/docker/container-events.js';
import { DockerReader } from '../../src/docker/docker-reader.js';
import { silentLogger } from '../../src/utils/logger.js';
import { removeQuietly, requireDocker, runContainer, startPrivateDaemon, testDocker, uniqueName, waitForExit } from '../support/docker.js';
import { waitFor } from '../support/wait-for.js';

/** A reader whose events stream can be held shut, so the test decides when the watcher gets back in. */
class GatedReader extends DockerReader {
  private gate: Promise<void> = Promise.resolve();
  private openGate: () => void = () => undefined;
  readonly sinces: (string | undefined)[] = [];

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate();
  }

  override async openEvents(options: { since?: string }): Promise<ApiStream> {
    await this.gate;
    this.sinces.push(options.since);
    return super.openEvents(options);
  }
}

void describe('ContainerEvents on a real daemon', () => {
  void it('delivers start/die/destroy, and after a daemon restart reconnects by itself and replays the gap', async (t) => {
    if (!(await requireDocker(t))) return;
    const daemon = await startPrivateDaemon('events');
    const docker = testDocker(daemon.host);
    const reader = new GatedReader({ host: daemon.host, requestTimeoutMs: 30_000 });
    const events = new ContainerEvents({ docker: reader, logger: silentLogger(), backoff: { initialMs: 50, maxMs: 500 } });
    const seen: ContainerEvent[] = [];
    const connected: boolean[] = [];
    const disconnects: Error[] = [];
    const has = (id: string, action: string) => seen.some((e) => e.id === id && e.action === action);
    try {
      events.start({ onEvent: (e) => seen.push(e), onConnected: (r) => connected.push(r), onDisconnected: (e) => disconnects.push(e) });
      await waitFor('the first connection', { watch: () => ({ connected: connected.length, disconnects: disconnects.length }), until: (o) => o.connected === 1 });
      assert.deepEqual(connected, [false]);

      const name = uniqueName('ev');
      const live = await runContainer(docker, { name, script: 'echo hi' });
      await waitForExit(live);
      await live.remove();
      await waitFor('the destroy event', { watch: () => seen.length, until: () => has(live.id, 'destroy') });
      for (const action of ['create', 'start', 'die', 'destroy']) assert.ok(has(live.id, action), `${action} seen`);
      const start = seen.find((e) => e.id === live.id && e.action === 'start');
      assert.equal(start?.name, name);
      assert.match(start?.timeNano ?? '', /^\d{19}$/);
      const lastBeforeRestart = seen.at(-1) as ContainerEvent;

      // The daemon restarts; the watcher is held out until a container has run and stopped.
      reader.hold();
      await daemon.restart();
      await waitFor('the disconnection', { watch: () => disconnects.length, until: (n) => n >= 1 });
      const gap = await runContainer(docker, { script: 'echo in the gap' });
      await waitForExit(gap);
      assert.ok(!has(gap.id, 'start'), 'not seen live: the watcher is disconnected');
      reader.release();

      // The watcher retries with a backoff of at most 500 ms here: its attempts show as disconnects.
      await waitFor('the reconnection', { watch: () => ({ connected: connected.length, disconnects: disconnects.length }), until: (o) => o.connected >= 2 });
      assert.equal(connected.at(-1), true, 'reconnect: the engine lists again');
      const since = reader.sinces.at(-1) ?? '';
      // The replay starts 5 s before the last event before the break (out-of-order events near
      // the break are replayed too; the repeats are dropped by identity).
      assert.equal(BigInt(since.replace('.', '')), BigInt(lastBeforeRestart.timeNano) - 5_000_000_000n, 'since = 5 s before the last event before the break');
      await waitFor('the gap replayed', { watch: () => seen.length, until: () => has(gap.id, 'start') && has(gap.id, 'die') });
      const liveEventsOnce = seen.filter((e) => e.id === live.id && e.action === 'destroy');
      assert.equal(liveEventsOnce.length, 1, 'the replay does not repeat what was passed on');
      await removeQuietly(gap);
    } finally {
      reader.release();
      await events.stop();
      reader.close();
      await daemon.stop();
      rmSync(daemon.dir, { recursive: true, force: true });
    }
  });
});
