// The bug the product was born from: a reader blocked on a follow stream outliving its
// rotation. 2,000 rotations across 20 containers must leave no handle, fd, socket or listener.
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { ApiStream, LogQuery } from '../../src/docker/docker-api.js';
import { DockerReader } from '../../src/docker/docker-reader.js';
import { daemonLines, removeQuietly, requireDocker, runContainer, uniqueName } from '../support/docker.js';
import { waitFor } from '../support/wait-for.js';
import { RUN_LABEL, captureConfig, startEngine } from './capture-harness.js';

/** Remembers every log response it hands out, to check none keeps a listener afterwards. */
class RecordingReader extends DockerReader {
  readonly responses: ApiStream[] = [];

  override async openLogs(id: string, query: LogQuery): Promise<ApiStream> {
    const response = await super.openLogs(id, query);
    this.responses.push(response);
    return response;
  }
}

interface ResourceCounts {
  handles: number;
  fds: number;
  sockets: number;
}

function resourceCounts(): ResourceCounts {
  const fds = readdirSync('/proc/self/fd');
  let sockets = 0;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) sockets += 1;
    } catch {
      // closed between readdir and readlink
    }
  }
  return { handles: process.getActiveResourcesInfo().length, fds: fds.length, sockets };
}

const ALLOWANCE = 3;

describe('rotation leaks nothing (real daemon)', () => {
  it('2,000 rotations across 20 containers leave no handles, fds, sockets or listeners', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('leak');
    const containers: Docker.Container[] = [];
    try {
      for (let i = 0; i < 20; i += 1) {
        // Mostly idle: a follow stream that blocks waiting for the next line is the case that leaked.
        containers.push(await runContainer(docker, {
          name: uniqueName(`leak${i}`),
          labels: { [RUN_LABEL]: run },
          script: `i=0; while true; do echo "c${i} line $i"; i=$((i+1)); sleep 0.3; done`,
        }));
      }
      // Let the test's own dockerode keep-alive sockets settle before the baseline.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const before = resourceCounts();
      const config = captureConfig(run, { rotationIntervalMs: 60_000 });
      const reader = new RecordingReader(config.docker);
      const under = await startEngine(config, {}, reader);
      let rotations = 0;
      let during: ResourceCounts | undefined;
      try {
        // Progress: the states of the containers not yet streaming (one in backoff retries within 2 s).
        const notStreaming = (): string[] => under.engine.status().containers.filter((c) => c.state !== 'streaming').map((c) => `${c.name}:${c.state}`);
        const allOpen = async (): Promise<void> => {
          await waitFor('all 20 streams open', {
            watch: () => ({ count: under.engine.status().containers.length, notStreaming: notStreaming() }),
            until: (o) => o.count === 20 && o.notStreaming.length === 0,
          });
        };
        await allOpen();
        while (rotations < 2000) {
          const rotated = await under.engine.rotateNow();
          rotations += rotated;
          if (during === undefined && rotations >= 1000) during = resourceCounts();
          // Let the runners reopen before the next round (and never spin on microtasks alone).
          await new Promise((resolve) => setTimeout(resolve, rotated < 20 ? 10 : 1));
        }
        await allOpen();
        const counted = under.engine.status().containers.reduce((sum, c) => sum + c.rotations, 0);
        assert.equal(counted, rotations);
      } finally {
        await under.close();
      }
      // Settling, not asserting (the assertions follow): closing is immediate in-process, so counts
      // that have not moved for 15 s will not come back by themselves.
      await waitFor('resources back at the starting count', {
        watch: resourceCounts,
        until: (now) => now.handles <= before.handles + ALLOWANCE && now.fds <= before.fds + ALLOWANCE && now.sockets <= before.sockets + ALLOWANCE,
        stallMs: 15_000,
      }).catch(() => undefined);
      const after = resourceCounts();
      t.diagnostic(`rotations: ${rotations}; log responses opened: ${reader.responses.length}`);
      t.diagnostic(`before: handles ${before.handles}, fds ${before.fds}, sockets ${before.sockets}`);
      if (during) t.diagnostic(`during (after 1000 rotations, 20 streams open): handles ${during.handles}, fds ${during.fds}, sockets ${during.sockets}`);
      t.diagnostic(`after stop: handles ${after.handles}, fds ${after.fds}, sockets ${after.sockets}`);
      assert.ok(after.handles <= before.handles + ALLOWANCE, `active handles ${before.handles} -> ${after.handles}`);
      assert.ok(after.fds <= before.fds + ALLOWANCE, `fds ${before.fds} -> ${after.fds}`);
      assert.ok(after.sockets <= before.sockets + ALLOWANCE, `sockets ${before.sockets} -> ${after.sockets}`);
      if (during) assert.ok(during.sockets <= before.sockets + 20 + ALLOWANCE + 2, `sockets piled up during rotations: ${during.sockets}`);

      assert.ok(reader.responses.length >= 2000);
      const listening = reader.responses.filter((r) => r.listenerCount('data') > 0);
      assert.equal(listening.length, 0, `${listening.length} old responses still have a 'data' listener`);
      const alive = reader.responses.filter((r) => !r.destroyed || (r.socket !== null && r.socket !== undefined && !r.socket.destroyed));
      assert.equal(alive.length, 0, `${alive.length} old responses or their sockets are not destroyed`);

      // And no line was lost or repeated across those rotations: what was captured is exactly
      // the start of what the daemon holds (the containers are still writing).
      for (const container of containers) {
        const expected = await daemonLines(docker, container.id);
        const got = under.consumer.of(container.id);
        assert.ok(got.length > 0);
        assert.ok(got.length <= expected.length);
        for (let i = 0; i < got.length; i += 1) {
          const want = expected[i];
          const line = got[i];
          assert.ok(want && line && want.timestamp === line.timestamp && want.message.equals(line.message), `line ${i} of ${container.id.slice(0, 12)} differs`);
        }
      }
    } finally {
      await Promise.all(containers.map((c) => removeQuietly(c)));
    }
  });
});
