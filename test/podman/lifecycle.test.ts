// Container lifecycle on Podman 4.3 (the private `podman system service`): Podman's own event
// vocabulary (`restart` BEFORE `die`; `init`, `attach`, `cleanup`, `sync` to ignore; `remove`
// where Docker says `destroy`) must bring the same outcome as Docker's: a container restarted
// while it logs (and started again after it stopped) is read on at its position, every line once;
// a removed one leaves /status after its last line; an unreadable log driver (Podman answers
// 500, Docker 501) is reported once and not retried.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { DockerReader } from '../../src/docker/docker-reader.js';
import type { ApiStream, LogQuery } from '../../src/docker/docker-api.js';
import { removeQuietly, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { metricValue } from '../support/metric-values.js';
import { podmanLines, requirePodman } from '../support/podman.js';
import { waitFor } from '../support/wait-for.js';
import { RUN_LABEL, assertMatchesLines, captureConfig, startEngine, waitUntilDrained } from '../capture/capture-harness.js';

class CountingReader extends DockerReader {
  readonly opened: string[] = [];
  override openLogs(id: string, query: LogQuery): Promise<ApiStream> {
    this.opened.push(id);
    return super.openLogs(id, query);
  }
}

describe('capture lifecycle on Podman (real service)', () => {
  it('a container restarted while it logs, then started again, is read on at its position; removed, it leaves /status', async (t) => {
    const found = await requirePodman(t);
    if (!found) return;
    const { podman, host } = found;
    const run = uniqueName('plife');
    const under = await startEngine(captureConfig(run, { rotationIntervalMs: 100 }, host));
    let container: Docker.Container | undefined;
    try {
      assert.equal(under.engine.status().daemon.kind, 'podman');
      // Each run: a stamp of its own, 200 lines a few ms apart (many share a second), a TERM trap
      // so that a restart stops it at once, mid-run.
      const script = 'trap "exit 0" TERM; echo "run $(cat /proc/uptime)"; i=0; while [ $i -lt 200 ]; do echo "line $i"; echo "err $i" >&2; i=$((i+1)); usleep 10000; done';
      container = await runContainer(podman, { labels: { [RUN_LABEL]: run }, script });
      const id = container.id;
      await waitFor('the first run captured in part', { watch: () => under.consumer.of(id).length, until: (n) => n >= 50 });
      await container.restart({ t: 1 }); // Podman: restart, die, init, start
      await waitForExit(container);
      await waitUntilDrained(under.engine, [id]);
      await container.start(); // the same log grows: only the new lines may come
      await waitForExit(container);
      await waitUntilDrained(under.engine, [id]);
      const expected = await podmanLines(host, id);
      const runs = expected.filter((l) => l.message.toString('utf8').startsWith('run ')).length;
      assert.equal(runs, 3, 'three runs: the first (cut by the restart), the restarted one, the one started again');
      const count = assertMatchesLines(expected, under.consumer, id, 'restarted');
      t.diagnostic(`restarted container: ${count} lines, Podman has ${expected.length}; ${under.engine.status().containers.find((c) => c.id === id)?.rotations ?? 0} rotations`);

      await container.remove();
      container = undefined;
      await waitFor('the removed container to leave /status', {
        watch: () => ({ gone: under.consumer.gone.includes(id), listed: under.engine.status().containers.some((c) => c.id === id) }),
        until: (o) => o.gone && !o.listed,
      });
    } finally {
      await under.close();
      if (container) await removeQuietly(container);
    }
  });

  it('a container removed while it runs is read to its last line before it leaves', async (t) => {
    const found = await requirePodman(t);
    if (!found) return;
    const { podman, host } = found;
    const run = uniqueName('prm');
    const under = await startEngine(captureConfig(run, { rotationIntervalMs: 100 }, host));
    let container: Docker.Container | undefined;
    try {
      container = await runContainer(podman, { labels: { [RUN_LABEL]: run }, script: 'printf "early %s\\n" $(seq 1 2000); echo done; sleep 600' });
      const id = container.id;
      await waitFor('the early lines captured', { watch: () => under.consumer.of(id).length, until: (n) => n >= 2001 });
      const expected = await podmanLines(host, id);
      await container.remove({ force: true });
      container = undefined;
      await waitFor('the removed container to leave /status', {
        watch: () => ({ gone: under.consumer.gone.includes(id), listed: under.engine.status().containers.some((c) => c.id === id) }),
        until: (o) => o.gone && !o.listed,
      });
      assert.equal(assertMatchesLines(expected, under.consumer, id, 'removed'), 2001);
    } finally {
      await under.close();
      if (container) await removeQuietly(container);
    }
  });

  it('reports a container without a readable log (Podman: 500, log driver none) once and does not retry it', async (t) => {
    const found = await requirePodman(t);
    if (!found) return;
    const { podman, host } = found;
    const run = uniqueName('pnone');
    const config = captureConfig(run, { rotationIntervalMs: 100 }, host);
    const reader = new CountingReader(config.docker);
    const under = await startEngine(config, {}, reader);
    let container: Docker.Container | undefined;
    try {
      container = await runContainer(podman, { labels: { [RUN_LABEL]: run }, logDriver: 'none', script: 'echo invisible; sleep 3' });
      const id = container.id;
      await waitFor('unreadable', { watch: () => under.engine.status().containers.find((c) => c.id === id)?.state, until: (state) => state === 'unreadable' });
      const opens = reader.opened.filter((o) => o === id).length;
      await waitForExit(container);
      await under.engine.rotateNow();
      assert.equal(reader.opened.filter((o) => o === id).length, opens, 'not asked again');
      assert.equal(await metricValue(under.metrics, 'log_capturer_unreadable_containers_total'), 1);
      assert.equal(under.engine.captureHealth().ok, true, 'unreadable is said as such, not as silence');
    } finally {
      await under.close();
      if (container) await removeQuietly(container);
    }
  });
});
