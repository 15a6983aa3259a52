import assert from 'node:assert/strict';
import { createServer, get } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { EventEmitter } from 'node:events';
import { metricValue } from '../../test/support/metric-values.js';
import type { ContainerInfo } from '../docker/container-info.js';
import type { ApiStream, DockerApi, LogQuery } from '../docker/docker-api.js';
import { createMetricsRegistry } from '../telemetry/metrics-registry.js';
import { silentLogger } from '../utils/logger.js';
import { CaptureTelemetry } from './capture-telemetry.js';
import type { CapturedLine, LineConsumer } from './captured-line.js';
import { ContainerStream } from './container-stream.js';
import { LATE_WRITE_WINDOW_MS } from './position.js';
import type { Position } from './position.js';

const CONTAINER: ContainerInfo = {
  id: 'c'.repeat(64), name: 'web', image: 'busybox', labels: {}, createdAt: '2026-11-28T00:00:00.000000000Z',
  tty: false, logDriver: 'json-file', logOptions: {}, running: true,
};

function frame(type: 1 | 2, timestamp: string, text: string): Buffer {
  const payload = Buffer.from(`${timestamp} ${text}`);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const TS = (ms: number, ns = 0): string => `${new Date(Date.UTC(2026, 10, 28, 1, 0, 0, ms)).toISOString().slice(0, 23)}${String(ns).padStart(6, '0')}Z`;

class Collector extends EventEmitter implements LineConsumer {
  readonly lines: CapturedLine[] = [];
  accept(line: CapturedLine): boolean {
    this.lines.push(line);
    return true;
  }
  containerGone(): void {}
  texts(): string[] {
    return this.lines.map((l) => `${l.line.stream}:${l.line.message.toString()}`);
  }
}

/** A stand-in log endpoint: each request gets a scripted handler; the test drives it. */
class FakeLogServer {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  readonly requests: string[] = [];
  handler: (res: ServerResponse) => void = () => {};

  constructor() {
    this.server = createServer((req, res) => {
      this.requests.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
      res.flushHeaders();
      this.handler(res);
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  reader(): Pick<DockerApi, 'openLogs'> & { openResponse(id: string, query: LogQuery): Promise<IncomingMessage> } {
    const { port } = this.server.address() as AddressInfo;
    const openResponse = (id: string, query: LogQuery): Promise<IncomingMessage> => new Promise<IncomingMessage>((resolve, reject) => {
      // A fresh connection per stream, as a follow stream never returns its socket to a pool.
      get({ host: '127.0.0.1', port, path: `/containers/${id}/logs?since=${query.since ?? ''}`, agent: false }, resolve).on('error', reject);
    });
    return { openResponse, openLogs: (id: string, query: LogQuery): Promise<ApiStream> => openResponse(id, query) };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const waitUntil = async (what: string, condition: () => boolean): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('ContainerStream', () => {
  const fake = new FakeLogServer();
  before(() => fake.listen());
  after(() => fake.close());

  const telemetry = (registry = createMetricsRegistry({ defaultMetrics: false })): CaptureTelemetry => new CaptureTelemetry(registry, silentLogger());

  function stream(collector: Collector, position: Position = { sinceMs: 0, skip: 0 }): ContainerStream {
    return new ContainerStream({ docker: fake.reader(), container: CONTAINER, position, consumer: collector, telemetry: telemetry(), maxLineBytes: 1 << 20, onBackpressure: () => {} });
  }

  it('hands on every line with the position after it, and drains to the end (final partial line included)', async () => {
    fake.handler = (res) => {
      const bytes = Buffer.concat([frame(1, TS(1), 'a\n'), frame(2, TS(1), 'b\n'), frame(1, TS(2), 'c\n'), frame(1, TS(3), 'tail without newline')]);
      // Split across writes at awkward places: frames do not align with chunks.
      res.write(bytes.subarray(0, 5));
      res.write(bytes.subarray(5, 50));
      res.end(bytes.subarray(50));
    };
    const collector = new Collector();
    const s = stream(collector);
    await s.open();
    assert.deepEqual(await s.done, { kind: 'ended' });
    assert.deepEqual(collector.texts(), ['stdout:a', 'stderr:b', 'stdout:c', 'stdout:tail without newline']);
    // The position reaches back one late-write window before the newest line, counting it all.
    const newest = Date.UTC(2026, 10, 28, 1, 0, 0, 3);
    assert.deepEqual(collector.lines[1]?.position, { sinceMs: newest - 2 - LATE_WRITE_WINDOW_MS, skip: 2 });
    assert.deepEqual(s.position(), { sinceMs: newest - LATE_WRITE_WINDOW_MS, skip: 4 });
    assert.equal(s.lines, 4);
  });

  it('skips the lines consumed before and still counts them into its position', async () => {
    const base = Date.UTC(2026, 10, 28, 1, 0, 0, 0);
    fake.handler = (res) => {
      res.end(Buffer.concat([frame(1, TS(1), 'a\n'), frame(2, TS(1), 'b\n'), frame(1, TS(1), 'c\n'), frame(1, TS(2), 'd\n')]));
    };
    const collector = new Collector();
    const s = stream(collector, { sinceMs: base + 1, skip: 2 });
    await s.open();
    await s.done;
    assert.deepEqual(collector.texts(), ['stdout:c', 'stdout:d']);
    // Never before where the stream started: base + 1 holds a, b (skipped) and c.
    assert.deepEqual(collector.lines[0]?.position, { sinceMs: base + 1, skip: 3 });
    assert.deepEqual(s.position(), { sinceMs: base + 1, skip: 4 });
  });

  it('a rotation does not close a stream whose daemon is still silent before its position: it waits for the skipped lines', async () => {
    // A loaded daemon answering `since` on a long log sends the headers, then nothing while it
    // scans. Closing on quiet then would reopen (and scan) forever.
    const start = { sinceMs: Date.UTC(2026, 10, 28, 1, 0, 0, 0), skip: 2 };
    let serverRes: ServerResponse | undefined;
    fake.handler = (res) => {
      serverRes = res;
    };
    const collector = new Collector();
    const s = stream(collector, start);
    await s.open();
    s.requestRotation();
    // Several quiet windows pass with nothing from the daemon: the stream stays open.
    await new Promise((resolve) => setTimeout(resolve, 5 * 100));
    assert.equal(s.lines, 0);
    const settledEarly = await Promise.race([s.done.then(() => true), Promise.resolve(false)]);
    assert.equal(settledEarly, false, 'still open while the daemon owes the skipped lines');
    serverRes?.write(Buffer.concat([frame(1, TS(0), 'a\n'), frame(1, TS(0), 'b\n'), frame(1, TS(1), 'new\n')]));
    assert.deepEqual(await s.done, { kind: 'closed' });
    assert.deepEqual(collector.texts(), ['stdout:new']);
  });

  it('a rotation closes a stream that went quiet past its position', async () => {
    const start = { sinceMs: Date.UTC(2026, 10, 28, 1, 0, 0, 0), skip: 2 };
    fake.handler = (res) => res.write(Buffer.concat([frame(1, TS(0), 'a\n'), frame(1, TS(0), 'b\n')])); // then idle
    const collector = new Collector();
    const s = stream(collector, start);
    await s.open();
    await waitUntil('the skipped lines', () => s.bytes > 0);
    s.requestRotation();
    assert.deepEqual(await s.done, { kind: 'closed' });
    assert.equal(collector.lines.length, 0);
  });

  it('keeps its start position while closed in the middle of the skipped lines', async () => {
    const start = { sinceMs: Date.UTC(2026, 10, 28, 1, 0, 0, 0), skip: 5 };
    fake.handler = (res) => res.write(Buffer.concat([frame(1, TS(0), 'a\n'), frame(1, TS(1), 'b\n')])); // then idle
    const collector = new Collector();
    const s = stream(collector, start);
    await s.open();
    await waitUntil('bytes', () => s.bytes > 0);
    await s.close();
    assert.deepEqual(s.position(), start);
    assert.equal(collector.lines.length, 0);
  });

  it('close() of an idle follow stream destroys response and socket, removes its listeners, and resolves after close', async () => {
    let serverRes: ServerResponse | undefined;
    fake.handler = (res) => {
      serverRes = res;
      res.write(Buffer.concat([frame(1, TS(1), 'one\n'), frame(1, TS(2), 'partial, never fin')]));
    };
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const collector = new Collector();
    const responses: IncomingMessage[] = [];
    const EVENTS = ['data', 'end', 'error', 'close'] as const;
    const ownListeners: number[] = []; // Node's http client has listeners of its own
    const reader = fake.reader();
    const recording: Pick<DockerApi, 'openLogs'> = {
      openLogs: async (id, query) => {
        const r = await reader.openResponse(id, query);
        responses.push(r);
        ownListeners.push(...EVENTS.map((event) => r.listenerCount(event)));
        return r;
      },
    };
    const s = new ContainerStream({ docker: recording, container: CONTAINER, position: { sinceMs: 0, skip: 0 }, consumer: collector, telemetry: telemetry(metrics), maxLineBytes: 1 << 20, onBackpressure: () => {} });
    await s.open();
    await waitUntil('the first line', () => collector.lines.length === 1);
    assert.equal(await metricValue(metrics, 'log_capturer_container_streams_active'), 1);
    const response = responses[0] as IncomingMessage;
    const socket = response.socket;
    assert.deepEqual(await s.close(), { kind: 'closed' });
    assert.equal(response.destroyed, true);
    assert.equal(socket.destroyed, true);
    assert.equal(socket.closed, true);
    assert.deepEqual(EVENTS.map((event) => response.listenerCount(event)), ownListeners, 'a listener of ours was left on the response');
    assert.equal(response.listenerCount('data'), 0);
    assert.equal(await metricValue(metrics, 'log_capturer_container_streams_active'), 0);
    // The partial line was dropped (it is re-read from the position), not emitted.
    assert.deepEqual(collector.texts(), ['stdout:one']);
    await waitUntil('the server to see the connection closed', () => serverRes?.destroyed === true || serverRes?.socket === null);
    assert.equal(s.isOpen, false);
  });

  it('close() while still connecting leaves nothing behind', async () => {
    fake.handler = (res) => res.write(frame(1, TS(1), 'x\n'));
    const collector = new Collector();
    const s = stream(collector);
    const opening = s.open();
    const closing = s.close();
    await opening;
    assert.deepEqual(await closing, { kind: 'closed' });
    assert.equal(collector.lines.length, 0);
  });

  it('reports a dropped connection as an error, never throws', async () => {
    fake.handler = (res) => {
      res.write(frame(1, TS(1), 'a\n'));
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const collector = new Collector();
    const s = stream(collector);
    await s.open();
    const outcome = await s.done;
    assert.equal(outcome.kind, 'error');
    assert.deepEqual(collector.texts(), ['stdout:a']);
  });

  it('pause() stops reading and resume() continues', async () => {
    let serverRes: ServerResponse | undefined;
    fake.handler = (res) => {
      serverRes = res;
      res.write(frame(1, TS(1), 'first\n'));
    };
    const collector = new Collector();
    const s = stream(collector);
    await s.open();
    await waitUntil('first', () => collector.lines.length === 1);
    s.pause();
    serverRes?.write(frame(1, TS(2), 'second\n'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(collector.lines.length, 1, 'read while paused');
    s.resume();
    await waitUntil('second', () => collector.lines.length === 2);
    serverRes?.end();
    assert.deepEqual(await s.done, { kind: 'ended' });
  });
});
