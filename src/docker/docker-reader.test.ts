// DockerReader against a stand-in daemon on 127.0.0.1: request shapes, status mapping, timeouts.
// The real daemon is exercised in test/docker/docker-reader.test.ts.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DockerError, isUnreadableLogDriver } from './docker-error.js';
import { DockerReader } from './docker-reader.js';

// Ids the stand-in knows: requests carry real-looking ids, as the reader refuses anything else.
const WEB = 'a'.repeat(64);
const GHOST = 'd'.repeat(64);
const NOLOG = 'e'.repeat(64);
const SLOW = 'f'.repeat(64);
const PODMAN_NOLOG = 'c'.repeat(64);

interface Seen {
  method: string;
  url: string;
}

void describe('DockerReader (stand-in daemon)', () => {
  let server: Server;
  let port = 0;
  const seen: Seen[] = [];
  const hanging = new Set<ServerResponse>();
  /** /version answers as Podman 4.3.1 while set. */
  let answerAsPodman = false;

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '' });
      const path = (req.url ?? '').replace(/^\/v1\.41/, '').split('?')[0];
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (path === '/_ping') return void res.end('OK');
      if (path === '/version' && answerAsPodman) {
        // Podman 4.3.1's answer, trimmed.
        return json(200, {
          Platform: { Name: 'linux/amd64/debian-12' }, Version: '4.3.1', ApiVersion: '1.41', MinAPIVersion: '1.24',
          Components: [{ Name: 'Podman Engine', Version: '4.3.1', Details: { APIVersion: '4.3.1', MinAPIVersion: '4.0.0' } }, { Name: 'Conmon', Version: 'conmon version 2.1.6' }],
        });
      }
      if (path === '/version') return json(200, { Version: '99.0.0', ApiVersion: '1.41' });
      if (path === `/containers/${PODMAN_NOLOG}/logs`) {
        return json(500, { cause: 'this container is not logging output', message: `failed to obtain logs for Container '${PODMAN_NOLOG}': this container is using the 'none' log driver, cannot read logs: this container is not logging output`, response: 500 });
      }
      if (path === `/v4.3.1/libpod/containers/${WEB}/logs`) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end('framed');
        return;
      }
      if (path === '/containers/json') return json(200, [{ Id: 'a'.repeat(64), Names: ['/web'], State: 'running' }, { Id: 'b'.repeat(64), Names: ['/old'], State: 'exited' }]);
      if (path === `/containers/${WEB}/json`) {
        return json(200, {
          Id: 'a'.repeat(64),
          Name: '/web',
          Created: '2026-11-28T01:43:21.152000367Z',
          Config: { Image: 'nginx:1', Labels: { team: 'core' }, Tty: true },
          HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'not-a-string': 3 } } },
          LogPath: `/var/lib/docker/containers/${'a'.repeat(64)}/${'a'.repeat(64)}-json.log`,
          State: { Running: true },
        });
      }
      if (path === `/containers/${NOLOG}/logs`) return json(501, { message: 'configured logging driver does not support reading' });
      if (path === `/containers/${WEB}/logs`) {
        res.writeHead(200, { 'content-type': 'application/vnd.docker.raw-stream' });
        res.write('partial');
        hanging.add(res);
        return;
      }
      if (path === `/containers/${SLOW}/json`) {
        hanging.add(res);
        return;
      }
      json(404, { message: `No such container: ${path}` });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  function reader(apiVersion?: string, requestTimeoutMs = 5000): DockerReader {
    return new DockerReader({ host: `tcp://127.0.0.1:${port}`, requestTimeoutMs, ...(apiVersion ? { apiVersion } : {}) });
  }

  void it('pings, reads the version and lists containers with GET, under the configured API version', async () => {
    const r = reader('1.41');
    try {
      assert.equal(r.lastAnswerAt, 0);
      seen.length = 0;
      await r.ping();
      assert.ok(r.lastAnswerAt > 0);
      assert.deepEqual(await r.version(), { version: '99.0.0', apiVersion: '1.41', platform: '', components: [] });
      assert.deepEqual(await r.listContainers(), [
        { id: 'a'.repeat(64), name: 'web', running: true },
        { id: 'b'.repeat(64), name: 'old', running: false },
      ]);
      assert.deepEqual(seen.map((s) => s.method), ['GET', 'GET', 'GET']);
      assert.deepEqual(seen.map((s) => s.url), ['/v1.41/_ping', '/v1.41/version', '/v1.41/containers/json?all=1']);
    } finally {
      r.close();
    }
  });

  void it('maps an inspect answer to ContainerInfo', async () => {
    const r = reader();
    try {
      assert.deepEqual(await r.inspect(WEB), {
        id: 'a'.repeat(64),
        name: 'web',
        image: 'nginx:1',
        labels: { team: 'core' },
        createdAt: '2026-11-28T01:43:21.152000367Z',
        tty: true,
        logDriver: 'json-file',
        logOptions: { 'max-size': '10m' },
        logPath: `/var/lib/docker/containers/${'a'.repeat(64)}/${'a'.repeat(64)}-json.log`,
        running: true,
      });
    } finally {
      r.close();
    }
  });

  void it('asks for logs with follow, both streams, timestamps and the exact since', async () => {
    const r = reader();
    try {
      seen.length = 0;
      const response = await r.openLogs(WEB, { since: '1764294201.152000000', follow: true });
      const [first] = (await once(response, 'data')) as [Buffer];
      assert.equal(first.toString(), 'partial');
      response.destroy();
      const url = new URL(seen[0]?.url ?? '', 'http://x');
      assert.equal(url.pathname, `/containers/${WEB}/logs`);
      assert.deepEqual(Object.fromEntries(url.searchParams), { follow: '1', stdout: '1', stderr: '1', timestamps: '1', since: '1764294201.152000000' });
    } finally {
      r.close();
    }
  });

  void it('reads Podman\'s libpod API version from /version, and its own log endpoint under exactly that version', async () => {
    const r = new DockerReader({ host: `tcp://127.0.0.1:${port}`, requestTimeoutMs: 5000, apiVersion: '1.41' });
    try {
      assert.equal((await r.version()).libpodApiVersion, undefined, 'Docker has no libpod API');
      seen.length = 0;
      const response = await r.openLogs(WEB, { follow: false, since: '2026-11-29T00:53:04.999999999Z', libpodApiVersion: '4.3.1' });
      const chunks: Buffer[] = [];
      for await (const chunk of response) chunks.push(chunk as Buffer);
      assert.equal(Buffer.concat(chunks).toString(), 'framed');
      const url = new URL(seen[0]?.url ?? '', 'http://x');
      assert.equal(url.pathname, `/v4.3.1/libpod/containers/${WEB}/logs`, 'not under docker.api_version: /v1.41/v4.3.1/... does not exist');
      assert.deepEqual(Object.fromEntries(url.searchParams), { follow: '0', stdout: '1', stderr: '1', timestamps: '1', since: '2026-11-29T00:53:04.999999999Z' });
      await assert.rejects(r.openLogs(WEB, { follow: false, libpodApiVersion: '4.3.1/../../x' }), (error: unknown) => error instanceof DockerError && error.code === 'DOCKER_PROTOCOL');
    } finally {
      r.close();
    }
  });

  void it('maps Podman\'s /version: the libpod API version of its engine component', async () => {
    const r = reader();
    answerAsPodman = true;
    try {
      assert.deepEqual(await r.version(), { version: '4.3.1', apiVersion: '1.41', platform: 'linux/amd64/debian-12', components: ['Podman Engine', 'Conmon'], libpodApiVersion: '4.3.1' });
    } finally {
      answerAsPodman = false;
      r.close();
    }
  });

  void it('treats Podman\'s 500 "this container is not logging output" as an unreadable log driver, like Docker\'s 501', async () => {
    const r = reader();
    try {
      const podman = await r.openLogs(PODMAN_NOLOG, { follow: false }).then(() => undefined, (error: unknown) => error);
      assert.ok(podman instanceof DockerError);
      assert.equal(podman.statusCode, 500);
      assert.equal(podman.reason, 'this container is not logging output');
      assert.equal(isUnreadableLogDriver(podman), true);
      const docker = await r.openLogs(NOLOG, { follow: false }).then(() => undefined, (error: unknown) => error);
      assert.equal(isUnreadableLogDriver(docker), true);
      assert.equal(isUnreadableLogDriver(new DockerError('DOCKER_HTTP_STATUS', 'HTTP 500: boom', { statusCode: 500 })), false, 'any other 500 is not');
    } finally {
      r.close();
    }
  });

  void it('asks for container events only, with since when given', async () => {
    const r = reader();
    try {
      seen.length = 0;
      await assert.rejects(r.openEvents({ since: '1764294201.000000001' }), DockerError); // the stand-in has no /events
      await assert.rejects(r.openEvents({}), DockerError);
      const urls = seen.map((s) => new URL(s.url, 'http://x'));
      assert.equal(urls[0]?.pathname, '/events');
      assert.deepEqual(JSON.parse(urls[0]?.searchParams.get('filters') ?? ''), { type: ['container'] });
      assert.equal(urls[0]?.searchParams.get('since'), '1764294201.000000001');
      assert.equal(urls[1]?.searchParams.has('since'), false);
    } finally {
      r.close();
    }
  });

  void it('reports 404 and 501 with their status codes and the daemon message', async () => {
    const r = reader();
    try {
      await assert.rejects(r.inspect(GHOST), (error: unknown) => error instanceof DockerError && error.code === 'DOCKER_HTTP_STATUS' && error.statusCode === 404 && /No such container/.test(error.message));
      await assert.rejects(
        r.openLogs(NOLOG, { follow: false }),
        (error: unknown) => error instanceof DockerError && error.code === 'DOCKER_HTTP_STATUS' && error.statusCode === 501 && /does not support reading/.test(error.message),
      );
    } finally {
      r.close();
    }
  });

  void it('gives up on a call with no answer after request_timeout, with no status code', async () => {
    const r = new DockerReader({ host: `http://127.0.0.1:${port}`, requestTimeoutMs: 200 });
    try {
      await assert.rejects(r.inspect(SLOW), (error: unknown) => error instanceof DockerError && error.code === 'DOCKER_TIMEOUT' && error.statusCode === undefined && /within 200 ms/.test(error.message));
    } finally {
      r.close();
    }
  });

  void it('reports a daemon that cannot be reached as a connection error', async () => {
    const r = new DockerReader({ host: 'unix:///nonexistent/docker.sock', requestTimeoutMs: 5000 });
    try {
      await assert.rejects(r.ping(), (error: unknown) => error instanceof DockerError && error.code === 'DOCKER_UNREACHABLE' && error.statusCode === undefined && /cannot reach/.test(error.message));
      assert.equal(r.lastAnswerAt, 0);
    } finally {
      r.close();
    }
  });

  void it('rejects a host with an unsupported scheme', () => {
    assert.throws(() => new DockerReader({ host: 'ssh://somewhere', requestTimeoutMs: 1000 }), /unsupported scheme/);
  });

  void it('refuses a container id that is not 64 hex characters before making any request', async () => {
    const r = reader();
    try {
      seen.length = 0;
      for (const id of ['..', '../json', 'web', `${WEB}/../../x`, WEB.toUpperCase(), '']) {
        await assert.rejects(r.inspect(id), (error: unknown) => error instanceof DockerError && error.code === 'DOCKER_INVALID_ID', id);
        await assert.rejects(r.openLogs(id, { follow: true }), (error: unknown) => error instanceof DockerError && error.code === 'DOCKER_INVALID_ID', id);
      }
      assert.deepEqual(seen, [], 'no request reached the daemon');
    } finally {
      r.close();
    }
  });

  void it('ignores the DOCKER_* environment docker-modem would read: docker.host wins, no cert or timeout is taken from it', async () => {
    // A second listener stands for where a hostile DOCKER_HOST points; it must never be asked.
    const elsewhere: string[] = [];
    const decoy = createServer((req, res) => {
      elsewhere.push(req.url ?? '');
      res.end('[]');
    });
    decoy.listen(0, '127.0.0.1');
    await once(decoy, 'listening');
    const decoyPort = (decoy.address() as AddressInfo).port;
    const saved = { ...process.env };
    Object.assign(process.env, {
      DOCKER_HOST: `tcp://127.0.0.1:${decoyPort}`,
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: '/nonexistent/certs',
      DOCKER_CLIENT_TIMEOUT: '1',
      DOCKER_PATH_PREFIX: '/evil/',
    });
    let r: DockerReader | undefined;
    try {
      r = reader();
      seen.length = 0;
      await r.ping();
      await new Promise((resolve) => setTimeout(resolve, 20)); // longer than the hostile 1 ms timeout
      assert.deepEqual(await r.listContainers(), [
        { id: 'a'.repeat(64), name: 'web', running: true },
        { id: 'b'.repeat(64), name: 'old', running: false },
      ]);
      assert.deepEqual(seen.map((x) => x.url), ['/_ping', '/containers/json?all=1'], 'the configured daemon got every request, without a path prefix');
      assert.deepEqual(elsewhere, [], 'DOCKER_HOST from the environment was not used');
      assert.equal(process.env.DOCKER_HOST, `tcp://127.0.0.1:${decoyPort}`, 'the environment itself is left as it was');
    } finally {
      r?.close();
      for (const name of ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_CLIENT_TIMEOUT', 'DOCKER_PATH_PREFIX']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
      decoy.close();
    }
  });
});
