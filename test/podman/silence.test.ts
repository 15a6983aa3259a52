// Silent failure is a failure, on a real Podman service: capture reads it through a small proxy
// that can spoil one container's log streams. While every byte of them is garbage (`undecodable`),
// or while its follow streams send nothing though Podman has lines (`not_delivered`), the
// container is silent: /status says so, /readyz fails its `capture` check, and
// log_capturer_container_silent names it. Once the streams are sound again, every line Podman has
// arrives exactly once (the position never moved over lines it did not get), and readiness is back.
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type Docker from 'dockerode';
import { startHttpServer } from '../../src/server/http-server.js';
import { silentLogger } from '../../src/utils/logger.js';
import { listenOnLoopback } from '../support/capturer-process.js';
import { removeQuietly, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { metricValue } from '../support/metric-values.js';
import { podmanLines, requirePodman } from '../support/podman.js';
import { waitFor } from '../support/wait-for.js';
import { RUN_LABEL, assertMatchesLines, captureConfig, startEngine, waitUntilDrained } from '../capture/capture-harness.js';

type Spoil = 'none' | 'garbage' | 'hold-follow';

interface SpoilingProxy {
  host: string;
  /** How the log streams of containers whose id is in `targets` are spoiled from now on. */
  mode: Spoil;
  targets: Set<string>;
}

/** A plain HTTP proxy in front of the Podman socket that spoils the chosen containers' log streams. */
async function startSpoilingProxy(t: TestContext, socketPath: string): Promise<SpoilingProxy> {
  const sockets = new Set<Socket>();
  const proxy: SpoilingProxy = { host: '', mode: 'none', targets: new Set() };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const target = /\/containers\/([0-9a-f]{64})\/logs\?/.exec(url)?.[1];
    const spoil = target !== undefined && proxy.targets.has(target) ? proxy.mode : 'none';
    const upstream = request({ socketPath, method: req.method, path: url, headers: req.headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (spoil === 'hold-follow' && /[?&]follow=(1|true)/.test(url)) {
        answer.resume(); // Podman's lines go nowhere: the follow stream stays open and says nothing
        return;
      }
      answer.on('data', (chunk: Buffer) => res.write(spoil === 'garbage' ? Buffer.alloc(chunk.length, 0x41) : chunk));
      answer.on('end', () => res.end());
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listenOnLoopback(server);
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  proxy.host = `tcp://127.0.0.1:${port}`;
  return proxy;
}

async function readyz(url: string): Promise<{ status: number; failing: string[] }> {
  const response = await fetch(`${url}/readyz`);
  const body = (await response.json()) as { failing?: string[] };
  return { status: response.status, failing: body.failing ?? [] };
}

async function scenario(t: TestContext, spoil: Exclude<Spoil, 'none'>, reason: string): Promise<void> {
  const found = await requirePodman(t);
  if (!found) return;
  const { podman, host } = found;
  if (!host.startsWith('unix://')) throw new Error(`PODMAN_HOST is a unix socket here, not ${host}`);
  const proxy = await startSpoilingProxy(t, host.slice('unix://'.length));
  const run = uniqueName('psilent');
  const under = await startEngine(captureConfig(run, { rotationIntervalMs: 300 }, proxy.host), { silenceProbeIntervalMs: 300 });
  const { engine } = under;
  const server = await startHttpServer({
    config: { enabled: true, host: '127.0.0.1', port: 0, maxConnections: 128 },
    registry: under.metrics,
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
  let container: Docker.Container | undefined;
  try {
    // It logs for as long as the test needs (a line every 100 ms), until it is stopped.
    container = await runContainer(podman, { labels: { [RUN_LABEL]: run }, script: 'trap "exit 0" TERM; i=0; while :; do echo "line $i"; i=$((i+1)); usleep 100000; done' });
    const id = container.id;
    await waitFor('the first lines captured', { watch: () => under.consumer.of(id).length, until: (n) => n >= 5 });
    assert.equal((await readyz(server.url)).status, 200);

    proxy.targets.add(id);
    proxy.mode = spoil;
    await engine.rotateNow(); // the next stream is spoiled
    const silent = await waitFor(`the container to be silent (${reason})`, {
      watch: () => engine.status().containers.find((c) => c.id === id),
      until: (c) => c?.silent !== undefined,
      progress: (c) => [c?.rotations, c?.undecodableBytes, c?.state],
    });
    assert.equal(silent?.silent?.reason, reason);
    const notReady = await waitFor('/readyz to fail its capture check', { watch: () => readyz(server.url), until: (r) => r.status === 503 });
    assert.deepEqual(notReady.failing, ['capture']);
    await waitFor('the container\'s silent series', {
      watch: () => metricValue(under.metrics, 'log_capturer_container_silent', { reason }),
      until: (n) => n === 1,
    });
    const linesWhileSilent = under.consumer.of(id).length;
    t.diagnostic(`${reason}: silent since ${silent?.silent?.since}; ${silent?.silent?.detail}; ${silent?.undecodableBytes} undecodable bytes`);

    proxy.mode = 'none';
    await engine.rotateNow();
    await waitFor('lines again', { watch: () => under.consumer.of(id).length, until: (n) => n > linesWhileSilent });
    await waitFor('the container to deliver again', { watch: () => engine.status().containers.find((c) => c.id === id)?.silent, until: (s) => s === undefined });
    await waitFor('/readyz ready again', { watch: () => readyz(server.url), until: (r) => r.status === 200 });
    await container.stop({ t: 5 });
    await waitForExit(container);
    await waitUntilDrained(engine, [id]);
    assertMatchesLines(await podmanLines(host, id), under.consumer, id, reason);
    assert.equal(await metricValue(under.metrics, 'log_capturer_container_silent'), 0);
  } finally {
    await server.close();
    await under.close();
    if (container) await removeQuietly(container);
  }
}

describe('silent containers on Podman (real service, spoiled streams)', () => {
  it('a stream of undecodable bytes only: silent (undecodable), not ready, then every line once', async (t) => scenario(t, 'garbage', 'undecodable'));
  it('follow streams that deliver nothing while Podman has lines: silent (not_delivered), not ready, then every line once', async (t) => scenario(t, 'hold-follow', 'not_delivered'));
});
