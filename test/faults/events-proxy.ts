// A TCP proxy on 127.0.0.1 in front of the daemon's unix socket that can cut ONLY the /events
// connections (and refuse new ones while cut), leaving log streams and API calls alone: the
// events stream can be broken without the daemon or the log streams noticing anything.
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { listenOnLoopback } from '../support/capturer-process.js';

export interface EventsProxy {
  /** tcp://127.0.0.1:<port>, for docker.host. */
  readonly host: string;
  /** /events requests seen (including refused ones). */
  eventsRequests(): number;
  /** Connections carrying /events that were destroyed by cut() or refused while cut. */
  cutConnections(): number;
  cutEvents(): void;
  allowEvents(): void;
  stop(): Promise<void>;
}

const EVENTS_REQUEST = /(?:^|\r\n)GET \S*\/events[?\s]/;

export async function startEventsProxy(socketPath: string): Promise<EventsProxy> {
  const pairs = new Set<{ client: Socket; daemon: Socket; events: boolean }>();
  let cut = false;
  let eventsRequests = 0;
  let cutConnections = 0;

  const server = createServer((client) => {
    const daemon = connect(socketPath);
    const pair = { client, daemon, events: false };
    pairs.add(pair);
    const drop = (): void => {
      client.destroy();
      daemon.destroy();
      pairs.delete(pair);
    };
    client.on('data', (chunk: Buffer) => {
      // Request lines are ASCII; a keep-alive connection may carry /events after other calls.
      if (EVENTS_REQUEST.test(chunk.toString('latin1'))) {
        eventsRequests += 1;
        pair.events = true;
        if (cut) {
          cutConnections += 1;
          drop();
          return;
        }
      }
      daemon.write(chunk);
    });
    daemon.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', drop);
    daemon.on('close', drop);
    client.on('error', drop);
    daemon.on('error', drop);
  });
  const port = await listenOnLoopback(server);

  return {
    host: `tcp://127.0.0.1:${port}`,
    eventsRequests: () => eventsRequests,
    cutConnections: () => cutConnections,
    cutEvents: () => {
      cut = true;
      for (const pair of [...pairs]) {
        if (!pair.events) continue;
        cutConnections += 1;
        pair.client.destroy();
        pair.daemon.destroy();
        pairs.delete(pair);
      }
    },
    allowEvents: () => {
      cut = false;
    },
    stop: () =>
      new Promise((resolve) => {
        for (const pair of pairs) {
          pair.client.destroy();
          pair.daemon.destroy();
        }
        pairs.clear();
        server.close(() => resolve());
      }),
  };
}
