import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Agent } from 'node:http';
import { after, afterEach, describe, it } from 'node:test';
import type { ServerConfig } from '../config/capturer-config.js';
import { silentLogger } from '../utils/logger.js';
import { startHttpServer } from './http-server.js';
import type { RunningHttpServer } from './http-server.js';
import { Counter } from 'prom-client';
import { metricSamples } from '../../test/support/metric-values.js';
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
  return { enabled: true, host: '127.0.0.1', port: 0, ...overrides };
}

async function healthGauge(metrics: MetricsRegistry, component: string): Promise<number | undefined> {
  return (await metricSamples(metrics, 'log_capturer_component_health')).find((v) => v.labels.component === component)?.value;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

void describe('startHttpServer', () => {
  const running: RunningHttpServer[] = [];
  async function start(sources: FakeSources, metrics = createMetricsRegistry({ defaultMetrics: false }), extra: Partial<ServerConfig> = {}, readinessWindowMs?: number, healthRefreshMs?: number) {
    const server = await startHttpServer({ config: config(extra), registry: metrics, logger: silentLogger(), sources, ...(readinessWindowMs ? { readinessWindowMs } : {}), ...(healthRefreshMs ? { healthRefreshMs } : {}) });
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
    await waitFor(async () => (await healthGauge(metrics, 'checkpoint')) === 1);
    sources.checkpoint = false;
    await waitFor(async () => (await healthGauge(metrics, 'checkpoint')) === 0);
    sources.checkpoint = true;
    await waitFor(async () => (await healthGauge(metrics, 'checkpoint')) === 1);
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
    await waitFor(() => Promise.resolve(Object.keys(agent.freeSockets).length > 0));
    await server.close();
    await socketClosed;
    await server.close();
    await assert.rejects(fetch(`${server.url}/healthz`));
  });

  void it('rejects when the port is taken', async () => {
    const first = await start(new FakeSources());
    const port = Number(new URL(first.url).port);
    await assert.rejects(start(new FakeSources(), undefined, { port }), /EADDRINUSE/);
  });
});
