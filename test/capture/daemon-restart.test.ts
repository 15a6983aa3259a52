// A daemon restart mid-run (its own private dockerd, never the shared one): capture notices,
// backs off, comes back by itself, and the oracle still holds for every line the daemon kept.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { removeQuietly, requireDocker, runContainer, startPrivateDaemon, testDocker, uniqueName, waitForExit } from '../support/docker.js';
import { waitFor } from '../support/wait-for.js';
import { RUN_LABEL, assertMatchesDaemon, captureConfig, startEngine, waitUntilDrained } from './capture-harness.js';

describe('daemon restart (private daemon)', () => {
  it('resumes by itself after dockerd restarts and loses no line the daemon kept', async (t) => {
    if (!(await requireDocker(t))) return; // the same prerequisites as the shared daemon
    const daemon = await startPrivateDaemon('capture-restart');
    const containers: Docker.Container[] = [];
    let under: Awaited<ReturnType<typeof startEngine>> | undefined;
    const docker = testDocker(daemon.host);
    try {
      const run = uniqueName('restart');
      under = await startEngine(captureConfig(run, { rotationIntervalMs: 500 }, daemon.host));
      const engine = under.engine;
      for (let i = 0; i < 3; i += 1) {
        containers.push(await runContainer(docker, {
          name: uniqueName(`restart${i}`),
          labels: { [RUN_LABEL]: run },
          script: `i=0; while true; do echo "c${i} out $i"; echo "c${i} err $i" >&2; i=$((i+1)); sleep 0.02; done`,
        }));
      }
      const lines = (): number[] => engine.status().containers.map((c) => c.lines);
      await waitFor('every container is being captured', { watch: lines, until: (counts) => counts.filter((n) => n > 0).length === 3 });

      let sawDisconnect = false;
      const sampler = setInterval(() => {
        if (!engine.dockerHealth().ok) sawDisconnect = true;
      }, 10);
      try {
        await daemon.restart(); // kills the containers (no live-restore)
        // Progress: the health record (its error, its last success) as the engine retries; the
        // events watcher backs off to at most 10 s, well inside the stall window.
        await waitFor('capture reconnected to the restarted daemon', {
          watch: () => ({ sawDisconnect, health: engine.dockerHealth() }),
          until: (o) => o.sawDisconnect && o.health.ok,
        });
      } finally {
        clearInterval(sampler);
      }
      // Run them again: more lines in the same log files, read from the positions kept in memory.
      // They log until killed, so the restart cut them (and their streams) mid-run.
      const before = new Map(engine.status().containers.map((c) => [c.id, c.lines]));
      for (const container of containers) await container.start();
      await waitFor('new lines after the restart', { watch: () => engine.status().containers.map((c) => ({ id: c.id, lines: c.lines, state: c.state })), until: (cs) => cs.every((c) => c.lines > (before.get(c.id) ?? 0) + 50) });
      for (const container of containers) await container.kill();
      for (const container of containers) await waitForExit(container);
      await waitUntilDrained(engine, containers.map((c) => c.id));

      let total = 0;
      for (const container of containers) total += await assertMatchesDaemon(docker, under.consumer, container.id);
      const status = engine.status();
      t.diagnostic(`${total} lines across 3 containers; states ${status.containers.map((c) => c.state).join(',')}`);
      assert.ok(total >= 3 * 100, `expected lines from both runs, got ${total}`);
    } finally {
      await under?.close();
      await Promise.all(containers.map((c) => removeQuietly(c)));
      await daemon.stop();
      rmSync(daemon.dir, { recursive: true, force: true });
    }
  });
});
