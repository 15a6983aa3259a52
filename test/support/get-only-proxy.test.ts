// The GET-only proxy itself, against a fake daemon on a unix socket that records what reaches it:
// what passes, what is refused (and never reaches the daemon), that a stream is passed on as it
// arrives, and that the daemon side is closed when the client goes away.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from './wait-for.js';
import { refusal, startGetOnlyProxy } from './get-only-proxy.js';
import type { GetOnlyProxy } from './get-only-proxy.js';

const ID = 'a'.repeat(64);

void describe('GET-only proxy: which requests pass', () => {
  const allowed: Array<[string, string]> = [
    ['GET', '/_ping'],
    ['GET', '/version'],
    ['GET', '/v1.47/version'],
    ['GET', '/containers/json?all=1'],
    ['GET', '/v1.41/containers/json?all=1'],
    ['GET', `/containers/${ID}/json`],
    ['GET', `/v1.51/containers/${ID}/logs?follow=1&stdout=1&stderr=1&timestamps=1&since=0`],
    ['GET', '/containers/web-1_a.b/json'],
    ['GET', '/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D'],
    // Podman: a TTY container's log, framed only on its libpod endpoint.
    ['GET', `/v4.3.1/libpod/containers/${ID}/logs?stdout=1&stderr=1&timestamps=1&follow=1&since=2026-11-29T00%3A53%3A05.598624713Z`],
  ];
  const refused: Array<[string, string]> = [
    ['POST', '/containers/create'],
    ['POST', `/containers/${ID}/start`],
    ['POST', `/v1.47/containers/${ID}/exec`],
    ['DELETE', `/containers/${ID}`],
    ['PUT', `/containers/${ID}/archive`],
    ['HEAD', '/_ping'],
    ['OPTIONS', '/_ping'],
    ['GET', `/containers/${ID}/attach/ws`],
    ['GET', `/containers/${ID}/archive?path=/etc/shadow`],
    ['GET', `/containers/${ID}/export`],
    ['GET', `/containers/${ID}/top`],
    ['GET', `/containers/${ID}/stats`],
    ['GET', '/info'],
    ['GET', '/images/json'],
    ['GET', '/secrets'],
    ['GET', '/containers/json/'],
    ['GET', '/v1/version'],
    ['GET', '/vX.Y/version'],
    ['GET', '/v1.47/v1.47/version'],
    ['GET', `/containers/${ID}%2Fexport/json`],
    ['GET', `/containers/..%2F..%2Fexec/json`],
    ['GET', '/containers/../info'],
    ['GET', '/containers/./json'],
    ['GET', '//containers/json'],
    ['GET', '/containers//json'],
    ['GET', 'http://docker/containers/json'],
    ['GET', '*'],
    // Of libpod, only the logs of a container, and only with a libpod version.
    ['GET', `/libpod/containers/${ID}/logs`],
    ['GET', '/v4.3.1/libpod/containers/json'],
    ['GET', `/v4.3.1/libpod/containers/${ID}/json`],
    ['GET', `/v4.3.1/libpod/containers/${ID}/attach`],
    ['GET', `/v4.3.1/libpod/containers/${ID}/export`],
    ['GET', '/v4.3.1/libpod/info'],
    ['GET', `/v4.3.1/libpod/containers/${ID}/logs/x`],
  ];
  for (const [method, url] of allowed) {
    void it(`passes ${method} ${url}`, () => assert.equal(refusal(method, url), undefined));
  }
  for (const [method, url] of refused) {
    void it(`refuses ${method} ${url}`, () => assert.match(refusal(method, url) ?? '', /not allowed|not one log-capturer uses|origin-form/));
  }
});

interface FakeDaemon {
  socketPath: string;
  /** method and url of every request that reached it. */
  received: string[];
  /** Requests whose connection closed before the fake finished its answer. */
  abandoned(): number;
  /** Ends the held streaming answer. */
  finishStream(): void;
  stop(): Promise<void>;
}

