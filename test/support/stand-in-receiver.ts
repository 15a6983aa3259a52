// A stand-in for the receivers we ship to: Vector's `http_server` source and Fluent Bit's `http`
// input, behaving as docs/contracts/vector-http-server.md and docs/contracts/fluent-bit-http.md
// say (where this code and those pages differ, the pages are right).
// It is our model of someone else's server, so it is strict: it refuses what they refuse, and
// it keeps nothing of a request it refuses. Listens on 127.0.0.1 only.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'zstd-napi';

export type ReceiverKind = 'vector' | 'fluentbit';

export interface StandInOptions {
  kind: ReceiverKind;
  /** 0 (default) = any free port. */
  port?: number;
  /** vector: the configured `path` (default `/`), matched strictly. */
  path?: string;
  auth?: { username: string; password: string };
  /** The success status: vector 200, fluentbit 201 by default. */
  responseCode?: number;
  /** Body limit, raw and decoded: vector 100 MiB, fluentbit 4 MiB by default. */
  maxBodyBytes?: number;
  /** vector: `Connection: close` once a connection is older than this (keepalive.max_connection_age_secs). */
  maxConnectionAgeMs?: number;
  /**
   * A `dedupe` transform behind the source (Vector's, with `fields.match = [field]` and a cache
   * larger than any test): `deduplicated` keeps the first event of each value of the field.
   */
  dedupeBy?: string;
}

export interface ReceivedRequest {
  status: number;
  /** Raw body bytes as received (before decompression). */
  bytes: number;
  encoding: string | undefined;
  contentType: string | undefined;
  at: number;
  /** fluentbit: the tag the records got. */
  tag?: string;
  /** How many events this request added (0 when refused). */
  kept: number;
}

export interface StandInReceiver {
  readonly url: string;
  readonly port: number;
  readonly events: Array<Record<string, unknown>>;
  /** With dedupeBy: the events the dedupe transform lets through (an event without the field passes). Else the same array as events. */
  readonly deduplicated: Array<Record<string, unknown>>;
  readonly requests: ReceivedRequest[];
  /** Answer every request with this status (nothing kept) until called with null. */
  failWith(status: number | null): void;
  /** Hold every reply this long; the events are kept when the reply is sent (as with acks on). */
  delayReplies(ms: number): void;
  /** Close the listening socket and every open connection: clients get ECONNREFUSED. */
  refuseConnections(): Promise<void>;
  /** Listen again, on the same port. */
  acceptConnections(): Promise<void>;
  stop(): Promise<void>;
}

class Refusal extends Error {
  constructor(readonly status: number, message: string, readonly plainText = false) {
    super(message);
  }
}

const VECTOR_DEFAULT_LIMIT = 100 * 1024 * 1024;
const FLUENTBIT_DEFAULT_LIMIT = 4 * 1024 * 1024;

