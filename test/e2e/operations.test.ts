// Issue #5: /metrics during a capture with rotations, and /readyz following the receiver and the
// Docker daemon down and back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort, startCapturerProcess, waitUntilServing, writeConfig } from '../support/capturer-process.js';
import { removeQuietly, requireDocker, runContainer, startPrivateDaemon, testDocker, uniqueName, waitForExit } from '../support/docker.js';
import { parseMetrics } from '../support/metrics-text.js';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';

const metric = (values: Map<string, number>, name: string): number => {
  let total = 0;
  let found = false;
  for (const [key, value] of values) {
    if (key === name || key.startsWith(`${name}{`)) {
      total += value;
      found = true;
    }
  }
  assert.ok(found, `metric ${name} is exported`);
  return total;
};

async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

/** A /readyz answer without its "last accepted 12s ago" clocks: what changes when readiness moves. */
const readinessState = (reply: { status: number; text: string }): string => `${reply.status} ${reply.text.replace(/\d+s ago/g, 'Ns ago')}`;

describe('operations surface', () => {
  it('/metrics shows rotations, open streams, lines, lag and every named metric', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('metrics');
    const receiver = await startStandInReceiver({ kind: 'vector' });
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-'));
    // They log until removed: the lag must fall while they log, however long a loaded machine
    // takes to get there (with a fixed number of lines they could end first, and then lag grows).
    const containers = await Promise.all([0, 1, 2].map((n) => runContainer(docker, {
      labels: { 'lct.run': run },
      script: `i=0; while true; do echo "c${n} line $i"; echo "c${n} err $i" >&2; i=$((i+1)); usleep 20000; done`,
    })));
    // A backlog (the capturer starts 3 s late) behind a slow receiver: lag starts high and must fall.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    receiver.delayReplies(300);
    const port = await freePort();
    const capturer = startCapturerProcess(['--config', writeConfig({
      capture: { rotation_interval: '200ms' },
      filters: { include_labels: [`lct.run=${run}`] },
      sink: { type: 'vector', url: receiver.url, batch: { linger: '50ms', max_events: 20 } },
      checkpoint: { state_dir: stateDir },
      server: { listen: `127.0.0.1:${port}` },
      log: { level: 'warn' },
    })]);
    t.after(async () => {
      capturer.kill('SIGKILL');
      await Promise.all(containers.map(removeQuietly));
      await receiver.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });
    const base = `http://127.0.0.1:${port}`;
    await waitUntilServing(capturer, base);
    await waitFor('/readyz 200', { watch: () => get(`${base}/readyz`), until: (r) => r.status === 200, progress: readinessState });

    const lagSamples: number[] = [];
    const scrape = async (): Promise<Map<string, number>> => parseMetrics((await get(`${base}/metrics`)).text);
    const values = await waitFor('several rotations and lines', {
      watch: async () => {
        const v = await scrape();
        lagSamples.push(metric(v, 'log_capturer_container_lag_seconds'));
        return v;
      },
      until: (v) => metric(v, 'log_capturer_container_stream_rotations_total') >= 6 && metric(v, 'log_capturer_events_sent_total') > 100,
      progress: (v) => [metric(v, 'log_capturer_container_stream_rotations_total'), metric(v, 'log_capturer_events_sent_total')],
      describe: (v) => `rotations ${metric(v, 'log_capturer_container_stream_rotations_total')}, events sent ${metric(v, 'log_capturer_events_sent_total')}`,
      intervalMs: 250,
    });

    for (const name of [
      'log_capturer_container_streams_active', 'log_capturer_container_stream_rotations_total', 'log_capturer_component_health',
      'log_capturer_containers_watched', 'log_capturer_lines_read_total', 'log_capturer_bytes_read_total',
      'log_capturer_events_sent_total', 'log_capturer_send_errors_total', 'log_capturer_retries_total',
      'log_capturer_dead_letter_events_total', 'log_capturer_buffer_bytes', 'log_capturer_streams_paused',
      'log_capturer_request_duration_seconds_count', 'log_capturer_container_lag_seconds',
      'log_capturer_partial_lines_merged_total', 'log_capturer_lines_truncated_total',
      'log_capturer_process_open_fds', 'log_capturer_nodejs_heap_size_used_bytes', 'log_capturer_nodejs_eventloop_lag_seconds',
      'log_capturer_nodejs_active_handles_total',
    ]) metric(values, name);

    assert.equal(metric(values, 'log_capturer_containers_watched'), 3);
    assert.ok(metric(values, 'log_capturer_lines_read_total') >= metric(values, 'log_capturer_events_sent_total'));
    assert.ok(metric(values, 'log_capturer_bytes_read_total') > 0);
    assert.equal(values.get('log_capturer_component_health{component="docker"}'), 1);
    assert.equal(values.get('log_capturer_component_health{component="sink"}'), 1);
    assert.ok(metric(values, 'log_capturer_request_duration_seconds_count') > 0);

    // Streams active equals the streams /status reports open. With a rotation every 200 ms a
    // stream may close between two requests, so the gauge is read before and after /status and
    // the check waits for a moment when nothing rotated in between (progress: the readings change).
    const agreed = await waitFor('streams_active to equal the streaming containers of /status', {
      watch: async () => {
        const before = metric(await scrape(), 'log_capturer_container_streams_active');
        const status = JSON.parse((await get(`${base}/status`)).text) as { capture: { containers: Array<{ state: string }> } };
        const after = metric(await scrape(), 'log_capturer_container_streams_active');
        return { before, streaming: status.capture.containers.filter((c) => c.state === 'streaming').length, after };
      },
      until: (r) => r.before === r.after && r.before === r.streaming,
      describe: (r) => `streams_active ${r.before} then ${r.after}, streaming in /status ${r.streaming}`,
    });
    assert.ok(agreed.streaming >= 1 && agreed.streaming <= 3);

    // Lag falls as the capturer catches up, while the containers are still logging. Progress is a
    // new lowest lag: catching up on a loaded machine may take long and wobble, but a lag that
    // stops reaching new lows for the stall window is not falling.
    receiver.delayReplies(0);
    const caughtUp = await waitFor('lag to fall below 1 s', {
      watch: async () => metric(await scrape(), 'log_capturer_container_lag_seconds') / 3,
      until: (lag) => lag < 1,
      direction: 'falling',
      describe: (lag) => `mean lag ${lag.toFixed(2)} s`,
    });
    const highest = Math.max(...lagSamples) / 3;
    t.diagnostic(`mean lag per container: highest ${highest.toFixed(2)} s during the backlog, ${caughtUp.toFixed(2)} s once caught up`);
    assert.ok(highest >= 1.5, `the backlog showed as lag (highest ${highest.toFixed(2)} s)`);
    assert.ok(caughtUp < highest, 'lag fell');
    for (const c of containers) {
      const info = await c.inspect();
      assert.ok(info.State.Running, 'caught up while the containers were still logging');
    }
  });

  it('/readyz turns 503 while the receiver is down and 200 when it is back', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('ready-sink');
    const receiver = await startStandInReceiver({ kind: 'vector' });
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-'));
    const container = await runContainer(docker, { labels: { 'lct.run': run }, script: 'while true; do echo tick; usleep 50000; done' });
    const port = await freePort();
    const capturer = startCapturerProcess(['--config', writeConfig({
      filters: { include_labels: [`lct.run=${run}`] },
      sink: { type: 'vector', url: receiver.url, batch: { linger: '50ms' }, retry: { max_backoff: '500ms' } },
      checkpoint: { state_dir: stateDir },
      server: { listen: `127.0.0.1:${port}` },
      log: { level: 'error' },
    })]);
    t.after(async () => {
      capturer.kill('SIGKILL');
      await removeQuietly(container);
      await receiver.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });
    const readyz = `http://127.0.0.1:${port}/readyz`;
    await waitUntilServing(capturer, `http://127.0.0.1:${port}`);
    await waitFor('ready', { watch: () => get(readyz), until: (r) => r.status === 200, progress: readinessState });
    await receiver.refuseConnections();
    // Progress: the answer itself, whose "receiver last accepted Ns ago" counts up to the 30 s
    // readiness window; once past it the check must turn red.
    const down = await waitFor('not ready while the receiver is down', { watch: () => get(readyz), until: (r) => r.status === 503 });
    assert.match(down.text, /sink/);
    await receiver.acceptConnections();
    await waitFor('ready again', { watch: () => get(readyz), until: (r) => r.status === 200, progress: readinessState });
  });

  it('/readyz turns 503 while the Docker daemon is down and 200 when it is back', async (t) => {
    if (!(await requireDocker(t))) return;
    const daemon = await startPrivateDaemon('readyz');
    const receiver = await startStandInReceiver({ kind: 'vector' });
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-'));
    const port = await freePort();
    const capturer = startCapturerProcess(['--config', writeConfig({
      docker: { host: daemon.host },
      sink: { type: 'vector', url: receiver.url },
      checkpoint: { state_dir: stateDir },
      server: { listen: `127.0.0.1:${port}` },
      log: { level: 'error' },
    })]);
    t.after(async () => {
      capturer.kill('SIGKILL');
      await receiver.stop();
      await daemon.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });
    const docker = testDocker(daemon.host);
    const container = await runContainer(docker, { script: 'echo one line' });
    await waitForExit(container);
    const readyz = `http://127.0.0.1:${port}/readyz`;
    await waitUntilServing(capturer, `http://127.0.0.1:${port}`);
    await waitFor('ready', { watch: () => get(readyz), until: (r) => r.status === 200, progress: readinessState });
    await daemon.halt();
    // As above: "daemon last answered Ns ago" counts up to the window, then the check turns red.
    const down = await waitFor('not ready while dockerd is down', { watch: () => get(readyz), until: (r) => r.status === 503 });
    assert.match(down.text, /docker/);
    await daemon.resume();
    // Progress: the verdict and its error text, not its clocks; the capturer's events watcher
    // retries within 10 s, its log streams within 30 s.
    await waitFor('ready again', { watch: () => get(readyz), until: (r) => r.status === 200, progress: readinessState });
  });
});
