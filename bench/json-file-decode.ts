// node --import tsx bench/json-file-decode.ts [--lines N] [--line-bytes N] [--runs N] [--file PATH] [--tty] [--follow N]
//
// The file route's own cost per line, without a receiver: a json-file of N lines of about
// line-bytes bytes (written the way dockerd writes them, 1,000,000 x 100 by default; or a real
// container's file with --file) is
//   decode   decoded from memory by JsonFileDecoder (reads of 128 KiB, as the reader makes them)
//   reader   read from disk (page cache) by JsonFileReader with follow off, each line counted
// and with --follow N (needs the daemon at DOCKER_HOST, and its files on this machine):
//   follow   a container writes `seq 1 N` while JsonFileReader follows its file live
// Prints lines/s, ns/line (wall), CPU ns/line (this process, all threads) and the load average;
// the best of --runs runs.
import { isUtf8 } from 'node:buffer';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { JsonFileDecoder } from '../src/docker/json-file/json-file-decoder.js';
import type { LogFileIdentity } from '../src/docker/json-file/file-position.js';
import { JsonFileReader } from '../src/docker/json-file/json-file-reader.js';
import { jsonLogLocation, locationOfPath } from '../src/docker/json-file/log-location.js';
import { TEST_IMAGE, TEST_LABEL, testDocker } from '../test/support/docker.js';
import { jsonFileLine } from '../test/support/json-file-model.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    'line-bytes': { type: 'string', default: '100' },
    runs: { type: 'string', default: '3' },
    file: { type: 'string' },
    tty: { type: 'boolean', default: false },
    follow: { type: 'string' },
  },
});

const lineCount = Number(values.lines);
const lineBytes = Number(values['line-bytes']);
const runs = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), 'json-file-bench-'));
const baseName = `${'f'.repeat(64)}-json.log`;
let path = values.file ?? join(dir, baseName);

if (!values.file) {
  // Lines like an application's: a counter, some words, padding to the size asked for.
  const startNs = BigInt(Date.UTC(2026, 10, 29, 8, 0, 0)) * 1_000_000n;
  const parts: string[] = [];
  for (let i = 0; i < lineCount; i += 1) {
    const head = `2026-11-29 08:00:00 INFO worker-${i % 16} handled request ${i} in ${i % 97} ms status=200 `;
    const text = head.length >= lineBytes ? head.slice(0, lineBytes) : head + 'x'.repeat(lineBytes - head.length);
    parts.push(jsonFileLine({ stream: i % 10 === 0 ? 'stderr' : 'stdout', ns: startNs + BigInt(i) * 1_731n, bytes: Buffer.from(`${text}\n`) }));
  }
  path = join(dir, baseName);
  writeFileSync(path, parts.join(''));
}

const data = readFileSync(path);
let entries = 0;
for (let at = data.indexOf(0x0a); at >= 0; at = data.indexOf(0x0a, at + 1)) entries += 1;
console.log(`file: ${path} (${(data.length / 1024 / 1024).toFixed(1)} MiB, ${entries} entries), node ${process.version}`);

interface Measure {
  lines: number;
  wallMs: number;
  cpuMs: number;
}

function decodeFromMemory(): Measure {
  let lines = 0;
  const decoder = new JsonFileDecoder({ tty: values.tty, maxLineBytes: 1 << 20, onLine: () => { lines += 1; }, onBadEntry: (m) => { throw new Error(m); } });
  const file: LogFileIdentity = { dev: '1', ino: '1', firstEntryTime: '' };
  decoder.begin(file, 0, 0);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let carry = Buffer.alloc(0);
  let offset = 0;
  for (let at = 0; at < data.length; at += 128 * 1024) {
    // A fresh buffer per read, as the reader allocates (lines are views of it).
    const chunk = data.subarray(at, Math.min(data.length, at + 128 * 1024));
    const buf = Buffer.allocUnsafe(carry.length + chunk.length);
    carry.copy(buf, 0);
    chunk.copy(buf, carry.length);
    const lastLf = buf.lastIndexOf(0x0a);
    const used = lastLf < 0 ? 0 : decoder.decode(buf, 0, lastLf + 1, file, offset, isUtf8(buf.subarray(0, lastLf + 1)));
    offset += used;
    carry = buf.subarray(used);
  }
  decoder.flush();
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { lines, wallMs, cpuMs: (used.user + used.system) / 1000 };
}

async function readFromDisk(): Promise<Measure> {
  let lines = 0;
  let bytes = 0;
  const reader = new JsonFileReader({
    location: locationOfPath(path),
    start: { kind: 'beginning' },
    tty: values.tty,
    maxLineBytes: 1 << 20,
    follow: false,
    onLine: (line) => {
      lines += 1;
      bytes += line.message.length;
    },
  });
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await reader.open();
  const outcome = await reader.done;
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  if (outcome.kind !== 'ended') throw new Error(`reader ended ${JSON.stringify(outcome)}`);
  if (bytes === 0) throw new Error('no bytes');
  return { lines, wallMs, cpuMs: (used.user + used.system) / 1000 };
}

/** A container writes `seq 1 count` while the reader follows its file. */
async function followLive(count: number): Promise<Measure> {
  const docker = testDocker();
  const container = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ['sh', '-c', `sleep 1; seq 1 ${count}`], Labels: { [TEST_LABEL]: 'true' }, HostConfig: { NetworkMode: 'none' } });
  try {
    await container.start();
    const info = await container.inspect();
    let lines = 0;
    const reader = new JsonFileReader({
      location: jsonLogLocation(dirname(dirname(info.LogPath)), info.Id, info.LogPath),
      start: { kind: 'beginning' },
      tty: false,
      maxLineBytes: 1 << 20,
      follow: true,
      onLine: () => {
        lines += 1;
      },
    });
    await reader.open();
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    while (lines < count) {
      const outcome = await Promise.race([reader.done, new Promise((resolve) => setTimeout(resolve, 20))]);
      if (outcome !== undefined) throw new Error(`follow ended early: ${JSON.stringify(outcome)}`);
    }
    const wallMs = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    await reader.close();
    return { lines, wallMs, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    await container.remove({ force: true });
  }
}

function report(name: string, all: Measure[]): void {
  const best = all.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
  console.log(
    `${name.padEnd(7)} ${best.lines} lines  ${Math.round(best.lines / (best.wallMs / 1000)).toLocaleString('en')} lines/s  ` +
    `${Math.round((best.wallMs * 1e6) / best.lines)} ns/line wall  ${Math.round((best.cpuMs * 1e6) / best.lines)} ns/line CPU  ` +
    `(runs: ${all.map((m) => Math.round(m.wallMs)).join(', ')} ms)`,
  );
}

const decodeRuns: Measure[] = [];
const readerRuns: Measure[] = [];
for (let run = 0; run < runs; run += 1) {
  decodeRuns.push(decodeFromMemory());
  readerRuns.push(await readFromDisk());
}
report('decode', decodeRuns);
report('reader', readerRuns);
if (values.follow !== undefined) report('follow', [await followLive(Number(values.follow))]);
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${(await import('node:os')).availableParallelism()} CPUs)`);
rmSync(dir, { recursive: true, force: true });
