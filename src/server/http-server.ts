// The operations endpoints: /healthz, /readyz, /metrics, /status. Small on purpose: every answer
// comes from ServerSources or the metrics registry, errors are JSON without stack traces, and
// close() leaves no socket or timer behind. It cannot be used to starve the rest of the process:
// connections are capped (connection-limit.ts) and short timeouts close idle and slow ones.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { ServerConfig } from '../config/capturer-config.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import type { Logger } from '../utils/logger.js';
import { ConnectionLimit } from './connection-limit.js';
import { ServerTelemetry } from './server-telemetry.js';
import type { ComponentName } from './server-telemetry.js';
import type { ServerSources } from './server-sources.js';
import { bearerTokenMatches } from './bearer-token.js';
import { capturerVersion } from './capturer-version.js';
import { DEFAULT_READINESS_WINDOW_MS, evaluateReadiness } from './readiness.js';
import type { Readiness } from './readiness.js';
import { redactSecrets } from './redact-secrets.js';

export type { ReadinessCheck } from './readiness.js';
export type { ServerSources } from './server-sources.js';

export interface HttpServerOptions {
  config: ServerConfig;
  /** The capturer's registry: /metrics serves it, and the server registers component_health in it. */
  registry: MetricsRegistry;
  logger: Logger;
  sources: ServerSources;
  /** How long a component may go without success before /readyz fails it (default 30 s). */
  readinessWindowMs?: number;
  /** How often component_health is refreshed without /readyz being called (default 5 s, at most half the window). */
  healthRefreshMs?: number;
  /** For tests: shorter connection timeouts than the defaults below. */
  connectionTimeouts?: Partial<ConnectionTimeouts>;
}

export interface ConnectionTimeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
  socketIdleMs: number;
  checkIntervalMs: number;
}

export interface RunningHttpServer {
  /** e.g. http://127.0.0.1:8001 (the real port when config.port was 0) */
  url: string;
  close(): Promise<void>;
}

const ALLOWED_METHODS = 'GET, HEAD';

/**
 * The server could not bind its address. A mistake of the operator's (a port another process
 * holds, a privileged port, an address this host does not have), not a crash: the message is
 * one line that names the address and how to choose another one, and the CLI prints just that.
 */
export class ServerListenError extends Error {
  override readonly name = 'ServerListenError';
  constructor(readonly address: string, readonly code: string, reason: string) {
    super(`cannot listen on ${address} for /healthz, /readyz, /metrics and /status: ${reason}. `
      + 'Choose another address with --listen HOST:PORT (or server.listen in the configuration file, or LOG_CAPTURER_SERVER_LISTEN), '
      + 'or turn the server off with server.enabled: false');
  }
}

const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another program, maybe another log-capturer, listens there)',
  EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  EADDRNOTAVAIL: 'this host has no such address',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
};

/**
 * headersMs: a client has this long to send its request headers from the moment it connects (a
 * connection that sends nothing is closed too), requestMs for the whole request: every request
 * here is a small GET a probe or Prometheus sends at once. keepAliveMs: an idle keep-alive
 * connection is closed after this long (Node's default). socketIdleMs: a connection with no
 * traffic either way for this long is destroyed (a client that stopped reading a reply).
 * Node checks the first two every checkIntervalMs.
 */
