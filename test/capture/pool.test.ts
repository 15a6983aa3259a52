// More busy containers than stream slots: they take turns (rotation yields the slot to waiters)
// and every one of them gets every line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { waitFor } from '../support/wait-for.js';
import { RUN_LABEL, assertMatchesDaemon, captureConfig, startEngine, waitUntilDrained } from './capture-harness.js';

describe('stream pool (real daemon)', () => {
  it('30 busy containers with max_streams 5 all get every line', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('pool');
    const under = await startEngine(captureConfig(run, { maxStreams: 5, rotationIntervalMs: 200 }));
    const containers: Docker.Container[] = [];
    let maxInUse = 0;
    let sawWaiters = false;
    const sampler = setInterval(() => {
      const { pool } = under.engine.status();
      maxInUse = Math.max(maxInUse, pool.inUse);
      if (pool.waiting > 0) sawWaiters = true;
    }, 20);
    try {
      // Created first and started together: on a loaded machine, creating them one by one could
      // take longer than they run, and then they would never compete for slots.
      for (let i = 0; i < 30; i += 1) {
        containers.push(await runContainer(docker, {
          name: uniqueName(`pool${i}`),
          labels: { [RUN_LABEL]: run },
          script: `for r in $(seq 1 15); do printf "c${i} r$r %s\\n" $(seq 1 40); echo "c${i} err $r" >&2; sleep 0.2; done`,
          start: false,
        }));
      }
      await Promise.all(containers.map((c) => c.start()));
      // Every container is served while others still run: nobody waits for everyone else to end.
      await waitFor('every container got a turn', {
        watch: () => under.engine.status().containers.map((c) => c.lines),
        until: (lines) => lines.filter((n) => n > 0).length === 30,
        progress: (lines) => [lines.filter((n) => n > 0).length, lines.reduce((a, b) => a + b, 0)],
        describe: (lines) => `${lines.filter((n) => n > 0).length} of ${lines.length} containers have lines`,
      });
      for (const container of containers) assert.equal(await waitForExit(container), 0);
      await waitUntilDrained(under.engine, containers.map((c) => c.id));
      let total = 0;
      for (const container of containers) total += await assertMatchesDaemon(docker, under.consumer, container.id);
      const status = under.engine.status();
      const rotations = status.containers.reduce((sum, c) => sum + c.rotations, 0);
      t.diagnostic(`30 containers, ${total} lines, ${rotations} rotations, max slots in use ${maxInUse}, waiters seen ${sawWaiters}`);
      assert.equal(total, 30 * 15 * 41);
      assert.ok(maxInUse <= 5, `pool exceeded its capacity: ${maxInUse}`);
      assert.ok(sawWaiters, 'the pool never had waiters: the test did not exercise taking turns');
      assert.equal(status.pool.inUse, 0, 'stopped containers must not hold slots');
    } finally {
      clearInterval(sampler);
      await under.close();
      await Promise.all(containers.map((c) => removeQuietly(c)));
    }
  });
});
