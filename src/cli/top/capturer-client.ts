// Reads one sample (GET /status and GET /metrics) from a running capturer. Every way this can go
// wrong ends in a CapturerUnreachableError whose message names the address and what to check:
// `log-capturer top` prints it as is, without a stack.
import type { MetricsSnapshot } from './metrics-snapshot.js';
import { readMetrics } from './metrics-snapshot.js';
import type { StatusSnapshot } from './status-snapshot.js';
import { readStatus } from './status-snapshot.js';

/** The environment variable the capturer reads server.status_token from; top sends the same value. */
export const STATUS_TOKEN_ENV = 'LOG_CAPTURER_SERVER_STATUS_TOKEN';

export interface Sample {
  /** Epoch ms when the answers arrived. */
  at: number;
  status: StatusSnapshot;
  metrics: MetricsSnapshot;
}

export interface SampleRequest {
  /** The capturer's HTTP server, e.g. http://127.0.0.1:8001 (a path prefix is kept). */
  url: URL;
  /** Sent as `Authorization: Bearer` to /status only; never printed. */
  statusToken?: string | undefined;
  timeoutMs: number;
  now?: () => number;
}

export type UnreachableReason = 'unreachable' | 'timeout' | 'unauthorized' | 'not-a-capturer';

export class CapturerUnreachableError extends Error {
  override readonly name = 'CapturerUnreachableError';
  constructor(readonly reason: UnreachableReason, message: string) {
    super(message);
  }
}

/** The address as we print it: no user:password@ (a URL may carry them), no trailing slash. */
export function displayAddress(url: URL): string {
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

const WHAT_TO_CHECK = 'Check that log-capturer is running, that its HTTP server is on (server.enabled) and listens on this address (server.listen, default 127.0.0.1:8001), and that nothing blocks the port; give another address with --url.';

/** The system error code under fetch's "fetch failed" TypeError (Node puts it in `cause`, sometimes in an AggregateError). */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      current = errors[0];
      continue;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const NETWORK_PROBLEMS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name could not be resolved',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection closed',
};

/** A known code in words, else the innermost cause's message (fetch's own is only "fetch failed"). */
function describeNetworkError(error: unknown): string {
  const code = networkCode(error);
  if (code !== undefined) return NETWORK_PROBLEMS[code] ?? code;
  let innermost: unknown = error;
  for (let depth = 0; depth < 4 && innermost instanceof Error && innermost.cause instanceof Error; depth += 1) innermost = innermost.cause;
  return innermost instanceof Error ? innermost.message : String(innermost);
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

async function get(url: URL, address: string, timeoutMs: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    if (isTimeout(error)) {
      throw new CapturerUnreachableError('timeout', `cannot reach the capturer at ${address}: no answer within ${timeoutMs / 1000}s. ${WHAT_TO_CHECK}`);
    }
    throw new CapturerUnreachableError('unreachable', `cannot reach the capturer at ${address}: ${describeNetworkError(error)}. ${WHAT_TO_CHECK}`);
  }
}

function notACapturer(address: string, path: string, what: string): CapturerUnreachableError {
  return new CapturerUnreachableError('not-a-capturer', `the server at ${address} answered GET ${path} with ${what}: is this log-capturer's HTTP server (server.listen)? Give its address with --url.`);
}

/** GET /status and /metrics, at the same time; resolves when both have answered. */
export async function fetchSample(request: SampleRequest): Promise<Sample> {
  const base = new URL(request.url);
  base.username = '';
  base.password = '';
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const address = displayAddress(request.url);
  const token = request.statusToken;
  const statusHeaders: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined && token !== '') statusHeaders.authorization = `Bearer ${token}`;

  const [status, metrics] = await Promise.all([
    get(new URL('status', base), address, request.timeoutMs, statusHeaders),
    get(new URL('metrics', base), address, request.timeoutMs, { accept: 'text/plain' }),
  ]);

  if (status.status === 401) {
    throw new CapturerUnreachableError('unauthorized', token === undefined || token === ''
      ? `the capturer at ${address} protects /status with a token (server.status_token): set ${STATUS_TOKEN_ENV} to it.`
      : `the capturer at ${address} refused the token in ${STATUS_TOKEN_ENV}: it must equal the capturer's server.status_token.`);
  }
  if (status.status !== 200) throw notACapturer(address, '/status', `HTTP ${status.status}`);
  let body: unknown;
  try {
    body = JSON.parse(status.body);
  } catch {
    throw notACapturer(address, '/status', 'something that is not JSON');
  }
  if (metrics.status !== 200) throw notACapturer(address, '/metrics', `HTTP ${metrics.status}`);
  return { at: (request.now ?? Date.now)(), status: readStatus(body), metrics: readMetrics(metrics.body) };
}
