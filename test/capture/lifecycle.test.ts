// Container lifecycle against the real daemon: restart reattaches at the position, destroy drops
// the state after the last line, an unreadable log driver is reported once and not retried,
// initial_position: end skips history, and the opt-out label is honoured.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { ApiStream, LogQuery } from '../../src/docker/docker-api.js';
import { DockerReader } from '../../src/docker/docker-reader.js';
import { metricValue } from '../support/metric-values.js';
import { removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { waitFor } from '../support/wait-for.js';
import { RUN_LABEL, assertMatchesDaemon, captureConfig, startEngine, waitUntilDrained } from './capture-harness.js';

class CountingReader extends DockerReader {
  readonly opened: string[] = [];
  opens(id: string): number {
    return this.opened.filter((opened) => opened === id).length;
  }
  override openLogs(id: string, query: LogQuery): Promise<ApiStream> {
    this.opened.push(id);
    return super.openLogs(id, query);
  }
}

describe('capture lifecycle (real daemon)', () => {
  it('reattaches a restarted container at its position and drops a destroyed one after its last line', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('life');
    const under = await startEngine(captureConfig(run, { rotationIntervalMs: 150 }));
    let container: Docker.Container | undefined;
    try {
      container = await runContainer(docker, { labels: { [RUN_LABEL]: run }, script: 'echo "run at $(date)"; printf "same %s\\n" $(seq 1 300); echo err >&2' });
      await waitForExit(container);
      await waitUntilDrained(under.engine, [container.id]);
      await container.start(); // the same log file grows: only the new lines may come
      await waitForExit(container);
      await waitFor('second run captured', { watch: () => under.consumer.of(container?.id ?? '').length, until: (n) => n >= 2 * 302 });
      await waitUntilDrained(under.engine, [container.id]);
      const count = await assertMatchesDaemon(docker, under.consumer, container.id);
      assert.equal(count, 2 * 302);
      const id = container.id;
      await container.remove();
      container = undefined;
      await waitFor('containerGone', {
        watch: () => ({ gone: under.consumer.gone.includes(id), state: under.engine.status().containers.find((c) => c.id === id)?.state }),
        until: (o) => o.gone,
      });
      assert.equal(under.engine.status().containers.some((c) => c.id === id), false);
    } finally {
      await under.close();
      if (container) await removeQuietly(container);
    }
  });

  it('reports an unreadable log driver once and does not retry it', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('none');
    const config = captureConfig(run, { rotationIntervalMs: 100 });
    const reader = new CountingReader(config.docker);
    const under = await startEngine(config, {}, reader);
    let container: Docker.Container | undefined;
    let marker: Docker.Container | undefined;
    try {
      container = await runContainer(docker, { labels: { [RUN_LABEL]: run }, logDriver: 'none', script: 'while true; do echo x; sleep 0.05; done' });
      const id = container.id;
      await waitFor('unreadable', { watch: () => under.engine.status().containers.find((c) => c.id === id)?.state, until: (state) => state === 'unreadable' });
      const opens = reader.opens(id);
      await container.restart({ t: 0 }); // a start event must not bring a retry loop either
      // Events are handled in order, so once a container started after the restart is being read,
      // the restart's start event has been handled (not a pause a loaded machine may sleep through).
      marker = await runContainer(docker, { labels: { [RUN_LABEL]: run }, script: 'echo marker' });
      const markerId = marker.id;
      await waitFor('a container started after the restart to be read', { watch: () => under.consumer.of(markerId).length, until: (n) => n > 0 });
      assert.equal(reader.opens(id), opens);
      assert.equal(await metricValue(under.metrics, 'log_capturer_unreadable_containers_total'), 1);
      assert.match(under.engine.status().containers.find((c) => c.id === id)?.lastError ?? '', /not support reading|501/i);
    } finally {
      await under.close();
      if (container) await removeQuietly(container);
      if (marker) await removeQuietly(marker);
    }
  });

  it('initial_position end skips history on the first run; the opt-out label excludes', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('end');
    // `fresh` is written only once the engine runs (a file the test creates), so "history before
    // the first start, fresh after it" holds however slowly a loaded machine starts the engine.
    const old = await runContainer(docker, { labels: { [RUN_LABEL]: run }, script: 'echo history; while [ ! -f /tmp/go ]; do sleep 0.05; done; echo fresh' });
    const optedOut = await runContainer(docker, { labels: { [RUN_LABEL]: run, 'log-capturer.enable': 'false' }, script: 'echo secret' });
    await waitFor('history written', { watch: async () => (await old.logs({ stdout: true, stderr: true })).toString(), until: (log) => log.includes('history') });
    const under = await startEngine(captureConfig(run, { initialPosition: 'end' }));
    try {
      await waitFor('the container followed', { watch: () => under.engine.status().containers.find((c) => c.id === old.id)?.state, until: (state) => state !== undefined });
      const go = await old.exec({ Cmd: ['touch', '/tmp/go'] });
      await go.start({});
      await waitForExit(old);
      await waitForExit(optedOut);
      await waitUntilDrained(under.engine, [old.id]);
      assert.deepEqual(under.consumer.of(old.id).map((l) => l.message.toString()), ['fresh']);
      assert.equal(under.engine.status().containers.some((c) => c.id === optedOut.id), false);
      assert.equal(under.consumer.of(optedOut.id).length, 0);
    } finally {
      await under.close();
      await Promise.all([removeQuietly(old), removeQuietly(optedOut)]);
    }
  });
});
