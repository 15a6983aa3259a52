// DockerReader.openLogs over its own connection, against stand-in daemons that write raw HTTP:
// the body as the frame parser needs it (chunked, Content-Length or until close, split anywhere),
// error statuses with the daemon's message, a body cut short, headers that are not HTTP, a
// timeout, and destroy() releasing the socket at once.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ApiStream } from './docker-api.js';
import { DockerError } from './docker-error.js';
import { DockerReader } from './docker-reader.js';
import { waitFor } from '../../test/support/wait-for.js';

const ID = 'a'.repeat(64);

/** Writes `wire` in pieces of `size` bytes, each its own write (so reads split anywhere). */
async function writeInPieces(socket: Socket, wire: Buffer, size: number): Promise<void> {
  for (let at = 0; at < wire.length; at += size) {
    socket.write(wire.subarray(at, at + size));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const frames = [frame(1, '2026-01-01T00:00:00.000000001Z one\n'), frame(2, '2026-01-01T00:00:00.000000002Z two\n'), frame(1, `2026-01-01T00:00:00.000000003Z ${'x'.repeat(20_000)}\n`)];
const body = Buffer.concat(frames);

function chunkedWire(): Buffer {
  const parts: Buffer[] = [Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nTransfer-Encoding: chunked\r\n\r\n')];
  for (const f of frames) parts.push(Buffer.from(`${f.length.toString(16)}\r\n`), f, Buffer.from('\r\n'));
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

async function readAll(response: ApiStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

void describe('log streams over their own connection', () => {
  let dir = '';
  let server: Server;
  let answer: (socket: Socket, request: string) => void = () => undefined;
  /** Written as soon as a connection comes, before the request is read (so it and the end arrive together). */
  let early: Buffer | undefined;
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let reader: DockerReader;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lc-log-response-'));
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      if (early) socket.end(early);
      let head = '';
      const onData = (data: Buffer): void => {
        head += data.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        requests.push(head);
        answer(socket, head);
      };
      socket.on('data', onData);
    });
    server.listen(join(dir, 'docker.sock'));
    await once(server, 'listening');
    reader = new DockerReader({ host: `unix://${join(dir, 'docker.sock')}`, apiVersion: '1.41', requestTimeoutMs: 2000 });
  });

  after(async () => {
    reader.close();
    for (const socket of sockets) socket.destroy();
    server.close();
    await once(server, 'close');
    rmSync(dir, { recursive: true, force: true });
  });

  void it('asks with a GET for the versioned path, with follow, since and tail, and Connection: close', async () => {
    answer = (socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    const response = await reader.openLogs(ID, { follow: true, since: '1764294201.152000000', tail: 10 });
    assert.equal((await readAll(response)).length, 0);
    const request = requests.at(-1) ?? '';
    assert.match(request, new RegExp(`^GET /v1\\.41/containers/${ID}/logs\\?follow=1&stdout=1&stderr=1&timestamps=1&since=1764294201\\.152000000&tail=10 HTTP/1\\.1\\r\\n`));
    assert.match(request, /\r\nConnection: close\r\n/);
    assert.ok(reader.lastAnswerAt > 0);
  });

  void it('gives the frames as they were sent, however the chunked body is split by the socket', async () => {
    const wire = chunkedWire();
    for (const size of [1, 5, 13, 100, 4096, wire.length]) {
      answer = (socket) => void writeInPieces(socket, wire, size).then(() => socket.end());
      const response = await reader.openLogs(ID, { follow: false });
      assert.deepEqual(await readAll(response), body, `pieces of ${size}`);
    }
  });

  void it('reads a Content-Length body, and a body that runs until the connection closes', async () => {
    answer = (socket) => socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body, Buffer.from('garbage after the body')]));
    assert.deepEqual(await readAll(await reader.openLogs(ID, { follow: false })), body);
    answer = (socket) => socket.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n'), body]));
    assert.deepEqual(await readAll(await reader.openLogs(ID, { follow: false })), body);
  });

  void it('reads a whole answer that came in one read with the connection\'s end', async () => {
    answer = () => undefined;
    try {
      for (const wire of [chunkedWire(), Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body])]) {
        early = wire;
        for (let round = 0; round < 20; round += 1) assert.deepEqual(await readAll(await reader.openLogs(ID, { follow: false })), body);
      }
    } finally {
      early = undefined;
    }
  });

  void it('rejects an error status with the daemon\'s message and its status code', async () => {
    answer = (socket) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"message":"No such container: abc"}\n   ');
    await assert.rejects(reader.openLogs(ID, { follow: true }), (e: unknown) => e instanceof DockerError && e.statusCode === 404 && e.code === 'DOCKER_HTTP_STATUS' && e.message.endsWith('HTTP 404: No such container: abc'));
    answer = (socket) => socket.end('HTTP/1.1 501 Not Implemented\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nnone \r\n7\r\ndriver!\r\n0\r\n\r\n');
    await assert.rejects(reader.openLogs(ID, { follow: true }), (e: unknown) => e instanceof DockerError && e.statusCode === 501 && e.message.endsWith('HTTP 501: none driver!'));
  });

  void it('a body cut short, malformed chunking and an answer that is not HTTP are DockerErrors, never a crash', async () => {
    answer = (socket) => socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc');
    const cut = await reader.openLogs(ID, { follow: true });
    await assert.rejects(readAll(cut), (e: unknown) => e instanceof DockerError && e.code === 'DOCKER_UNREACHABLE' && /before the end of the body/.test(e.message));
    answer = (socket) => socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
    const malformed = await reader.openLogs(ID, { follow: true });
    await assert.rejects(readAll(malformed), (e: unknown) => e instanceof DockerError && e.code === 'DOCKER_PROTOCOL');
    answer = (socket) => socket.end('SSH-2.0-OpenSSH\r\n\r\n');
    await assert.rejects(reader.openLogs(ID, { follow: true }), (e: unknown) => e instanceof DockerError && e.code === 'DOCKER_PROTOCOL');
    answer = (socket) => socket.end();
    await assert.rejects(reader.openLogs(ID, { follow: true }), (e: unknown) => e instanceof DockerError && e.code === 'DOCKER_UNREACHABLE');
  });

  void it('times out when no answer comes, and releases the socket', async () => {
    answer = () => undefined; // silent
    await assert.rejects(reader.openLogs(ID, { follow: true }), (e: unknown) => e instanceof DockerError && e.code === 'DOCKER_TIMEOUT');
    // The stand-in's side of that connection closes once the capturer's side is destroyed.
    await waitFor('the stand-in\'s side of the connection to close', { watch: () => sockets.size, until: (open) => open === 0, intervalMs: 10 });
  });

  void it('destroy() ends a follow stream at once: socket destroyed, no listener left', async () => {
    answer = (socket) => socket.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${frames[0]?.length.toString(16)}\r\n${frames[0]?.toString('latin1')}\r\n`, 'latin1');
    const response = await reader.openLogs(ID, { follow: true });
    const [first] = (await once(response, 'data')) as [Buffer];
    assert.deepEqual(first, frames[0]);
    const socket = response.socket;
    assert.ok(socket && !socket.destroyed);
    response.destroy();
    assert.equal(socket.destroyed, true);
    await once(socket, 'close');
    assert.equal(socket.listenerCount('data'), 0);
    await waitFor('the stand-in\'s side of the connection to close', { watch: () => sockets.size, until: (open) => open === 0, intervalMs: 10 });
  });

  void it('pause() stops reading from the socket (TCP backpressure), resume() goes on', async () => {
    const many = Buffer.concat(Array.from({ length: 2000 }, () => Buffer.concat([Buffer.from(`${frames[2]?.length.toString(16)}\r\n`), frames[2] ?? Buffer.alloc(0), Buffer.from('\r\n')])));
    answer = (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      socket.write(many);
      socket.end('0\r\n\r\n');
    };
    const response = await reader.openLogs(ID, { follow: true });
    response.pause();
    // Not flowing: the stream's buffer fills to its high-water mark, then the socket is paused.
    await waitFor('the socket to be paused', { watch: () => response.socket?.isPaused() === true, until: (paused) => paused, intervalMs: 10 });
    const got = await readAll(response);
    assert.equal(got.length, (frames[2]?.length ?? 0) * 2000);
  });
});
