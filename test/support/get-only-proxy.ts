// A GET-only filter in front of a Docker daemon's unix socket, listening on 127.0.0.1: the test
// double of the socket proxy the hardened stacks put between log-capturer and dockerd
// (deploy/docker-api-proxy/haproxy.cfg). It forwards GET requests for the endpoints log-capturer
// uses and answers 403 to everything else. Responses are piped as they arrive (a follow stream
// is never buffered), and an upstream request is destroyed as soon as its client goes away.
import { request as upstreamRequest, createServer } from 'node:http';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { listenOnLoopback } from './capturer-process.js';

/**
 * The Docker API paths log-capturer calls, with or without an API version prefix. Matched
 * against the raw request path (no percent-decoding), so an encoded `/` or `..` cannot sneak a
 * different endpoint past it: `%` is simply not an allowed character. A container reference is
 * an id or a name (Docker's own name pattern), one path segment.
 */
const ALLOWED_PATH = /^(?:(?:\/v\d+\.\d+)?\/(?:_ping|version|events|containers\/json|containers\/[A-Za-z0-9][A-Za-z0-9_.-]*\/(?:json|logs))|\/v\d+\.\d+(?:\.\d+)?\/libpod\/containers\/[A-Za-z0-9][A-Za-z0-9_.-]*\/logs)$/;

/** Why a request is refused, or undefined when it may pass. */
export function refusal(method: string | undefined, rawUrl: string | undefined): string | undefined {
  if (method !== 'GET') return `method ${String(method)} is not allowed (GET only)`;
  if (rawUrl === undefined || !rawUrl.startsWith('/')) return 'only origin-form request targets (/path) are allowed';
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
  if (!ALLOWED_PATH.test(path)) return `path ${path} is not one log-capturer uses`;
  return undefined;
}

export interface ProxiedRequest {
  method: string;
  /** The request target as the client sent it (path and query). */
  url: string;
  /** 403 when the proxy refused it, else the daemon's status (0: no answer from the daemon). */
  status: number;
  refused: boolean;
}

export interface GetOnlyProxy {
  /** tcp://127.0.0.1:<port>, for docker.host / --docker-host. */
  readonly host: string;
  readonly port: number;
  /** Every request seen, in arrival order (the status is filled in when known). */
  readonly requests: readonly ProxiedRequest[];
  /** Requests to the daemon still open (a follow stream counts until it is fully closed). */
  openUpstreams(): number;
  stop(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 7.6.1) are for one connection only and are not forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((h) => h.trim()));
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && !named.has(name)) kept[name] = value;
  }
  return kept;
}

function forbid(response: ServerResponse, why: string): void {
  const body = JSON.stringify({ message: `forbidden by the GET-only proxy: ${why}` });
  response.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/** Upgrade and CONNECT requests never reach a request handler: refuse them on the raw socket. */
function forbidRaw(socket: Duplex): void {
  socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
}

export async function startGetOnlyProxy(socketPath: string): Promise<GetOnlyProxy> {
  const requests: ProxiedRequest[] = [];
  const upstreams = new Set<ClientRequest>();
  const clients = new Set<Socket>();

  const forward = (request: IncomingMessage, response: ServerResponse, seen: ProxiedRequest): void => {
    // One connection per request (agent: false): a destroyed request closes its own socket and
    // nothing is left idle when the proxy stops.
    const upstream = upstreamRequest({ socketPath, method: 'GET', path: request.url, headers: endToEnd(request.headers), agent: false });
    upstreams.add(upstream);
    upstream.once('close', () => upstreams.delete(upstream));
    let answered: IncomingMessage | undefined;
    // The client went away (or the answer is complete): release the daemon side at once.
    response.once('close', () => {
      if (!response.writableFinished || !answered?.complete) upstream.destroy();
    });
    upstream.once('response', (daemonAnswer) => {
      answered = daemonAnswer;
      seen.status = daemonAnswer.statusCode ?? 0;
      response.writeHead(daemonAnswer.statusCode ?? 502, daemonAnswer.statusMessage, endToEnd(daemonAnswer.headers));
      // The headers go out now: a follow stream may stay silent for a long time.
      response.flushHeaders();
      daemonAnswer.pipe(response);
      daemonAnswer.once('error', () => response.destroy());
    });
    upstream.once('error', (error) => {
      if (answered !== undefined || response.headersSent) {
        response.destroy();
        return;
      }
      const body = JSON.stringify({ message: `the GET-only proxy cannot reach the daemon: ${error.message}` });
      response.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
    request.pipe(upstream);
  };

  const server = createServer((request, response) => {
    const seen: ProxiedRequest = { method: request.method ?? '', url: request.url ?? '', status: 0, refused: false };
    requests.push(seen);
    const why = refusal(request.method, request.url);
    if (why !== undefined) {
      seen.status = 403;
      seen.refused = true;
      // Whatever body came with it is read and dropped, never forwarded.
      request.resume();
      forbid(response, why);
      return;
    }
    forward(request, response, seen);
  });
  const refuseRaw = (request: IncomingMessage, socket: Duplex): void => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', status: 403, refused: true });
    forbidRaw(socket);
  };
  server.on('upgrade', refuseRaw);
  server.on('connect', refuseRaw);
  server.on('connection', (socket: Socket) => {
    clients.add(socket);
    socket.once('close', () => clients.delete(socket));
  });

  const port = await listenOnLoopback(server);

  return {
    host: `tcp://127.0.0.1:${port}`,
    port,
    requests,
    openUpstreams: () => upstreams.size,
    stop: () =>
      new Promise((resolve) => {
        for (const upstream of upstreams) upstream.destroy();
        for (const socket of clients) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