export const CONNECTION_TIMEOUTS: Readonly<ConnectionTimeouts> = {
  headersMs: 10_000,
  requestMs: 15_000,
  keepAliveMs: 5_000,
  socketIdleMs: 30_000,
  checkIntervalMs: 1_000,
};
/** At most one warning per this long while connections are being shed; the counter counts each. */
const SHED_LOG_INTERVAL_MS = 60_000;

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { config, registry, logger, sources } = options;
  const windowMs = options.readinessWindowMs ?? DEFAULT_READINESS_WINDOW_MS;
  const log = logger.child({ component: 'server' });
  let closed = false;
  const telemetry = new ServerTelemetry(registry);
  const setHealth = (component: ComponentName, healthy: boolean): void => telemetry.health(component, healthy);

  const refreshHealth = (): Readiness => {
    const readiness = evaluateReadiness(sources, windowMs);
    for (const check of readiness.checks) setHealth(check.name, check.ok);
    setHealth('server', !closed && !safeShuttingDown(sources));
    return readiness;
  };

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);

  route(app, '/healthz', (_req, res) => {
    if (safeShuttingDown(sources)) {
      res.status(503).json({ status: 'shutting down' });
      return;
    }
    res.json({ status: 'ok' });
  });

  route(app, '/readyz', (_req, res) => {
    const readiness = refreshHealth();
    if (safeShuttingDown(sources)) {
      res.status(503).json({ status: 'shutting down', checks: readiness.checks });
      return;
    }
    if (readiness.ready) {
      res.json({ status: 'ready', checks: readiness.checks });
      return;
    }
    const failing = readiness.checks.filter((check) => !check.ok).map((check) => check.name);
    res.status(503).json({ status: 'not ready', failing, checks: readiness.checks });
  });

  route(app, '/metrics', async (_req, res) => {
    refreshHealth();
    const text = await registry.metrics();
    res.set('Content-Type', registry.contentType).send(text);
  });

  route(app, '/status', (req, res) => {
    if (config.statusToken !== undefined && config.statusToken !== '' && !bearerTokenMatches(req.get('authorization'), config.statusToken)) {
      res.set('WWW-Authenticate', 'Bearer realm="log-capturer"').status(401).json({ error: 'unauthorized' });
      return;
    }
    const snapshot = redactSecrets(sources.status());
    const body = isPlainObject(snapshot) ? snapshot : { state: snapshot };
    res.json({ version: capturerVersion(), uptime_seconds: Math.round(process.uptime()), ...body });
  });

  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: 'not found', path: req.path });
  });

  // Express recognises an error handler by its four parameters.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = clientErrorStatus(error);
    if (status === undefined) log.error({ err: error }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status ?? 500).json({ error: status === undefined ? 'internal error' : 'bad request' });
  });

  const timeouts = { ...CONNECTION_TIMEOUTS, ...options.connectionTimeouts };
  const server = createServer({
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionsCheckingInterval: timeouts.checkIntervalMs,
  }, app);
  // Without a 'timeout' listener, Node destroys a socket idle this long.
  server.setTimeout(timeouts.socketIdleMs);
  let lastShedLog = 0;
  const connections = new ConnectionLimit(config.maxConnections, (reason, open) => {
    telemetry.connectionShed(reason);
    const now = Date.now();
    if (now - lastShedLog < SHED_LOG_INTERVAL_MS) return;
    lastShedLog = now;
    log.warn({ max_connections: connections.max, open, reason }, 'server.max_connections reached: closing connections beyond it (idle ones first); counted in log_capturer_server_connections_shed_total');
  });
  server.on('connection', (socket: Socket) => connections.admit(socket));
  server.on('request', (req, res) => connections.requestStarted(req.socket, res));
  telemetry.trackConnections(() => connections.size);
  await listen(server, config.port, config.host);

  refreshHealth();
  const refreshMs = Math.max(50, Math.min(options.healthRefreshMs ?? 5_000, Math.floor(windowMs / 2)));
  const timer = setInterval(() => {
    try {
      refreshHealth();
    } catch (error) {
      log.warn({ err: error }, 'health refresh failed');
    }
  }, refreshMs);
  timer.unref();

  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log.info({ url }, 'http server listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        clearInterval(timer);
        setHealth('server', false);
        server.close(() => resolve());
        server.closeAllConnections();
        connections.destroyAll();
      });
      return closing;
    },
  };
}

type Handler = (req: Request, res: Response) => void | Promise<void>;

/** GET (and HEAD, which express derives from GET) on a path; any other method is a 405 with Allow. */
function route(app: express.Express, path: string, handler: Handler): void {
  app.get(path, (req, res, next) => {
    Promise.resolve(handler(req, res)).catch(next);
  });
  app.all(path, (req, res) => {
    res.set('Allow', ALLOWED_METHODS).status(405).json({ error: 'method not allowed', method: req.method, allow: ALLOWED_METHODS });
  });
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      const code = error.code ?? 'ERROR';
      reject(new ServerListenError(address, code, LISTEN_REASONS[code] ?? `${error.message}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function safeShuttingDown(sources: ServerSources): boolean {
  try {
    return sources.shuttingDown();
  } catch {
    return false;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** 4xx errors raised by express itself (e.g. a malformed URL) keep their status; anything else is ours. */
function clientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
