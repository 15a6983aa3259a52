// At most server.max_connections connections to the admin server. Every connection costs a file
// descriptor, and the process shares its descriptor limit with the Docker streams, the sink and
// positions.json: 21,000 idle connections once made checkpoint writes fail with EMFILE and
// /readyz stop answering. So a connection beyond the cap never stays:
// - if some open connection has no request under way (idle keep-alive, or a client that never
//   finished its headers), the least recently active of them is closed to make room: a flood of
//   idle connections then cannot lock out a probe, whose request arrives right after it connects;
// - otherwise (every connection is busy with a request) the new one is closed at once.
// Idle connections do not linger either: the server's header, request and keep-alive timeouts
// (http-server.ts) close them.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type ShedReason = 'idle_evicted' | 'refused';

interface Tracked {
  /** Requests under way on this connection (HTTP/1.1 pipelining allows more than one). */
  active: number;
}

export class ConnectionLimit {
  /** Open connections, least recently active first (re-inserted on every request). */
  private readonly open = new Map<Socket, Tracked>();

  constructor(
    readonly max: number,
    private readonly onShed: (reason: ShedReason, open: number) => void,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** For the server's 'connection' event. */
  admit(socket: Socket): void {
    if (this.open.size >= this.max) {
      const idle = this.leastRecentlyActiveIdle();
      if (idle === undefined) {
        socket.destroy();
        this.onShed('refused', this.open.size);
        return;
      }
      this.open.delete(idle);
      idle.destroy();
      this.onShed('idle_evicted', this.open.size);
    }
    const tracked: Tracked = { active: 0 };
    this.open.set(socket, tracked);
    socket.once('close', () => {
      if (this.open.get(socket) === tracked) this.open.delete(socket);
    });
  }

  /** For the server's 'request' event: busy until the response is finished or aborted. */
  requestStarted(socket: Socket, response: ServerResponse): void {
    const tracked = this.open.get(socket);
    if (tracked === undefined) return;
    tracked.active += 1;
    this.open.delete(socket);
    this.open.set(socket, tracked);
    response.once('close', () => {
      tracked.active -= 1;
    });
  }

  destroyAll(): void {
    for (const socket of this.open.keys()) socket.destroy();
    this.open.clear();
  }

  private leastRecentlyActiveIdle(): Socket | undefined {
    for (const [socket, tracked] of this.open) if (tracked.active === 0) return socket;
    return undefined;
  }
}
