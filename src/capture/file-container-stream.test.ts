// FileContainerStream without a daemon: a json-file log written the way moby writes it (rotated
// files, long lines in 16 KiB pieces interleaved with the other stream, stamps shared and written
// late), read in pieces cut at random lines. Every position handed on must resume both routes
// exactly: the file route at its byte offset, or by scanning for its time part (a position the
// API route left), and the API route by its time part (what the daemon's `since` would send,
// after `skip`) - the switches between routes, checked against their definitions. Every line
// also keeps the event_id ordinal a single reading gives it.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { isUtf8 } from 'node:buffer';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jsonFileBytes, lineEntries, random } from '../../test/support/json-file-model.js';
import type { ModelEntry } from '../../test/support/json-file-model.js';
import { ModelLogWriter } from '../../test/support/json-file-writer.js';
import type { ContainerInfo } from '../docker/container-info.js';
import type { LogFileIdentity } from '../docker/json-file/file-position.js';
import { JsonFileDecoder } from '../docker/json-file/json-file-decoder.js';
import { jsonLogLocation } from '../docker/json-file/log-location.js';
import type { LogLine } from '../docker/log-line.js';
import { createMetricsRegistry } from '../telemetry/metrics-registry.js';
import { silentLogger } from '../utils/logger.js';
import { CaptureTelemetry } from './capture-telemetry.js';
import type { CapturedLine, LineConsumer } from './captured-line.js';
import { FileContainerStream } from './file-container-stream.js';
import { BEGINNING } from './position.js';
import { LineOrdinals } from './positioned-line-reader.js';
import type { Position } from './position.js';

const ID = 'f'.repeat(64);
const INFO: ContainerInfo = { id: ID, name: 'writer', image: 'busybox', labels: {}, createdAt: '2026-11-29T06:00:00.000000000Z', tty: false, logDriver: 'json-file', logOptions: {}, running: false };
const BASE_NS = BigInt(Date.UTC(2026, 10, 29, 6, 0, 0)) * 1_000_000n;
const describeLine = (line: LogLine): string => `${line.timestamp} ${line.stream} ${line.chunks} ${line.message.toString('latin1')}`;

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Lines on both streams: shared stamps, pauses beyond the late-write window, lines stamped up to 100 ms early, long lines in pieces. */
function entries(seed: number, lines: number): ModelEntry[] {
  const rnd = random(seed);
  const queues: ModelEntry[][] = [[], []];
  const out: ModelEntry[] = [];
  let ns = BASE_NS;
  let n = 0;
  while (n < lines || queues[0]?.length || queues[1]?.length) {
    const r = rnd();
    ns += r < 0.3 ? 0n : r < 0.33 ? BigInt(300 + Math.floor(rnd() * 500)) * 1_000_000n : BigInt(1 + Math.floor(rnd() * 3_000_000));
    const s = rnd() < 0.6 ? 0 : 1;
    const queue = queues[s] as ModelEntry[];
    if (queue.length === 0) {
      if (n >= lines) continue;
      const long = rnd() < 0.03;
      const early = rnd() < 0.05 ? BigInt(Math.floor(rnd() * 100)) * 1_000_000n : 0n;
      queue.push(...lineEntries(s === 0 ? 'stdout' : 'stderr', ns - early, Buffer.from(`#${n} ${long ? 'L'.repeat(16_384 + Math.floor(rnd() * 30_000)) : 'x'.repeat(Math.floor(rnd() * 60))}`)));
      n += 1;
    }
    out.push(queue.shift() as ModelEntry);
  }
  return out;
}

/** The lines of these entries, as one read of them all makes them, each with its event_id ordinal. */
function linesOf(list: readonly ModelEntry[]): string[] {
  const lines: string[] = [];
  const ordinals = new LineOrdinals();
  const decoder = new JsonFileDecoder({ tty: false, maxLineBytes: 1 << 20, onLine: (l) => { lines.push(`${describeLine(l)} #${ordinals.next(l)}`); }, onBadEntry: (m) => assert.fail(m) });
  const file: LogFileIdentity = { dev: '0', ino: '0', firstEntryTime: '' };
  decoder.begin(file, 0, 0);
  const bytes = jsonFileBytes(list);
  decoder.decode(bytes, 0, bytes.length, file, 0, isUtf8(bytes));
  decoder.flush();
  return lines;
}

/** What the API route reads from a position: the daemon sends the entries stamped at or after `since`, we drop `skip` lines. */
function apiFrom(all: readonly ModelEntry[], position: Position): string[] {
  const sinceNs = BigInt(position.sinceMs) * 1_000_000n;
  return linesOf(all.filter((e) => e.ns >= sinceNs)).slice(position.skip);
}

class Collector extends EventEmitter implements LineConsumer {
  readonly lines: string[] = [];
  onAccept: (() => void) | undefined;
  accept(captured: CapturedLine): boolean {
    this.lines.push(`${describeLine(captured.line)} #${captured.ordinal}`);
    this.onAccept?.();
    return true;
  }
  containerGone(): void {}
}

describe('FileContainerStream', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`resumes both routes exactly from any line, across rotations (seed ${seed})`, async () => {
      const root = mkdtempSync(join(tmpdir(), 'file-stream-'));
      roots.push(root);
      mkdirSync(join(root, ID));
      const location = jsonLogLocation(root, ID);
      const all = entries(seed, 3_000);
      new ModelLogWriter(location.dir, location.baseName, { maxSize: 64 * 1024, maxFile: 1000 }).write(all);
      const expected = linesOf(all);
      const telemetry = new CaptureTelemetry(createMetricsRegistry({ defaultMetrics: false }), silentLogger());
      const rnd = random(seed * 31);
      const got: string[] = [];
      let position: Position = { ...BEGINNING };
      for (let segment = 0; got.length < expected.length; segment += 1) {
        assert.ok(segment < 1000, 'every read makes progress');
        // Every other read starts from the time part alone: a position the API route left.
        const start: Position = segment % 2 === 1 ? { sinceMs: position.sinceMs, skip: position.skip, ...(position.newestMs !== undefined ? { newestMs: position.newestMs } : {}) } : JSON.parse(JSON.stringify(position)) as Position;
        const consumer = new Collector();
        const stream = new FileContainerStream({ container: INFO, location, position: start, follow: false, consumer, telemetry, maxLineBytes: 1 << 20, onBackpressure: () => {} });
        const take = 1 + Math.floor(rnd() * 400);
        consumer.onAccept = () => {
          if (consumer.lines.length >= take) void stream.close();
        };
        await stream.open();
        const outcome = await stream.done;
        assert.ok(outcome.kind === 'closed' || outcome.kind === 'ended', JSON.stringify(outcome));
        got.push(...consumer.lines);
        assert.deepEqual(consumer.lines, expected.slice(got.length - consumer.lines.length, got.length), `segment ${segment} read the next lines`);
        position = stream.position();
        if (got.length > 0 && got.length < expected.length) {
          assert.ok(position.file !== undefined, 'a position after a line of the file route has its byte offset');
          // The API route taking over here reads exactly the rest.
          assert.deepEqual(apiFrom(all, position), expected.slice(got.length), `the API from ${JSON.stringify(position)} after ${got.length} lines`);
        }
      }
      assert.equal(got.length, expected.length);
    });
  }
});
