// Receivers that answer badly on purpose, to show a receiver cannot stall or exhaust delivery.
// A raw TCP server (not node:http), so every byte and its timing is ours: it reads one HTTP
// request per connection (headers and a Content-Length body), keeps the NDJSON records of it,
// then answers as its behaviour says and records what happened to the connection.
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { listenOnLoopback } from './capturer-process.js';

export type HostileBehaviour =
  /** Status line and headers (Content-Length: bodyBytes), then the body one byte every intervalMs. */
  | { kind: 'slow-body'; status: number; bodyBytes: number; intervalMs: number }
  /** Status line and headers (Content-Length: bodyBytes), then the body as fast as the client reads it. */
  | { kind: 'huge-body'; status: number; bodyBytes: number; prefix: string }
  /** Complete headers announcing a body (Content-Length: 100) that never comes. */
  | { kind: 'headers-then-silence'; status: number }
  /** The status line and one header, never the end of the headers. */
  | { kind: 'partial-headers' }
  /** Reads the request and never answers. */
  | { kind: 'no-answer' };

export interface HostileConnection {
  /** Body bytes we wrote before the connection closed (or so far). */
  bodyBytesWritten: number;
  /** We wrote the whole announced body. */
  finished: boolean;
  /** The connection is closed (by the client, since we never close one). */
  closed: boolean;
}

export interface HostileReceiver {
  readonly url: string;
  readonly connections: HostileConnection[];
  /** Records of every complete request, in arrival order (whatever we answered). */
  readonly events: Array<Record<string, unknown>>;
  /** Resolves once `count` connections have been closed by the client. */
  closedConnections(count: number): Promise<void>;
  stop(): Promise<void>;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export async function startHostileReceiver(behaviour: HostileBehaviour): Promise<HostileReceiver> {
  const connections: HostileConnection[] = [];
  const events: Array<Record<string, unknown>> = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closeWaiters: Array<() => void> = [];

  const notifyClosed = (): void => {
    const waiters = closeWaiters;
    closeWaiters = [];
    for (const wake of waiters) wake();
  };

  const server = createServer((socket) => {
    sockets.add(socket);
    const connection: HostileConnection = { bodyBytesWritten: 0, finished: false, closed: false };
    connections.push(connection);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      sockets.delete(socket);
      connection.closed = true;
      notifyClosed();
    });
    let received = Buffer.alloc(0);
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf(HEADER_END);
      if (end < 0) return;
      const headers = received.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(headers)?.[1] ?? '0');
      const body = received.subarray(end + HEADER_END.length);
      if (body.length < length) return;
      answered = true;
      for (const line of body.subarray(0, length).toString('utf8').split('\n')) {
        if (line !== '') events.push(JSON.parse(line) as Record<string, unknown>);
      }
      answer(socket, connection);
    });
  });

  function answer(socket: Socket, connection: HostileConnection): void {
    switch (behaviour.kind) {
      case 'no-answer':
        return;
      case 'partial-headers':
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n');
        return;
      case 'headers-then-silence':
        socket.write(`HTTP/1.1 ${behaviour.status} Whatever\r\nContent-Length: 100\r\n\r\n`);
        return;
      case 'slow-body': {
        socket.write(`HTTP/1.1 ${behaviour.status} Whatever\r\nContent-Length: ${behaviour.bodyBytes}\r\n\r\n`);
        const drip = (): void => {
          timers.delete(timer);
          if (socket.destroyed) return;
          socket.write('x');
          connection.bodyBytesWritten += 1;
          if (connection.bodyBytesWritten >= behaviour.bodyBytes) connection.finished = true;
          else timers.add((timer = setTimeout(drip, behaviour.intervalMs)));
        };
        let timer = setTimeout(drip, behaviour.intervalMs);
        timers.add(timer);
        return;
      }
      case 'huge-body': {
        socket.write(`HTTP/1.1 ${behaviour.status} Whatever\r\nContent-Type: text/plain\r\nContent-Length: ${behaviour.bodyBytes}\r\n\r\n`);
        const first = Buffer.from(behaviour.prefix);
        const block = Buffer.alloc(64 * 1024, 0x61);
        const pump = (): void => {
          while (!socket.destroyed) {
            const left = behaviour.bodyBytes - connection.bodyBytesWritten;
            if (left <= 0) {
              connection.finished = true;
              return;
            }
            const chunk = connection.bodyBytesWritten === 0 ? first : block.subarray(0, Math.min(block.length, left));
            connection.bodyBytesWritten += chunk.length;
            if (!socket.write(chunk)) {
              socket.once('drain', pump);
              return;
            }
          }
        };
        pump();
        return;
      }
    }
  }

  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    connections,
    events,
    closedConnections: async (count) => {
      while (connections.filter((c) => c.closed).length < count) await new Promise<void>((resolve) => closeWaiters.push(resolve));
    },
    stop: () =>
      new Promise((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