export async function startStandInReceiver(options: StandInOptions): Promise<StandInReceiver> {
  const kind = options.kind;
  const basePath = options.path ?? '/';
  const limit = options.maxBodyBytes ?? (kind === 'vector' ? VECTOR_DEFAULT_LIMIT : FLUENTBIT_DEFAULT_LIMIT);
  const successCode = options.responseCode ?? (kind === 'vector' ? 200 : 201);
  const events: Array<Record<string, unknown>> = [];
  const dedupeBy = options.dedupeBy;
  const deduplicated: Array<Record<string, unknown>> = dedupeBy === undefined ? events : [];
  const seenValues = new Set<string>();
  const requests: ReceivedRequest[] = [];
  const sockets = new Map<Socket, number>();
  let forcedStatus: number | null = null;
  let delayMs = 0;

  const server = createServer((request, response) => {
    void handle(request, response);
  });
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, Date.now());
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { body, tooLarge } = await readBody(request, limit);
    const record: ReceivedRequest = {
      status: 0, bytes: body.length, encoding: header(request, 'content-encoding'),
      contentType: header(request, 'content-type'), at: Date.now(), kept: 0,
    };
    requests.push(record);
    let status: number;
    let reply = '';
    let plainText = false;
    let accepted: Array<Record<string, unknown>> = [];
    try {
      if (forcedStatus !== null) throw new Refusal(forcedStatus, 'forced failure');
      accepted = kind === 'vector' ? vectorEvents(request, body, tooLarge) : fluentBitEvents(request, body, tooLarge, record);
      status = successCode;
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      status = error.status;
      plainText = error.plainText;
      reply = kind === 'vector' && !plainText ? JSON.stringify({ code: error.status, message: error.message }) : error.message;
    }
    if (delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      // The client gave up (or we were told to refuse connections): nothing was acknowledged.
      if (response.destroyed || request.socket.destroyed) return;
    }
    record.status = status;
    if (status >= 200 && status < 300) {
      for (const event of accepted) {
        events.push(event);
        if (dedupeBy === undefined) continue;
        const value = event[dedupeBy];
        const key = value === undefined ? undefined : JSON.stringify(value);
        if (key === undefined) deduplicated.push(event);
        else if (!seenValues.has(key)) {
          seenValues.add(key);
          deduplicated.push(event);
        }
      }
      record.kept = accepted.length;
    }
    const opened = sockets.get(request.socket);
    if (kind === 'vector' && options.maxConnectionAgeMs !== undefined && opened !== undefined && Date.now() - opened >= options.maxConnectionAgeMs) {
      response.setHeader('Connection', 'close');
    }
    if (reply.length > 0) response.setHeader('Content-Type', plainText || kind === 'fluentbit' ? 'text/plain' : 'application/json');
    response.writeHead(status);
    response.end(reply);
  }

  function vectorEvents(request: IncomingMessage, raw: Buffer, tooLarge: boolean): Array<Record<string, unknown>> {
    if (request.method !== 'POST') throw new Refusal(405, 'HTTP method not allowed', true);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (path !== basePath) throw new Refusal(404, 'Not found');
    if (tooLarge) throw new Refusal(413, 'Payload too large');
    checkAuth(request);
    const body = decodeVector(header(request, 'content-encoding'), raw);
    const out: Array<Record<string, unknown>> = [];
    // Framing is newline_delimited: split on `\n` only; an empty frame is skipped.
    for (const line of body.toString('utf8').split('\n')) {
      if (line.length === 0) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new Refusal(400, `Failed decoding body: ${(error as Error).message}`);
      }
      for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
        if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new Refusal(400, 'Failed decoding body: not an object');
        const event = item as Record<string, unknown>;
        if (!('path' in event)) event.path = path;
        if (!('source_type' in event)) event.source_type = 'http_server';
        if (!('timestamp' in event)) event.timestamp = new Date().toISOString();
        out.push(event);
      }
    }
    return out;
  }

  function decodeVector(encodingHeader: string | undefined, raw: Buffer): Buffer {
    let body = raw;
    const encodings = (encodingHeader ?? '').split(',').map((e) => e.trim().toLowerCase()).filter((e) => e.length > 0);
    // A comma list names encodings in the order they were applied: undo them right to left.
    for (const encoding of encodings.reverse()) {
      if (encoding === 'identity') continue;
      // Vector also decodes raw snappy; no snappy library is installed here, so the stand-in
      // answers 415 for it. The capturer never sends snappy, so no test depends on it.
      if (encoding !== 'gzip' && encoding !== 'deflate' && encoding !== 'zstd') throw new Refusal(415, `Unsupported encoding ${encoding}`);
      body = decompressOrRefuse(encoding, body, 422);
    }
    return body;
  }

  function decompressOrRefuse(encoding: 'gzip' | 'deflate' | 'zstd', body: Buffer, corruptStatus: number): Buffer {
    let out: Buffer;
    try {
      if (encoding === 'gzip') out = gunzipSync(body, { maxOutputLength: limit + 1 });
      else if (encoding === 'deflate') out = inflateSync(body, { maxOutputLength: limit + 1 });
      else out = zstdDecompress(body);
    } catch (error) {
      if (error instanceof RangeError) throw new Refusal(413, 'Payload too large');
      throw new Refusal(corruptStatus, `Failed decompressing payload with ${encoding} decoder.`);
    }
    if (out.length > limit) throw new Refusal(413, 'Payload too large');
    return out;
  }

  function fluentBitEvents(request: IncomingMessage, raw: Buffer, tooLarge: boolean, record: ReceivedRequest): Array<Record<string, unknown>> {
    if (request.method !== 'POST') throw new Refusal(400, 'error: invalid HTTP method');
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    record.tag = path === '/' ? 'http.0' : path.slice(1).replace(/[^A-Za-z0-9_.]/g, '_');
    if (tooLarge) throw new Refusal(413, 'error: payload too large');
    checkAuth(request);
    const contentType = header(request, 'content-type');
    if (contentType === undefined) throw new Refusal(400, "error: header 'Content-Type' is not set");
    const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
    if (mediaType !== 'application/json' && mediaType !== 'application/x-www-form-urlencoded') throw new Refusal(400, "error: invalid 'Content-Type'");
    let body = raw;
    const encoding = header(request, 'content-encoding')?.trim().toLowerCase();
    if (encoding === 'gzip' || encoding === 'zstd') body = decompressOrRefuse(encoding, body, 400);
    // Observed on Fluent Bit 5.1: its deflate/zlib decoders do nothing, so such bodies are 400.
    // Snappy: no decoder installed here, refused the same way; the capturer never sends it.
    else if (encoding !== undefined && encoding !== '' && encoding !== 'identity') throw new Refusal(400, 'error: invalid payload');
    if (body.length === 0) throw new Refusal(400, 'error: no payload found');
    if (mediaType === 'application/x-www-form-urlencoded') {
      return [Object.fromEntries(new URLSearchParams(body.toString('utf8')))];
    }
    const out: Array<Record<string, unknown>> = [];
    for (const value of splitJsonValues(body.toString('utf8'))) {
      for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
        if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new Refusal(400, 'error: invalid JSON message');
        out.push(item as Record<string, unknown>);
      }
    }
    if (out.length === 0) throw new Refusal(400, 'error: no payload found');
    return out;
  }

  function checkAuth(request: IncomingMessage): void {
    if (options.auth === undefined) return;
    const expected = `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
    // Vector answers 401 without a WWW-Authenticate header.
    if (header(request, 'authorization') !== expected) throw new Refusal(401, 'Invalid username/password');
  }

  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });

  const closeAll = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) {
        for (const socket of sockets.keys()) socket.destroy();
        resolve();
        return;
      }
      server.close(() => resolve());
      for (const socket of sockets.keys()) socket.destroy();
    });

  const port = await listen(options.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}${kind === 'vector' ? basePath : '/'}`,
    port,
    events,
    deduplicated,
    requests,
    failWith: (status) => {
      forcedStatus = status;
    },
    delayReplies: (ms) => {
      delayMs = ms;
    },
    refuseConnections: closeAll,
    acceptConnections: async () => {
      if (!server.listening) await listen(port);
    },
    stop: closeAll,
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

async function readBody(request: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  try {
    for await (const chunk of request) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > limit) tooLarge = true; // keep reading so the reply can be sent, but keep nothing
      else chunks.push(buffer);
    }
  } catch {
    // the client went away mid-body; the reply will go nowhere
  }
  return { body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge };
}

/** Fluent Bit's JSON reader takes several values one after another (NDJSON or concatenated). */
function splitJsonValues(text: string): unknown[] {
  const values: unknown[] = [];
  let index = 0;
  while (index < text.length) {
    while (index < text.length && ' \t\r\n'.includes(text[index] as string)) index += 1;
    if (index >= text.length) break;
    const end = endOfValue(text, index);
    try {
      values.push(JSON.parse(text.slice(index, end)));
    } catch {
      throw new Refusal(400, 'error: invalid JSON message');
    }
    index = end;
  }
  return values;
}

function endOfValue(text: string, start: number): number {
  const first = text[start];
  if (first !== '{' && first !== '[') {
    let end = start;
    while (end < text.length && !' \t\r\n{['.includes(text[end] as string)) end += 1;
    return end;
  }
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i += 1) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i += 1;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth += 1;
    else if (ch === '}' || ch === ']') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}
