// DockerReader over https:// with docker.tls files (CA, client certificate, verify) against a
// stand-in daemon on 127.0.0.1 that requires a client certificate, as dockerd --tlsverify does.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DockerError } from './docker-error.js';
import { DockerReader } from './docker-reader.js';

const run = promisify(execFile);

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
async function makeCertificates(dir: string): Promise<void> {
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=test-ca', '-keyout', 'ca-key.pem', '-out', 'ca.pem');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${who}`, '-keyout', `${who}-key.pem`, '-out', `${who}.csr`);
    await openssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', `${who}.ext`, '-out', `${who}.pem`);
  }
}

void describe('DockerReader over TLS', () => {
  let dir = '';
  let server: Server;
  let port = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lc-docker-tls-'));
    await makeCertificates(dir);
    server = createServer(
      {
        key: readFileSync(join(dir, 'server-key.pem')),
        cert: readFileSync(join(dir, 'server.pem')),
        ca: readFileSync(join(dir, 'ca.pem')),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        if (req.url === '/v1.41/_ping' || req.url === '/_ping') res.end('OK');
        else res.writeHead(404).end('{"message":"not here"}');
      },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
    rmSync(dir, { recursive: true, force: true });
  });

  const files = () => ({ caFile: join(dir, 'ca.pem'), certFile: join(dir, 'client.pem'), keyFile: join(dir, 'client-key.pem') });

  void it('talks https:// and tcp:// with TLS, verifying the daemon against the CA and presenting the client certificate', async () => {
    for (const host of [`https://127.0.0.1:${port}`, `tcp://127.0.0.1:${port}`]) {
      const reader = new DockerReader({ host, apiVersion: '1.41', requestTimeoutMs: 5000, tls: { ...files(), verify: true } });
      try {
        await reader.ping();
        assert.ok(reader.lastAnswerAt > 0, host);
      } finally {
        reader.close();
      }
    }
  });

  void it('refuses a daemon whose certificate the CA did not sign, unless verify is off', async () => {
    const { certFile, keyFile } = files();
    const unverified = new DockerReader({ host: `https://127.0.0.1:${port}`, requestTimeoutMs: 5000, tls: { certFile, keyFile, verify: true } });
    const trusting = new DockerReader({ host: `https://127.0.0.1:${port}`, requestTimeoutMs: 5000, tls: { certFile, keyFile, verify: false } });
    try {
      await assert.rejects(unverified.ping(), (e: unknown) => e instanceof DockerError && e.code === 'DOCKER_UNREACHABLE' && e.statusCode === undefined);
      await trusting.ping();
    } finally {
      unverified.close();
      trusting.close();
    }
  });

  void it('is refused by a daemon that requires a client certificate when none is given', async () => {
    const reader = new DockerReader({ host: `https://127.0.0.1:${port}`, requestTimeoutMs: 5000, tls: { caFile: files().caFile, verify: true } });
    try {
      await assert.rejects(reader.ping(), (e: unknown) => e instanceof DockerError && e.code === 'DOCKER_UNREACHABLE' && e.statusCode === undefined);
    } finally {
      reader.close();
    }
  });
});
