// node --import tsx bench/ship-path.ts [--lines 1000000] [--runs 5] [--json]
// The ship side alone, in this process: DeliveryPipeline.accept() for every line (encode, queue,
// account), batching, the sink call and the acknowledgements, with a sink that takes every batch
// at once and keeps nothing. Lines are made as the frame parser makes them: the message a view
// into a larger chunk, the timestamp a 30-character string; the CPU of making them (measured
// alone, same loop) is taken out. CPU is process.cpuUsage() over the whole run (main thread,
// libuv's pool), far less sensitive to a loaded machine than a rate; each run is repeated and
// the median and spread are reported.
import { parseArgs } from 'node:util';
import type { CapturedLine } from '../src/capture/captured-line.js';
import type { ContainerInfo } from '../src/docker/container-info.js';
import type { SendOutcome, Sink } from '../src/ship/sinks/sink.js';
import { startShipper, testConfig } from '../test/ship/ship-fixtures.js';
import { round } from './scenario.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});

/** Takes every batch at once; counts what it was given. */
class NullSink implements Sink {
  readonly kind = 'vector' as const;
  readonly displayUrl = 'null';
  bytes = 0;
  events = 0;
  send(body: Buffer, eventCount: number): Promise<SendOutcome> {
    this.bytes += body.length;
    this.events += eventCount;
    return Promise.resolve({ kind: 'delivered' });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  destroy(): Promise<void> {
    return Promise.resolve();
  }
}

/** The throughput scenario's container. */
const container: ContainerInfo = {
  id: 'f3a0c1d2e5b64798a0b1c2d3e4f5061728394a5b6c7d8e9f0a1b2c3d4e5f6071', name: 'lct-bench-throughput-0a1b2c-throughput',
  image: 'log-capturer-test/busybox:latest', labels: { 'lct.bench': 'throughput-0a1b2c' }, createdAt: '2026-11-28T01:40:00.123456789Z',
  tty: false, logDriver: 'json-file', running: true, logOptions: {},
};

const LINES_PER_CHUNK = 100;
const TIMESTAMP_CHARS = 30;

/**
 * Chunks as dockerd's log stream carries them: `TIMESTAMP SPACE %09d xxxx…\n` (100-byte
 * messages). Made once, before the measurement; Buffers are outside V8's heap, so keeping a
 * million lines' bytes costs the garbage collector nothing.
 */
function chunksOf(count: number): Buffer[] {
  const chunks: Buffer[] = [];
  const pad = 'x'.repeat(90);
  for (let first = 0; first < count; first += LINES_PER_CHUNK) {
    let text = '';
    for (let n = first; n < Math.min(count, first + LINES_PER_CHUNK); n += 1) {
      text += `2026-11-28T01:${String(40 + Math.floor(n / 6e7)).padStart(2, '0')}:${String(Math.floor(n / 1e6) % 60).padStart(2, '0')}.${String(n % 1e6).padStart(6, '0')}123Z ${String(n + 1).padStart(9, '0')} ${pad}\n`;
    }
    chunks.push(Buffer.from(text, 'latin1'));
  }
  return chunks;
}

/**
 * Hands every line to `accept`, made as the frame parser makes it (the message a view into the
 * chunk, the timestamp a latin1 string), one chunk at a time with a turn of the event loop between.
 */
async function feed(chunks: Buffer[], accept: (line: CapturedLine) => void, resumed: () => Promise<void>): Promise<number> {
  let n = 0;
  for (const chunk of chunks) {
    let at = 0;
    while (at < chunk.length) {
      const end = chunk.indexOf(0x0a, at);
      accept({
        container,
        line: { timestamp: chunk.toString('latin1', at, at + TIMESTAMP_CHARS), stream: 'stdout', message: chunk.subarray(at + TIMESTAMP_CHARS + 1, end), truncated: false, chunks: 1 },
        position: { sinceMs: 1795916600000 + Math.floor(n / 1000), skip: 1 + (n % 1000) },
        ordinal: 0,
      });
      n += 1;
      at = end + 1;
    }
    await new Promise((resolve) => setImmediate(resolve));
    await resumed();
  }
  return n;
}

/** The cost of feed() itself (making the line objects), which run() subtracts. */
async function feedOnly(chunks: Buffer[]): Promise<number> {
  let kept: CapturedLine | undefined;
  const cpuBefore = process.cpuUsage();
  await feed(chunks, (line) => {
    kept = line;
  }, () => Promise.resolve());
  const cpu = process.cpuUsage(cpuBefore);
  if (kept === undefined) throw new Error('no lines');
  return cpu.user + cpu.system;
}

async function run(chunks: Buffer[], count: number): Promise<{ cpuUs: number; wallMs: number; bytes: number; pauses: number }> {
  const sink = new NullSink();
  // The capturer's defaults: batches of 1000 events / 1 MiB, 1 s linger, 64 MiB buffer.
  const shipper = await startShipper(
    (dir) => testConfig(dir, { sink: { batch: { maxEvents: 1000, maxBytes: 1024 * 1024, lingerMs: 1000 } }, buffer: { maxBytes: 64 * 1024 * 1024, resumeBytes: 32 * 1024 * 1024 } }),
    undefined,
    sink,
  );
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await feed(chunks, (line) => shipper.flow.accept(line), () => shipper.flow.whenResumed());
  await shipper.close(); // flushes the rest
  const cpu = process.cpuUsage(cpuBefore);
  if (sink.events !== count) throw new Error(`the sink got ${sink.events} of ${count} lines`);
  return { cpuUs: cpu.user + cpu.system, wallMs: performance.now() - started, bytes: sink.bytes, pauses: shipper.flow.pauses };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const count = Number(values.lines);
const chunks = chunksOf(count);
await run(chunksOf(Math.min(count, 100_000)), Math.min(count, 100_000)); // warm up the JIT
const perLine: number[] = [];
const feedPerLine: number[] = [];
let bytes = 0;
for (let r = 0; r < Number(values.runs); r += 1) {
  const feedUs = await feedOnly(chunks);
  const result = await run(chunks, count);
  perLine.push((result.cpuUs - feedUs) / count);
  feedPerLine.push(feedUs / count);
  bytes = result.bytes;
  if (!values.json) console.error(`ship-path: run ${r + 1}: ${round((result.cpuUs - feedUs) / count, 3)} µs/line CPU (feed ${round(feedUs / count, 3)} µs/line taken out), ${round(result.wallMs / 1000, 2)} s wall, ${result.pauses} pauses`);
}
const summary = {
  scenario: 'ship-path',
  lines: count,
  runs: perLine.length,
  cpu_us_per_line_median: round(median(perLine), 3),
  cpu_us_per_line_min: round(Math.min(...perLine), 3),
  cpu_us_per_line_max: round(Math.max(...perLine), 3),
  feed_cpu_us_per_line_median: round(median(feedPerLine), 3),
  record_bytes: round(bytes / count, 1),
};
console.log(values.json ? JSON.stringify(summary) : Object.entries(summary).map(([key, value]) => `${key}=${String(value)}`).join(' '));
