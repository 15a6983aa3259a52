// node --import tsx bench/compression-stall.ts [--batch-bytes 1MiB] [--batches 50] [--json]
// How long compressing a batch holds the event loop: the delay of a 1 ms timer loop
// (perf_hooks.monitorEventLoopDelay) while batches of NDJSON records are compressed one after the
// other, for zstd on the main thread (zstd-napi's synchronous compress, as before), zstd in the
// sink's worker thread, and node:zlib's async gzip. Also the compression CPU per batch and line
// (process CPU: the worker thread's and libuv's pool's included; the timer loop's own, measured
// without compression, is taken out).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { compress as zstdSync } from 'zstd-napi';
import { ZstdCompressor } from '../src/ship/sinks/zstd-compressor.js';
import { seededRandom } from '../test/support/seeded-random.js';
import { round } from './scenario.js';
import { parseSize } from './size.js';

const gzipAsync = promisify(gzip);

const { values } = parseArgs({
  options: {
    'batch-bytes': { type: 'string', default: '1MiB' },
    batches: { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
  },
});

const WORDS = ['GET', 'POST', '/api/v1/orders', '/healthz', 'user', 'session', 'timeout', 'retry', 'connected', 'INFO', 'WARN', 'ERROR',
  'cache', 'miss', 'hit', 'db', 'query', 'took', 'ms', 'status', 'upstream', 'worker', 'job', 'queued', 'done', 'failed', 'id', 'bytes'];

/**
 * Records as the capturer writes them, with messages like an application's (words, numbers, hex
 * ids: zstd gets them to ~1/5, not the ~1/150 of the throughput scenario's `xxxx` lines, which
 * would make every compressor look instant).
 */
function batch(bytes: number, first: number, next: () => number): { body: Buffer; lines: number } {
  const records: string[] = [];
  let size = 0;
  for (let n = first; size < bytes; n += 1) {
    const words: string[] = [];
    for (let w = 0; w < 12; w += 1) {
      const pick = Math.floor(next() * (WORDS.length + 3));
      if (pick < WORDS.length) words.push(WORDS[pick] as string);
      else if (pick === WORDS.length) words.push(String(Math.floor(next() * 100_000)));
      else words.push(Math.floor(next() * 0xffffffff).toString(16).padStart(8, '0'));
    }
    const record = `{"timestamp":"2026-11-28T01:43:21.${String(n % 1e9).padStart(9, '0')}Z","message":"${words.join(' ')}","stream":"stdout","container_id":"${'c'.repeat(64)}","container_name":"lct-bench-throughput","container_created_at":"2026-11-28T01:40:00.000000000Z","image":"log-capturer-test/busybox:latest","label":{"lct.bench":"throughput-abcdef"},"host":"bench-host","source_type":"log_capturer"}\n`;
    records.push(record);
    size += Buffer.byteLength(record);
  }
  return { body: Buffer.from(records.join('')), lines: records.length };
}

/** Between two batches. */
const PAUSE_MS = 5;
/** CPU of a run without compression (timer loop, pauses), subtracted from the others. */
let idleCpuMs = 0;

interface Row {
  method: string;
  batches: number;
  batch_mib: number;
  lines: number;
  ratio: number;
  /** Median and longest time the call itself ran on the main thread (the rest is elsewhere). */
  blocked_median_ms: number;
  blocked_max_ms: number;
  loop_delay_max_ms: number;
  loop_delay_p99_ms: number;
  loop_delay_mean_ms: number;
  cpu_ms_per_batch: number;
  cpu_us_per_line: number;
  wall_ms_per_batch: number;
}

async function measure(method: string, compress: (body: Buffer) => Buffer | Promise<Buffer>, bodies: Array<{ body: Buffer; lines: number }>): Promise<Row> {
  await compress(bodies[0]?.body ?? Buffer.alloc(1)); // warm up (worker start, first allocation)
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  // Something for the loop to do meanwhile, as Docker streams and timers would.
  const ticker = setInterval(() => undefined, 1);
  histogram.enable();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let inBytes = 0;
  let outBytes = 0;
  let lines = 0;
  const blocked: number[] = [];
  for (const { body, lines: count } of bodies) {
    // The synchronous part of the call: how long this batch holds the event loop itself.
    const called = performance.now();
    const pending = compress(body);
    blocked.push(performance.now() - called);
    const out = await pending;
    inBytes += body.length;
    outBytes += out.length;
    lines += count;
    // The pipeline does other work between batches; this also makes every method's window long
    // enough for the histogram (and the same length for 'none', the machine's own noise).
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  histogram.disable();
  clearInterval(ticker);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (method.startsWith('none')) idleCpuMs = cpuMs; // the loop and the pauses alone: taken out of the others
  return {
    method,
    batches: bodies.length,
    batch_mib: round(inBytes / bodies.length / 1024 / 1024, 2),
    lines,
    ratio: round(outBytes / inBytes, 3),
    blocked_median_ms: round(median(blocked), 2),
    blocked_max_ms: round(Math.max(...blocked), 2),
    loop_delay_max_ms: round(histogram.max / 1e6, 1),
    loop_delay_p99_ms: round(histogram.percentile(99) / 1e6, 1),
    loop_delay_mean_ms: round(histogram.mean / 1e6, 2),
    cpu_ms_per_batch: round((cpuMs - idleCpuMs) / bodies.length, 2),
    cpu_us_per_line: round(((cpuMs - idleCpuMs) * 1000) / lines, 3),
    wall_ms_per_batch: round(wallMs / bodies.length - PAUSE_MS, 2),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const batchBytes = parseSize(values['batch-bytes'] ?? '1MiB');
const count = Number(values.batches);
const next = seededRandom(7);
const bodies = Array.from({ length: count }, (_, i) => batch(batchBytes, i * 100_000, next));
const worker = new ZstdCompressor();
const rows: Row[] = [];
try {
  rows.push(await measure('none (loop alone)', (body) => body, bodies));
  rows.push(await measure('zstd, main thread (before)', (body) => zstdSync(body), bodies));
  rows.push(await measure('zstd, worker thread (now)', (body) => worker.compress(body), bodies));
  rows.push(await measure('gzip, libuv pool', (body) => gzipAsync(body), bodies));
} finally {
  await worker.close();
}
for (const row of rows) {
  if (values.json) console.log(JSON.stringify({ scenario: 'compression-stall', ...row }));
  else console.log(Object.entries(row).map(([key, value]) => `${key}=${String(value)}`).join(' '));
}
