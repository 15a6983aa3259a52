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
import { RUN_LABEL, assertMatchesDaemon, captureConfig, startEngine, waitFor, waitUntilDrained } from './capture-harness.js';

class CountingReader extends DockerReader {
  opens = 0;
  override openLogs(id: string, query: LogQuery): Promise<ApiStream> {
    this.opens += 1;
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
      await waitFor('second run captured', () => under.consumer.of(container?.id ?? '').length >= 2 * 302);
      await waitUntilDrained(under.engine, [container.id]);
      const count = await assertMatchesDaemon(docker, under.consumer, container.id);
      assert.equal(count, 2 * 302);
      const id = container.id;
      await container.remove();
      container = undefined;
      await waitFor('containerGone', () => under.consumer.gone.includes(id));
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
    try {
      container = await runContainer(docker, { labels: { [RUN_LABEL]: run }, logDriver: 'none', script: 'while true; do echo x; sleep 0.05; done' });
      const id = container.id;
      await waitFor('unreadable', () => under.engine.status().containers.some((c) => c.id === id && c.state === 'unreadable'));
      const opens = reader.opens;
      await container.restart({ t: 0 }); // a start event must not bring a retry loop either
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(reader.opens, opens);
      assert.equal(await metricValue(under.metrics, 'log_capturer_unreadable_containers_total'), 1);
      assert.match(under.engine.status().containers.find((c) => c.id === id)?.lastError ?? '', /not support reading|501/i);
    } finally {
      await under.close();
      if (container) await removeQuietly(container);
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
    await waitFor('history written', async () => (await old.logs({ stdout: true, stderr: true })).toString().includes('history'), 10_000);
    const under = await startEngine(captureConfig(run, { initialPosition: 'end' }));
    try {
      await waitFor('the container followed', () => under.engine.status().containers.some((c) => c.id === old.id));
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
