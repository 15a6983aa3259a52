// A receiver for benchmarks: answers like Vector's http_server (200, empty body) but keeps no
// events. It counts NDJSON lines, and records for each the receipt time minus the record's Docker
// `timestamp` (end-to-end latency). With `keepIdentities` it also counts each record's identity
// (container_id, timestamp, message) so the soak can tell lost from duplicated lines.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'zstd-napi';
import { dockerTimestampMs } from './docker-timestamp.js';
import { LatencyHistogram } from './latency-histogram.js';

export interface CountingReceiverOptions {
  /** Hold every reply this long (a slow sink's backpressure). */
  delayMs?: number;
  /** Keep a count per record identity (for loss/duplicate checks at soak rates, not for 1M lines). */
  keepIdentities?: boolean;
  /**
   * Keep every decoded body, to compare what arrived with the daemon's own lines afterwards
   * (records()). Costs memory (the NDJSON as received: ~540 MB for 1M records of 100-byte lines)
   * but no CPU while lines arrive, so rates measured meanwhile stay comparable.
   */
  keepRecords?: boolean;
}

/** The fields of a received record that the oracle compares. */
export interface ReceivedRecord {
  containerId: string;
  timestamp: string;
  stream: string;
  message: string;
}

export interface WaitOptions {
  timeoutMs: number;
  /** Give up early when no line arrived for this long. */
  stallMs?: number;
}

export interface CountingReceiver {
  readonly url: string;
  readonly lines: number;
  readonly requests: number;
  /** Bytes received as sent (compressed when the capturer compresses). */
  readonly bytes: number;
  /** performance.now() of the first and latest line received; 0 before any. */
  readonly firstAt: number;
  readonly lastAt: number;
  readonly latency: LatencyHistogram;
  /** identity -> times received (only with keepIdentities). */
  readonly identities: Map<string, number>;
  /** Requests received and not answered yet (delayed). */
  readonly pendingReplies: number;
  /** The records received, in order of arrival (only with keepRecords; parsed on each call). */
  records(): Generator<ReceivedRecord>;
  setDelay(ms: number): void;
  waitForLines(target: number, options: WaitOptions): Promise<void>;
  stop(): Promise<void>;
}

const TIMESTAMP_KEY = Buffer.from('"timestamp":"');

/** Record identity for the soak: the fields that make a Docker log line unique enough. */
export function recordIdentity(containerId: string, timestamp: string, message: string): string {
  return `${containerId}\t${timestamp}\t${message}`;
}

export async function startCountingReceiver(options: CountingReceiverOptions = {}): Promise<CountingReceiver> {
  let delayMs = options.delayMs ?? 0;
  const latency = new LatencyHistogram();
  const identities = new Map<string, number>();
  const bodies: Buffer[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let lines = 0;
  let requests = 0;
  let bytes = 0;
  let firstAt = 0;
  let lastAt = 0;
  let pendingReplies = 0;
  const waiters = new Set<() => void>();

  const countBody = (body: Buffer, receivedAt: number, receivedEpochMs: number): void => {
    let start = 0;
    while (start < body.length) {
      let end = body.indexOf(0x0a, start);
      if (end < 0) end = body.length;
      if (end > start) {
        lines += 1;
        const key = body.indexOf(TIMESTAMP_KEY, start);
        if (key >= 0 && key < end) latency.record(receivedEpochMs - dockerTimestampMs(body, key + TIMESTAMP_KEY.length));
        if (options.keepIdentities) countIdentity(body.subarray(start, end));
      }
      start = end + 1;
    }
    if (options.keepRecords) bodies.push(body);
    if (firstAt === 0) firstAt = receivedAt;
    lastAt = receivedAt;
    for (const wake of waiters) wake();
  };

  const countIdentity = (line: Buffer): void => {
    const record = JSON.parse(line.toString('utf8')) as { container_id?: unknown; timestamp?: unknown; message?: unknown };
    const identity = recordIdentity(String(record.container_id), String(record.timestamp), String(record.message));
    identities.set(identity, (identities.get(identity) ?? 0) + 1);
  };

  /** Bodies as the capturer's sink.compression sends them (gzip, zstd), decoded to count lines. */
  const decode = (wire: Buffer, encoding: string | undefined): Buffer => {
    if (encoding === 'gzip') return gunzipSync(wire);
    if (encoding === 'zstd') return zstdDecompress(wire);
    return wire;
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests += 1;
      const wire = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      bytes += wire.length;
      if (request.method === 'POST') countBody(decode(wire, request.headers['content-encoding']), performance.now(), Date.now());
      const reply = (): void => {
        pendingReplies -= 1;
        response.writeHead(200, { 'Content-Length': '0' });
        response.end();
      };
      pendingReplies += 1;
      if (delayMs <= 0) {
        reply();
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        reply();
      }, delayMs);
      timers.add(timer);
    });
  };

  const server = createServer(handle);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/`,
    get lines() {
      return lines;
    },
    get requests() {
      return requests;
    },
    get bytes() {
      return bytes;
    },
    get firstAt() {
      return firstAt;
    },
    get lastAt() {
      return lastAt;
    },
    get pendingReplies() {
      return pendingReplies;
    },
    latency,
    identities,
    *records() {
      for (const body of bodies) {
        for (const line of body.toString('utf8').split('\n')) {
          if (line === '') continue;
          const record = JSON.parse(line) as { container_id?: unknown; timestamp?: unknown; stream?: unknown; message?: unknown };
          yield { containerId: String(record.container_id), timestamp: String(record.timestamp), stream: String(record.stream), message: String(record.message) };
        }
      }
    },
    setDelay(ms: number) {
      delayMs = ms;
    },
    waitForLines(target: number, wait: WaitOptions): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const startedAt = performance.now();
        let progressAt = startedAt;
        let lastSeen = lines;
        const finish = (error?: Error): void => {
          clearInterval(check);
          waiters.delete(wake);
          if (error) reject(error);
          else resolve();
        };
        const wake = (): void => {
          if (lines >= target) finish();
        };
        const check = setInterval(() => {
          const now = performance.now();
          if (lines !== lastSeen) {
            lastSeen = lines;
            progressAt = now;
          }
          if (now - startedAt > wait.timeoutMs) finish(new Error(`receiver has ${lines} of ${target} lines after ${wait.timeoutMs} ms`));
          else if (wait.stallMs !== undefined && now - progressAt > wait.stallMs) finish(new Error(`receiver stalled at ${lines} of ${target} lines for ${wait.stallMs} ms`));
        }, 250);
        waiters.add(wake);
        wake();
      });
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
