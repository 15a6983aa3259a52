// A stand-in for a capturer's HTTP server that answers /status and /metrics with the recorded
// samples of a scenario (the first request gets sample 1, later ones sample 2), so the command
// line can be tested as a process without Docker. Only the real capturer is the oracle for what
// /status contains; this serves what it once answered.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fixtureText } from './top-fixtures.js';
import type { Scenario } from './top-fixtures.js';

export interface FakeCapturer {
  url: string;
  /** Every request: path and the Authorization header it carried. */
  requests: Array<{ path: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

export async function startFakeCapturer(options: { scenario: Scenario; statusToken?: string; statusCode?: number }): Promise<FakeCapturer> {
  const requests: FakeCapturer['requests'] = [];
  const served = { status: 0, metrics: 0 };
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    requests.push({ path, authorization: req.headers.authorization });
    if (path === '/status') {
      if (options.statusToken !== undefined && req.headers.authorization !== `Bearer ${options.statusToken}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
        return;
      }
      if (options.statusCode !== undefined) {
        res.writeHead(options.statusCode, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      served.status += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(fixtureText(`${options.scenario}-${Math.min(served.status, 2)}.status.json`));
    } else if (path === '/metrics') {
      served.metrics += 1;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(fixtureText(`${options.scenario}-${Math.min(served.metrics, 2)}.metrics.txt`));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
