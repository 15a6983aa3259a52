import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { Agent } from 'node:http';
import { after, afterEach, describe, it } from 'node:test';
import type { ServerConfig } from '../config/capturer-config.js';
import { silentLogger } from '../utils/logger.js';
import { ServerListenError, startHttpServer } from './http-server.js';
import type { ConnectionTimeouts, RunningHttpServer } from './http-server.js';
import { Counter } from 'prom-client';
import { metricSamples } from '../../test/support/metric-values.js';
import { waitFor } from '../../test/support/wait-for.js';
import { createMetricsRegistry } from '../telemetry/metrics-registry.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import type { CaptureHealth, DockerHealth, ServerSources, SinkHealth } from './server-sources.js';

const TOKEN = 'tok-7f3a9c-very-secret';

class FakeSources implements ServerSources {
  stopping = false;
  docker: DockerHealth = { ok: true, lastSuccessAt: Date.now() };
  sink: SinkHealth = { ok: true, lastSuccessAt: Date.now() };
  checkpoint = true;
  capture: CaptureHealth = { ok: true, silent: [] };
  snapshot: () => unknown = () => ({ containers: [{ name: 'web', state: 'streaming' }], pool: { active: 1, capacity: 100 } });
  shuttingDown(): boolean { return this.stopping; }
  dockerHealth(): DockerHealth { return this.docker; }
  sinkHealth(): SinkHealth { return this.sink; }
  checkpointHealthy(): boolean { return this.checkpoint; }
  captureHealth(): CaptureHealth { return this.capture; }
  status(): unknown { return this.snapshot(); }
}

interface Reply { status: number; headers: Headers; text: string; json: unknown }

async function get(url: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: response.status, headers: response.headers, text, json };
}

function config(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return { enabled: true, host: '127.0.0.1', port: 0, maxConnections: 128, ...overrides };
}

async function healthGauge(metrics: MetricsRegistry, component: string): Promise<number | undefined> {
  return (await metricSamples(metrics, 'log_capturer_component_health')).find((v) => v.labels.component === component)?.value;
}

