// The server wired to a real capture engine on a private daemon: /metrics shows a live capture
// with rotations, and /readyz turns 503 when the daemon is stopped and 200 when it is back.
// (The sink side of /readyz is covered with fake sources in src/server; the whole pipeline's
// end-to-end check belongs with the wired app.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { startHttpServer } from '../../src/server/http-server.js';
import type { RunningHttpServer } from '../../src/server/http-server.js';
import { silentLogger } from '../../src/utils/logger.js';
import { RUN_LABEL, captureConfig, startEngine } from '../capture/capture-harness.js';
import { removeQuietly, requireDocker, runContainer, startPrivateDaemon, testDocker, uniqueName } from '../support/docker.js';
import { waitFor } from '../support/wait-for.js';

/** The value of one sample in Prometheus text, or undefined when the series is absent. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const escaped = `${name}${labels ? `{${labels}}` : ''}`.replace(/[{}.*+?^$()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

async function readyz(url: string): Promise<{ status: number; failing: string[]; checks: unknown }> {
  const response = await fetch(`${url}/readyz`);
  const body = (await response.json()) as { failing?: string[]; checks?: unknown };
  return { status: response.status, failing: body.failing ?? [], checks: body.checks };
}

/** A /readyz reply without its "last answered 12s ago" clocks: what changes when readiness moves. */
const readinessState = (reply: unknown): string => JSON.stringify(reply).replace(/\d+s ago/g, 'Ns ago');

void describe('operations surface on a live capture (private daemon)', () => {
  void it('scrapes plausible capture metrics and follows the daemon going away and coming back', async (t) => {
    if (!(await requireDocker(t))) return;
    const daemon = await startPrivateDaemon('ops-ready');
    const docker = testDocker(daemon.host);
    const containers: Docker.Container[] = [];
    let under: Awaited<ReturnType<typeof startEngine>> | undefined;
    let server: RunningHttpServer | undefined;
    try {
      const runId = uniqueName('ops');
      under = await startEngine(captureConfig(runId, { rotationIntervalMs: 300 }, daemon.host));
      const { engine, metrics } = under;
      server = await startHttpServer({
        config: { enabled: true, host: '127.0.0.1', port: 0, maxConnections: 128 },
        registry: metrics,
        logger: silentLogger(),
        readinessWindowMs: 1_000,
        healthRefreshMs: 100,
        sources: {
          shuttingDown: () => false,
          dockerHealth: () => engine.dockerHealth(),
          captureHealth: () => engine.captureHealth(),
          sinkHealth: () => ({ ok: true, lastSuccessAt: Date.now() }),
          checkpointHealthy: () => true,
          status: () => engine.status(),
        },
      });
      const url = server.url;
      for (let i = 0; i < 2; i += 1) {
        containers.push(await runContainer(docker, {
          name: uniqueName(`ops${i}`),
          labels: { [RUN_LABEL]: runId },
          script: `i=0; while true; do echo "ops${i} out $i"; echo "ops${i} err $i" >&2; i=$((i+1)); sleep 0.05; done`,
        }));
      }

      let text = '';
      const scrape = async (): Promise<string> => {
        text = await (await fetch(`${url}/metrics`)).text();
        return text;
      };
      await waitFor('both containers captured and streams rotated a few times', {
        watch: async () => {
          await scrape();
          return { rotations: sample(text, 'log_capturer_container_stream_rotations_total') ?? 0, lines: engine.status().containers.map((c) => c.lines) };
        },
        until: (o) => o.rotations >= 4 && o.lines.filter((n) => n > 0).length === 2,
      });
      assert.ok((sample(text, 'log_capturer_lines_read_total', 'stream="stdout"') ?? 0) > 0);
      assert.ok((sample(text, 'log_capturer_lines_read_total', 'stream="stderr"') ?? 0) > 0);
      assert.ok((sample(text, 'log_capturer_bytes_read_total') ?? 0) > 0);
      assert.equal(sample(text, 'log_capturer_containers_watched'), 2);
      assert.equal(sample(text, 'log_capturer_component_health', 'component="docker"'), 1);
      assert.equal(sample(text, 'log_capturer_component_health', 'component="server"'), 1);
      assert.equal(sample(text, 'log_capturer_streams_paused'), 0);
      // Streams close and reopen on rotation, so compare a scrape with the status taken with it.
      // A sampling wait: each scrape is a new chance while the streams rotate (every 300 ms).
      await waitFor('streams_active equals the streams open in /status', {
        watch: async () => {
          await scrape();
          const open = engine.status().containers.filter((c) => c.state === 'streaming').length;
          return { active: sample(text, 'log_capturer_container_streams_active'), open, rotations: sample(text, 'log_capturer_container_stream_rotations_total') };
        },
        until: (o) => o.active === o.open && o.open === 2,
        progress: (o) => o.rotations,
      });
      const statusBody = (await (await fetch(`${url}/status`)).json()) as { version: string; containers: { state: string; rotations: number }[] };
      assert.equal(statusBody.containers.length, 2);
      assert.ok(statusBody.containers.every((c) => c.rotations > 0));

      assert.equal((await readyz(url)).status, 200);

      await daemon.halt();
      // Progress: the reply itself, whose "last answered Ns ago" counts towards the 1 s window.
      await waitFor('/readyz 503 naming docker while the daemon is stopped', {
        watch: () => readyz(url),
        until: (reply) => reply.status === 503 && reply.failing.includes('docker') && !reply.failing.includes('sink'),
      });
      await waitFor('component_health{docker} 0 without /readyz being asked', {
        watch: async () => {
          await scrape();
          return { health: sample(text, 'log_capturer_component_health', 'component="docker"'), docker: engine.dockerHealth() };
        },
        until: (o) => o.health === 0,
      });

      await daemon.resume();
      // Progress: the readiness verdict and error (not its clocks); the engine retries within 2 s,
      // the events watcher within 10 s.
      await waitFor('/readyz 200 once the daemon is back', { watch: () => readyz(url), until: (reply) => reply.status === 200, progress: readinessState });
      await scrape();
      assert.equal(sample(text, 'log_capturer_component_health', 'component="docker"'), 1);
    } finally {
      await server?.close();
      await under?.close();
      await Promise.all(containers.map((c) => removeQuietly(c)));
      await daemon.stop();
    }
  });
});
