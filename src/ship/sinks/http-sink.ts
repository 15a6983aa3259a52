// POSTs NDJSON batches to Vector's `http_server` source or Fluent Bit's `http` input over a
// keep-alive connection pool, and classifies each answer as the contracts say.
//
// undici closes a connection the server answered with `Connection: close` and opens a new one
// for the next request, so Vector's max_connection_age is invisible here. A request that races
// such a close fails with a socket error, which is a `retry` like any other connection error.
//
// A receiver cannot hold us: sink.request_timeout is one deadline for the whole exchange
// (connect, send, status, and the part of the body we read), not an idle timeout a byte a second
// keeps alive. The status decides the outcome; of the body we read at most DETAIL_LIMIT bytes
// (for the log), and a longer or unfinished body is not drained but its connection destroyed,
// so a 2 GB error page costs neither time nor CPU.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Agent, errors } from 'undici';
import type { Dispatcher } from 'undici';
import type { Compression, SinkAuthConfig } from '../../config/capturer-config.js';
import { stripUrlCredentials } from '../../utils/url-credentials.js';
import type { RetryOutcome, SendOutcome, Sink } from './sink.js';
import { ZstdCompressor } from './zstd-compressor.js';

const gzipAsync = promisify(gzip);

export interface HttpSinkOptions {
  kind: 'vector' | 'fluentbit';
  url: string;
  auth?: SinkAuthConfig;
  compression: Compression;
  headers: Record<string, string>;
  requestTimeoutMs: number;
  /** Connections kept open: the pipeline's max_in_flight. */
  connections: number;
}

/** The most of a response body we read: the slice of an error body kept for logs. */
export const DETAIL_LIMIT = 512;

/** Why a request was abandoned at its deadline (the signal's reason). */
class DeadlineExceeded extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no complete answer within sink.request_timeout (${timeoutMs} ms)`);
  }
}

export class HttpSink implements Sink {
  readonly kind: 'vector' | 'fluentbit';
  readonly displayUrl: string;
  private readonly origin: string;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly agent: Agent;
  private readonly compression: Compression;
  /** zstd runs in a worker thread (created on first use); gzip in libuv's pool. Neither blocks the event loop. */
  private readonly zstd = new ZstdCompressor();
  private readonly timeoutMs: number;

  constructor(options: HttpSinkOptions) {
    this.kind = options.kind;
    const url = new URL(options.url);
    // Credentials in the URL are moved to the Authorization header, never sent in the URL; the
    // URL we show says `[redacted]@`, so a reader knows they are there.
    const auth = options.auth ?? (url.username !== '' ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined);
    this.displayUrl = stripUrlCredentials(url.toString());
    url.username = '';
    url.password = '';
    this.origin = url.origin;
    this.path = `${url.pathname}${url.search}`;
    this.compression = options.compression;
    this.timeoutMs = options.requestTimeoutMs;
    this.headers = {
      ...options.headers,
      // Fluent Bit refuses application/x-ndjson; the same NDJSON labelled application/json is accepted.
      'content-type': options.kind === 'vector' ? 'application/x-ndjson' : 'application/json',
    };
    if (options.compression !== 'none') this.headers['content-encoding'] = options.compression;
    if (auth !== undefined) this.headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    this.agent = new Agent({ connections: Math.max(1, options.connections), keepAliveTimeout: 30_000, pipelining: 1 });
  }

  async send(body: Buffer, _eventCount: number): Promise<SendOutcome> {
    let payload: Buffer;
    try {
      payload = await this.encode(body);
    } catch (error) {
      return { kind: 'retry', cause: 'compression', detail: `compression failed: ${describe(error)}` };
    }
    // One deadline for the whole exchange; undici's own timeouts are idle timeouts.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DeadlineExceeded(this.timeoutMs)), this.timeoutMs);
    try {
      let response: Dispatcher.ResponseData;
      try {
        response = await this.agent.request({
          origin: this.origin,
          path: this.path,
          method: 'POST',
          headers: this.headers,
          body: payload,
          signal: deadline.signal,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
        });
      } catch (error) {
        return connectionFailure(error, this.timeoutMs);
      }
      // The status is the receiver's answer (Vector sends it once its sinks have the batch);
      // whatever happens to the body afterwards does not change it.
      return classify(this.kind, response.statusCode, await readDetail(response.body));
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
    await this.zstd.close();
  }

  async destroy(): Promise<void> {
    await this.agent.destroy();
    await this.zstd.close();
  }

  private async encode(body: Buffer): Promise<Buffer> {
    if (this.compression === 'gzip') return gzipAsync(body);
    if (this.compression === 'zstd') return this.zstd.compress(body);
    return body;
  }
}

/** The contract's outcome table. */
export function classify(kind: 'vector' | 'fluentbit', status: number, detail: string): SendOutcome {
  const success = kind === 'fluentbit' ? status === 200 || status === 201 || status === 204 : status >= 200 && status < 300;
  if (success) return { kind: 'delivered' };
  if (status === 413) return { kind: 'too-large' };
  if (status === 400) return { kind: 'rejected', status, detail };
  if (status === 401 || status === 403 || status === 404 || status === 405 || status === 415) {
    return { kind: 'config-error', status, detail: configHint(status, detail) };
  }
  return { kind: 'retry', cause: 'http_status', status, detail: `HTTP ${status}${detail === '' ? '' : `: ${detail}`}` };
}

function configHint(status: number, detail: string): string {
  const hint: Record<number, string> = {
    401: 'the receiver refused our credentials: check sink.auth',
    403: 'the receiver forbids us: check sink.auth and the receiver\'s access rules',
    404: 'nothing listens at this path: check the path of sink.url',
    405: 'the receiver does not take POST here: check sink.url and the receiver\'s method',
    415: 'the receiver cannot decode our body: check sink.compression',
  };
  return `HTTP ${status}: ${hint[status] ?? 'check the sink configuration'}${detail === '' ? '' : ` (receiver said: ${detail})`}`;
}

/**
 * At most DETAIL_LIMIT bytes of the body, as text for a log. A body that ends within them leaves
 * its connection reusable; a longer one, or one cut by the deadline or the connection, is
 * destroyed with its connection (leaving the loop early destroys the stream), never drained.
 */
async function readDetail(body: Dispatcher.ResponseData['body']): Promise<string> {
  const kept: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buffer = chunk as Buffer;
      kept.push(buffer.subarray(0, DETAIL_LIMIT - size));
      size += Math.min(buffer.length, DETAIL_LIMIT - size);
      if (size >= DETAIL_LIMIT) break;
    }
  } catch {
    // The deadline or the connection cut the body: the status already said what happened.
  }
  return Buffer.concat(kept).toString('utf8').replace(/\s+/g, ' ').trim();
}

function connectionFailure(error: unknown, timeoutMs: number): RetryOutcome {
  if (error instanceof DeadlineExceeded || error instanceof errors.HeadersTimeoutError) {
    return { kind: 'retry', cause: 'timeout', detail: new DeadlineExceeded(timeoutMs).message };
  }
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  // undici's messages name the origin at most, which never carries credentials (they were moved out of the URL).
  return { kind: 'retry', cause: 'connection', detail: code !== '' ? `connection error ${code}: ${describe(error)}` : `connection error: ${describe(error)}` };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