void describe('startHttpServer', () => {
  const running: RunningHttpServer[] = [];
  async function start(sources: FakeSources, metrics = createMetricsRegistry({ defaultMetrics: false }), extra: Partial<ServerConfig> = {}, readinessWindowMs?: number, healthRefreshMs?: number, connectionTimeouts?: Partial<ConnectionTimeouts>) {
    const server = await startHttpServer({
      config: config(extra), registry: metrics, logger: silentLogger(), sources,
      ...(readinessWindowMs ? { readinessWindowMs } : {}), ...(healthRefreshMs ? { healthRefreshMs } : {}), ...(connectionTimeouts ? { connectionTimeouts } : {}),
    });
    running.push(server);
    return server;
  }
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.close()));
  });

  void it('answers /healthz 200 while running and 503 while shutting down', async () => {
    const sources = new FakeSources();
    const { url } = await start(sources);
    const ok = await get(`${url}/healthz`);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { status: 'ok' });
    assert.match(ok.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(ok.headers.get('x-powered-by'), null);
    sources.stopping = true;
    const stopping = await get(`${url}/healthz`);
    assert.equal(stopping.status, 503);
    assert.deepEqual(stopping.json, { status: 'shutting down' });
  });

  void it('answers /readyz 200 when all checks pass and 503 naming each failing check', async () => {
    const sources = new FakeSources();
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const { url } = await start(sources, metrics);
    const ready = await get(`${url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal((ready.json as { status: string }).status, 'ready');
    assert.equal(await healthGauge(metrics, 'sink'), 1);
    assert.equal(await healthGauge(metrics, 'server'), 1);

    sources.docker = { ok: false, lastSuccessAt: Date.now() - 60_000, error: 'connect ENOENT /var/run/docker.sock' };
    sources.sink = { ok: true, lastSuccessAt: Date.now(), configError: 'receiver answered 401' };
    const notReady = await get(`${url}/readyz`);
    assert.equal(notReady.status, 503);
    const body = notReady.json as { status: string; failing: string[]; checks: { name: string; ok: boolean; detail: string }[] };
    assert.equal(body.status, 'not ready');
    assert.deepEqual(body.failing, ['docker', 'sink']);
    assert.match(body.checks.find((c) => c.name === 'docker')?.detail ?? '', /ENOENT/);
    assert.match(body.checks.find((c) => c.name === 'sink')?.detail ?? '', /401/);
    assert.equal(await healthGauge(metrics, 'docker'), 0);
    assert.equal(await healthGauge(metrics, 'sink'), 0);
    assert.equal(await healthGauge(metrics, 'checkpoint'), 1);

    sources.docker = { ok: true, lastSuccessAt: Date.now() };
    sources.sink = { ok: true, lastSuccessAt: Date.now() };
    assert.equal((await get(`${url}/readyz`)).status, 200);
    assert.equal(await healthGauge(metrics, 'docker'), 1);
  });

  void it('uses the readiness window: a failing sink stays ready until its last success is older than the window', async () => {
    const sources = new FakeSources();
    const { url } = await start(sources, undefined, {}, 60_000);
    sources.sink = { ok: false, lastSuccessAt: Date.now() - 10_000 };
    assert.equal((await get(`${url}/readyz`)).status, 200);
    sources.sink = { ok: false, lastSuccessAt: Date.now() - 120_000 };
    const late = await get(`${url}/readyz`);
    assert.equal(late.status, 503);
    assert.deepEqual((late.json as { failing: string[] }).failing, ['sink']);
  });

  void it('answers /readyz 503 while shutting down', async () => {
    const sources = new FakeSources();
    const { url } = await start(sources);
    sources.stopping = true;
    const reply = await get(`${url}/readyz`);
    assert.equal(reply.status, 503);
    assert.equal((reply.json as { status: string }).status, 'shutting down');
  });

  void it('refreshes component_health on a timer without /readyz being called', async () => {
    const sources = new FakeSources();
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    await start(sources, metrics, {}, undefined, 50);
    const checkpointHealth = (): Promise<number | undefined> => healthGauge(metrics, 'checkpoint');
    await waitFor('component_health{checkpoint} 1', { watch: checkpointHealth, until: (v) => v === 1, intervalMs: 20 });
    sources.checkpoint = false;
    await waitFor('component_health{checkpoint} 0 from the timer', { watch: checkpointHealth, until: (v) => v === 0, intervalMs: 20 });
    sources.checkpoint = true;
    await waitFor('component_health{checkpoint} 1 again', { watch: checkpointHealth, until: (v) => v === 1, intervalMs: 20 });
  });

  void it('serves /metrics as Prometheus text with the default process metrics prefixed', async () => {
    const metrics = createMetricsRegistry();
    new Counter({ name: 'log_capturer_container_stream_rotations_total', help: 'a component\'s series', registers: [metrics] }).inc(3);
    const { url } = await start(new FakeSources(), metrics);
    const reply = await get(`${url}/metrics`);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get('content-type'), metrics.contentType);
    assert.match(reply.text, /^log_capturer_container_stream_rotations_total 3$/m);
    assert.match(reply.text, /^log_capturer_component_health\{component="server"\} 1$/m);
    assert.match(reply.text, /^log_capturer_process_resident_memory_bytes \d+/m);
    assert.match(reply.text, /^log_capturer_nodejs_eventloop_lag_seconds /m);
  });

  void it('serves /status with version, uptime and the sources snapshot, secrets redacted', async () => {
    const sources = new FakeSources();
    sources.snapshot = () => ({ sink: { url: 'http://alice:pw123@vector:8080/', password: 'pw123', state: 'sending' }, containers: [] });
    const { url } = await start(sources);
    const reply = await get(`${url}/status`);
    assert.equal(reply.status, 200);
    const body = reply.json as Record<string, unknown>;
    assert.equal(typeof body.version, 'string');
    assert.notEqual(body.version, 'unknown');
    assert.equal(typeof body.uptime_seconds, 'number');
    assert.deepEqual(body.containers, []);
    assert.equal((body.sink as { state: string }).state, 'sending');
    assert.doesNotMatch(reply.text, /pw123/);
  });

  void it('protects /status with the bearer token and never echoes it', async () => {
    const { url } = await start(new FakeSources(), undefined, { statusToken: TOKEN });
    const replies = [
      await get(`${url}/status`),
      await get(`${url}/status`, { headers: { authorization: 'Bearer wrong' } }),
      await get(`${url}/status`, { headers: { authorization: `Basic ${TOKEN}` } }),
      await get(`${url}/status`, { headers: { authorization: `Bearer ${TOKEN}x` } }),
    ];
    for (const reply of replies) {
      assert.equal(reply.status, 401);
      assert.deepEqual(reply.json, { error: 'unauthorized' });
      assert.match(reply.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    const ok = await get(`${url}/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    assert.equal((ok.json as { pool: { active: number } }).pool.active, 1);
    for (const path of ['/status', '/readyz', '/metrics', '/healthz', '/nope']) {
      const reply = await get(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.ok(!reply.text.includes(TOKEN), `${path} echoed the token`);
      for (const [, value] of reply.headers) assert.ok(!value.includes(TOKEN), `${path} header echoed the token`);
    }
  });

  void it('answers unknown paths with 404 JSON and wrong methods with 405 and Allow', async () => {
    const { url } = await start(new FakeSources());
    const missing = await get(`${url}/nope/deeper?x=1`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { error: 'not found', path: '/nope/deeper' });
    assert.equal(missing.headers.get('x-powered-by'), null);
    for (const path of ['/healthz', '/readyz', '/metrics', '/status']) {
      const wrong = await get(`${url}${path}`, { method: 'POST', body: 'x' });
      assert.equal(wrong.status, 405, path);
      assert.equal(wrong.headers.get('allow'), 'GET, HEAD');
      assert.equal((wrong.json as { error: string }).error, 'method not allowed');
    }
    const head = await fetch(`${url}/healthz`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });

  void it('answers a failing handler with 500 JSON and no stack trace', async () => {
    const sources = new FakeSources();
    sources.snapshot = () => { throw new Error('boom at /secret/path'); };
    const { url } = await start(sources);
    const reply = await get(`${url}/status`);
    assert.equal(reply.status, 500);
    assert.deepEqual(reply.json, { error: 'internal error' });
    assert.doesNotMatch(reply.text, /boom|at |\.ts/);
  });

  void it('close() stops listening and ends keep-alive connections', async () => {
    const server = await startHttpServer({ config: config(), registry: createMetricsRegistry({ defaultMetrics: false }), logger: silentLogger(), sources: new FakeSources() });
    const agent = new Agent({ keepAlive: true });
    after(() => agent.destroy());
    const socketClosed = new Promise<void>((resolve, reject) => {
      const req = request(`${server.url}/healthz`, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          const socket = req.socket;
          if (socket === null || socket.destroyed) reject(new Error('socket was not kept alive'));
          else socket.once('close', () => resolve());
        });
      });
      req.on('error', reject);
      req.end();
    });
    // Wait until the keep-alive socket is idle in the agent, then close the server.
    await waitFor('the keep-alive socket idle in the agent', { watch: () => Object.keys(agent.freeSockets).length, until: (n) => n > 0, intervalMs: 20 });
    await server.close();
    await socketClosed;
    await server.close();
    await assert.rejects(fetch(`${server.url}/healthz`));
  });

  void it('rejects a taken port with one line naming the address and how to choose another', async () => {
    const first = await start(new FakeSources());
    const port = Number(new URL(first.url).port);
    await assert.rejects(start(new FakeSources(), undefined, { port }), (error: unknown) => {
      assert.ok(error instanceof ServerListenError);
      assert.equal(error.code, 'EADDRINUSE');
      assert.equal(error.address, `127.0.0.1:${port}`);
      assert.ok(!error.message.includes('\n'), 'one line');
      assert.match(error.message, new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${port} .*already in use`));
      for (const where of ['--listen HOST:PORT', 'server.listen', 'LOG_CAPTURER_SERVER_LISTEN', 'server.enabled: false']) assert.ok(error.message.includes(where), `names ${where}`);
      return true;
    });
  });

  void it('names an IPv6 address in brackets and says what an unknown address means', async () => {
    await assert.rejects(start(new FakeSources(), undefined, { host: '192.0.2.1', port: 0 }), (error: unknown) => {
      assert.ok(error instanceof ServerListenError);
      assert.equal(error.code, 'EADDRNOTAVAIL');
      assert.match(error.message, /^cannot listen on 192\.0\.2\.1:0 .*this host has no such address/);
      return true;
    });
    const first = await start(new FakeSources(), undefined, { host: '::1' }).catch(() => undefined);
    if (first === undefined) return; // no IPv6 loopback here
    const port = Number(new URL(first.url).port);
    await assert.rejects(start(new FakeSources(), undefined, { host: '::1', port }), /^ServerListenError: cannot listen on \[::1\]:\d+ /);
  });
});

/** A raw TCP connection to the server that records when the server closes it and what it said. */
function rawConnection(url: string): Promise<{ socket: Socket; closed: () => boolean; received: () => string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let closed = false;
    let received = '';
    const socket = connect(Number(port), hostname, () => resolve({ socket, closed: () => closed, received: () => received }));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
    socket.on('close', () => {
      closed = true;
    });
  });
}

// Issue 11 item 8: 21,000 idle connections took every file descriptor of the process.
void describe('startHttpServer under a connection flood', () => {
  const running: RunningHttpServer[] = [];
  const clients: Socket[] = [];
  afterEach(async () => {
    for (const socket of clients.splice(0)) socket.destroy();
    await Promise.all(running.splice(0).map((s) => s.close()));
  });

  void it('holds at most server.max_connections: idle ones beyond it are closed, and /readyz still answers', async () => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const server = await startHttpServer({ config: config({ maxConnections: 8 }), registry: metrics, logger: silentLogger(), sources: new FakeSources() });
    running.push(server);
    const flood: Array<Awaited<ReturnType<typeof rawConnection>>> = [];
    for (let n = 0; n < 40; n += 1) {
      const connection = await rawConnection(server.url);
      clients.push(connection.socket);
      flood.push(connection);
    }
    await waitFor('the connections beyond max_connections closed', { watch: () => flood.filter((c) => c.closed()).length, until: (n) => n >= 40 - 8, intervalMs: 20 });
    const open = async () => (await metricSamples(metrics, 'log_capturer_server_connections'))[0]?.value;
    assert.ok(((await open()) ?? Infinity) <= 8, `the server holds ${await open()} connections`);
    const shed = (await metricSamples(metrics, 'log_capturer_server_connections_shed_total')).find((v) => v.labels.reason === 'idle_evicted')?.value ?? 0;
    assert.ok(shed >= 32, `${shed} idle connections evicted`);
    for (let n = 0; n < 3; n += 1) assert.equal((await get(`${server.url}/readyz`)).status, 200, 'a probe gets in while the flood holds every slot');
  });

  void it('closes connections that send nothing, or their headers too slowly, at the header timeout (408)', async () => {
    const server = await startHttpServer({
      config: config(), registry: createMetricsRegistry({ defaultMetrics: false }), logger: silentLogger(), sources: new FakeSources(),
      connectionTimeouts: { headersMs: 300, requestMs: 600, checkIntervalMs: 50 },
    });
    running.push(server);
    const silent = await rawConnection(server.url);
    const slowloris = await rawConnection(server.url);
    clients.push(silent.socket, slowloris.socket);
    slowloris.socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => slowloris.socket.write('X-Drip: 1\r\n'), 50);
    try {
      await waitFor('both slow connections closed at the header timeout', { watch: () => ({ silent: silent.closed(), slowloris: slowloris.closed() }), until: (o) => o.silent && o.slowloris, intervalMs: 20 });
    } finally {
      clearInterval(drip);
    }
    assert.match(silent.received(), /^HTTP\/1\.1 408/);
    assert.match(slowloris.received(), /^HTTP\/1\.1 408/);
  });
});