/** /slow-stream: one chunk now, the rest only when finishStream() is called. Everything else: 200 JSON. */
async function startFakeDaemon(dir: string): Promise<FakeDaemon> {
  const socketPath = join(dir, 'docker.sock');
  const received: string[] = [];
  const held: ServerResponse[] = [];
  let abandoned = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    received.push(`${req.method} ${req.url}`);
    if (/\/containers\/[^/]+\/logs/.test(req.url ?? '')) {
      res.writeHead(200, { 'content-type': 'application/vnd.docker.raw-stream' });
      res.write('first chunk\n');
      held.push(res);
      res.once('close', () => {
        if (!res.writableFinished) abandoned += 1;
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    received,
    abandoned: () => abandoned,
    finishStream: () => {
      for (const res of held.splice(0)) res.end('last chunk\n');
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(proxy: GetOnlyProxy, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxy.port, method, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

void describe('GET-only proxy in front of a fake daemon', () => {
  let dir: string;
  let daemon: FakeDaemon;
  let proxy: GetOnlyProxy;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lc-get-only-proxy-'));
    daemon = await startFakeDaemon(dir);
    proxy = await startGetOnlyProxy(daemon.socketPath);
  });
  after(async () => {
    await proxy.stop();
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('forwards an allowed GET and answers 403 to a POST, which never reaches the daemon', async () => {
    const before = daemon.received.length;
    const ok = await send(proxy, 'GET', '/v1.47/containers/json?all=1');
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body), { path: '/v1.47/containers/json?all=1' });
    const post = await send(proxy, 'POST', '/containers/create', JSON.stringify({ Image: 'busybox' }));
    assert.equal(post.status, 403);
    assert.match(post.body, /GET only/);
    const info = await send(proxy, 'GET', '/info');
    assert.equal(info.status, 403);
    assert.deepEqual(daemon.received.slice(before), ['GET /v1.47/containers/json?all=1'], 'only the allowed GET reached the daemon');
    assert.deepEqual(proxy.requests.slice(-3).map((r) => [r.method, r.status, r.refused]), [['GET', 200, false], ['POST', 403, true], ['GET', 403, true]]);
  });

  void it('refuses an Upgrade request (a GET that would become a two-way stream) without reaching the daemon', async () => {
    const before = daemon.received.length;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(proxy.port, '127.0.0.1', () => {
        socket.write(`GET /containers/${ID}/logs HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
      });
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 403 /);
    assert.equal(daemon.received.length, before);
  });

  void it('passes a stream on as it arrives, and closes the daemon side when the client goes away', async () => {
    const firstChunk = new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxy.port, method: 'GET', path: `/containers/${ID}/logs?follow=1`, agent: false }, resolve);
      req.on('error', reject);
      req.end();
    });
    const response = await firstChunk;
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/vnd.docker.raw-stream');
    // The daemon has sent one chunk and holds the rest: it must arrive now, not at the end.
    const chunk = await new Promise<string>((resolve) => response.once('data', (data: Buffer) => resolve(data.toString('utf8'))));
    assert.equal(chunk, 'first chunk\n');
    assert.ok(proxy.openUpstreams() >= 1, "the follow stream is open upstream");
    const abandonedBefore = daemon.abandoned();
    response.destroy();
    await waitFor('the proxy to close the daemon side', { watch: () => ({ open: proxy.openUpstreams(), abandoned: daemon.abandoned() }), until: (o) => o.open === 0 && o.abandoned > abandonedBefore });
  });

  void it('passes a finished stream through to its end', async () => {
    const pending = send(proxy, 'GET', `/v1.47/containers/${ID}/logs?follow=0`);
    await waitFor('the daemon to hold the stream', { watch: () => daemon.received.at(-1), until: (last) => last?.includes('follow=0') === true });
    daemon.finishStream();
    const done = await pending;
    assert.equal(done.status, 200);
    assert.equal(done.body, 'first chunk\nlast chunk\n');
    await waitFor('no upstream left open', { watch: () => proxy.openUpstreams(), until: (open) => open === 0 });
  });
});
