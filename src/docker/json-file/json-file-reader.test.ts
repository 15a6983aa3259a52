// JsonFileReader on files written the way moby writes them (test/support/json-file-writer.ts):
// rotation followed without loss (plain and gzipped), exact resumption after closing at any
// moment, the end of a read, damaged and truncated files, every way the route can become
// unavailable, backpressure, and nothing left behind by close(). The real daemon's files are
// read in test/docker/json-file-*.test.ts.
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { LogLine } from '../log-line.js';
import { jsonFileBytes, lineEntries, random } from '../../../test/support/json-file-model.js';
import type { ModelEntry } from '../../../test/support/json-file-model.js';
import { canDropToNobody, openAsNobody } from '../../../test/support/json-file-as-nobody.js';
import { ModelLogWriter } from '../../../test/support/json-file-writer.js';
import { sleep, waitForProgress } from '../../../test/support/wait-progress.js';
import { JsonFileDecoder } from './json-file-decoder.js';
import type { FilePosition, LogFileIdentity } from './file-position.js';
import { JsonFileReader } from './json-file-reader.js';
import type { JsonFileOutcome, JsonFileReaderOptions, JsonFileStart } from './json-file-reader.js';
import { jsonLogLocation } from './log-location.js';
import type { JsonLogLocation } from './log-location.js';

const ID = 'c0ffee'.padEnd(64, '0');
const BASE_NS = BigInt(Date.UTC(2026, 10, 29, 6, 0, 0)) * 1_000_000n;
const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function containersDir(): { root: string; location: JsonLogLocation } {
  const root = mkdtempSync(join(tmpdir(), 'json-file-reader-'));
  roots.push(root);
  mkdirSync(join(root, ID));
  return { root, location: jsonLogLocation(root, ID) };
}

const describeLine = (line: LogLine): string => `${line.timestamp} ${line.stream} ${line.chunks} ${line.truncated} ${line.message.toString('latin1')}`;

/** Numbered lines on both streams; now and then a long one whose 16 KiB pieces interleave with the other stream. */
class NumberedOutput {
  private n = 0;
  private ns = BASE_NS;
  private readonly queues: ModelEntry[][] = [[], []];
  /** Every entry ever produced, in file order: the oracle reads them all at once. */
  readonly all: ModelEntry[] = [];

  constructor(private readonly rnd: () => number, private readonly longLines = true) {}

  next(count: number): ModelEntry[] {
    const out: ModelEntry[] = [];
    for (let k = 0; k < count; k += 1) {
      this.ns += this.rnd() < 0.3 ? 0n : BigInt(1 + Math.floor(this.rnd() * 2_000_000));
      const s = this.rnd() < 0.6 ? 0 : 1;
      const queue = this.queues[s] as ModelEntry[];
      if (queue.length === 0) {
        const long = this.longLines && this.rnd() < 0.04;
        const text = `#${this.n} ${long ? 'L'.repeat(16_384 + Math.floor(this.rnd() * 40_000)) : 'x'.repeat(Math.floor(this.rnd() * 90))}`;
        this.n += 1;
        queue.push(...lineEntries(s === 0 ? 'stdout' : 'stderr', this.ns, Buffer.from(text)));
      }
      out.push(queue.shift() as ModelEntry);
    }
    this.all.push(...out);
    return out;
  }

  /** Completes the lines in progress. */
  drain(): ModelEntry[] {
    const out = [...(this.queues[0] as ModelEntry[]), ...(this.queues[1] as ModelEntry[])];
    this.queues[0] = [];
    this.queues[1] = [];
    this.all.push(...out);
    return out;
  }
}

/** The oracle fed as entries are produced: the lines complete so far, without decoding everything again. */
class IncrementalOracle {
  readonly lines: string[] = [];
  private readonly decoder = new JsonFileDecoder({ tty: false, maxLineBytes: 1 << 20, onLine: (l) => { this.lines.push(describeLine(l)); }, onBadEntry: (m) => assert.fail(m) });
  private readonly file: LogFileIdentity = { dev: '0', ino: '0', firstEntryTime: '' };
  private offset = 0;

  constructor() {
    this.decoder.begin(this.file, 0, 0);
  }

  add(entries: readonly ModelEntry[]): readonly ModelEntry[] {
    const bytes = jsonFileBytes(entries);
    this.decoder.decode(bytes, 0, bytes.length, this.file, this.offset, isUtf8(bytes));
    this.offset += bytes.length;
    return entries;
  }

  final(): string[] {
    this.decoder.flush();
    return this.lines;
  }
}

/**
 * The oracle: the lines of all these entries read in one go (the decoder is checked against the
 * API parser); `flush`: with the unfinished lines at the end, as a read that ends has them.
 */
function linesOf(entries: readonly ModelEntry[], flush = true): string[] {
  const lines: string[] = [];
  const decoder = new JsonFileDecoder({ tty: false, maxLineBytes: 1 << 20, onLine: (l) => { lines.push(describeLine(l)); }, onBadEntry: (m) => assert.fail(m) });
  const file: LogFileIdentity = { dev: '0', ino: '0', firstEntryTime: '' };
  decoder.begin(file, 0, 0);
  const bytes = jsonFileBytes(entries);
  decoder.decode(bytes, 0, bytes.length, file, 0, isUtf8(bytes));
  if (flush) decoder.flush();
  return lines;
}

interface Run {
  reader: JsonFileReader;
  lines: string[];
  positions: FilePosition[];
  warnings: string[];
}

function startReader(location: JsonLogLocation, start: JsonFileStart, extra: Partial<JsonFileReaderOptions> = {}): Run {
  const run: Run = { reader: undefined as unknown as JsonFileReader, lines: [], positions: [], warnings: [] };
  run.reader = new JsonFileReader({
    location,
    start,
    tty: false,
    maxLineBytes: 1 << 20,
    follow: true,
    onLine: (line, position) => {
      run.lines.push(describeLine(line));
      run.positions.push(position);
    },
    onWarning: (m) => run.warnings.push(m),
    maxPollMs: 200,
    ...extra,
  });
  return run;
}

/** Waits until the run has handed on `count` lines; fails at once if the read ended first. */
async function waitForLines(run: Run, count: number): Promise<void> {
  let ended: JsonFileOutcome | undefined;
  void run.reader.done.then((outcome) => {
    ended = outcome;
  });
  await waitForProgress(`${count} lines`, () => {
    if (run.lines.length >= count) return true;
    if (ended) throw new Error(`the read ended ${JSON.stringify(ended)} after ${run.lines.length} of ${count} lines`);
    return false;
  }, () => run.lines.length);
}

async function expectUnavailable(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: Error & { code?: string }) => {
    assert.equal(error.code, code, error.message);
    return true;
  });
}

describe('JsonFileReader: follow:false reads to the current end', () => {
  it('reads the rotated files oldest first, then the live one, and hands on a last partial line at the end', async () => {
    const { location } = containersDir();
    const writer = new ModelLogWriter(location.dir, location.baseName, { maxSize: 100_000, maxFile: 100 });
    const output = new NumberedOutput(random(1));
    writer.write(output.next(1000));
    writer.write(lineEntries('stderr', BASE_NS, Buffer.from('killed mid-line'), false));
    assert.ok(writer.rotations > 5);
    const run = startReader(location, { kind: 'beginning' }, { follow: false });
    await run.reader.open();
    const outcome = await run.reader.done;
    assert.deepEqual(outcome, { kind: 'ended' });
    const expected = linesOf(output.all.concat(lineEntries('stderr', BASE_NS, Buffer.from('killed mid-line'), false)));
    assert.deepEqual(run.lines, expected);
    assert.equal(run.reader.rotations, writer.rotations);
    assert.deepEqual(run.warnings, []);
  });

  it('starts at the end: only lines written afterwards', async () => {
    const { location } = containersDir();
    const writer = new ModelLogWriter(location.dir, location.baseName, { maxSize: 1 << 20, maxFile: 3 });
    writer.write(lineEntries('stdout', BASE_NS, Buffer.from('old')));
    writer.writeRaw(Buffer.from('{"log":"half-writ')); // an entry being written
    const run = startReader(location, { kind: 'end' });
    await run.reader.open();
    writer.writeRaw(Buffer.from('ten\\n","stream":"stdout","time":"2026-11-29T06:00:00Z"}\n'));
    writer.write(lineEntries('stdout', BASE_NS + 5n, Buffer.from('new')));
    await waitForProgress('the new lines', () => run.lines.length >= 2, () => run.lines.length);
    await run.reader.close();
    assert.deepEqual(run.lines.map((l) => l.split(' ').slice(4).join(' ')), ['half-written', 'new']);
    assert.equal(run.positions[1]?.firstEntryTime, '2026-11-29T06:00:00.000000000Z', 'the first entry\'s time is learnt at the start');
  });
});

describe('JsonFileReader: following rotation', () => {
  for (const compress of [false, true]) {
    it(`follows ${compress ? 'gzipped' : 'plain'} rotations while the file is written, losing and repeating nothing`, async () => {
      const { location } = containersDir();
      const writer = new ModelLogWriter(location.dir, location.baseName, { maxSize: 30_000, maxFile: 3, compress });
      const output = new NumberedOutput(random(compress ? 2 : 3), false);
      const oracle = new IncrementalOracle();
      const run = startReader(location, { kind: 'beginning' });
      await run.reader.open();
      // Bursts smaller than a file, each waited for: we never fall two files behind (then lines would be deleted unread).
      for (let burst = 0; burst < 60; burst += 1) {
        writer.write(oracle.add(output.next(150)));
        await waitForLines(run, oracle.lines.length);
      }
      writer.write(oracle.add(output.drain()));
      const expected = oracle.final();
      await waitForLines(run, expected.length);
      await run.reader.close();
      assert.ok(writer.rotations >= 20, `rotations: ${writer.rotations}`);
      assert.equal(run.reader.rotations, writer.rotations);
      // The model gzips at once: every file it held was found again by its gzip header.
      assert.equal(run.reader.rotationsFoundGzipped, compress ? writer.rotations : 0);
      assert.deepEqual(run.lines, expected);
      assert.deepEqual(run.warnings, []);
    });
  }

  it('closes at any moment and resumes at the position, across rotations that happened while it was closed', async () => {
    let reopenings = 0;
    let heldBack = 0;
    for (let seed = 1; seed <= 8; seed += 1) {
      const rnd = random(seed * 31);
      const { location } = containersDir();
      // Files of 100-600 KB: a few rotations per round, and (max-file 1000) none deleted.
      const writer = new ModelLogWriter(location.dir, location.baseName, { maxSize: 100_000 + Math.floor(rnd() * 500_000), maxFile: 1000 });
      const output = new NumberedOutput(rnd);
      const oracle = new IncrementalOracle();
      const handed: string[] = [];
      let position: FilePosition | undefined;
      for (let round = 0; round < 25; round += 1) {
        // While closed: more output (rotating now and then).
        writer.write(oracle.add(output.next(Math.floor(rnd() * 400))));
        const stopAfter = Math.floor(rnd() * 300);
        let inRound = 0;
        let closing: Promise<JsonFileOutcome> | undefined;
        const warnings: string[] = [];
        const reader: JsonFileReader = new JsonFileReader({
          location,
          start: position ? { kind: 'position', position } : { kind: 'beginning' },
          tty: false,
          maxLineBytes: 1 << 20,
          follow: true,
          onLine: (line) => {
            handed.push(describeLine(line));
            inRound += 1;
            // Closed from inside onLine, at a random line: the reader stops after it.
            if (inRound >= stopAfter) closing ??= reader.close();
          },
          onWarning: (m) => warnings.push(m),
          maxPollMs: 200,
        });
        await reader.open();
        writer.write(oracle.add(output.next(Math.floor(rnd() * 200))));
        // Until it closes itself, or has handed on every line complete so far.
        const complete = oracle.lines.length;
        await waitForProgress('the reader to stop or catch up', () => closing !== undefined || handed.length === complete, () => handed.length);
        assert.equal((await (closing ?? reader.close())).kind, 'closed');
        position = reader.position();
        if (position && position.skip > 0) heldBack += 1;
        reopenings += 1;
        assert.deepEqual(warnings, []);
      }
      writer.write(oracle.add(output.drain()));
      const last = startReader(location, position ? { kind: 'position', position } : { kind: 'beginning' }, { follow: false });
      await last.reader.open();
      assert.deepEqual(await last.reader.done, { kind: 'ended' });
      handed.push(...last.lines);
      assert.deepEqual(handed, oracle.final(), `seed ${seed}`);
    }
    assert.ok(reopenings >= 200 && heldBack > 0, `reopenings ${reopenings}, held back by a partial line ${heldBack}`);
  });

  it('resumes a position whose file was gzipped or deleted: unavailable, with the reason', async () => {
    for (const compress of [false, true]) {
      const { location } = containersDir();
      const writer = new ModelLogWriter(location.dir, location.baseName, { maxSize: 5_000, maxFile: 3, compress });
      const output = new NumberedOutput(random(5), false);
      writer.write(output.next(30)); // less than a file
      const run = startReader(location, { kind: 'beginning' }, { follow: false });
      await run.reader.open();
      assert.deepEqual(await run.reader.done, { kind: 'ended' });
      const position = run.reader.position() as FilePosition;
      writer.write(output.next(30)); // one rotation: plain -> `.1` (still there), gzip -> `.1.gz`
      assert.equal(writer.rotations, 1);
      const again = startReader(location, { kind: 'position', position }, { follow: false });
      if (compress) {
        await expectUnavailable(again.reader.open(), 'JSON_FILE_COMPRESSED');
        const outcome = await again.reader.done;
        assert.equal(outcome.kind === 'unavailable' && outcome.error.code, 'JSON_FILE_COMPRESSED');
        continue;
      }
      await again.reader.open();
      assert.deepEqual(await again.reader.done, { kind: 'ended' });
      assert.deepEqual(run.lines.concat(again.lines), linesOf(output.all));
      writer.write(output.next(400)); // the position's file is rotated out and deleted
      await expectUnavailable(startReader(location, { kind: 'position', position }).reader.open(), 'JSON_FILE_GONE');
    }
  });

  it('ends `unavailable` when it falls so far behind that the next file was deleted (GONE) or gzipped (COMPRESSED) unread', async () => {
    for (const [compress, entries, code] of [[false, 400, 'JSON_FILE_GONE'], [true, 90, 'JSON_FILE_COMPRESSED']] as const) {
      const { location } = containersDir();
      const writer = new ModelLogWriter(location.dir, location.baseName, { maxSize: 5_000, maxFile: 3, compress });
      const output = new NumberedOutput(random(6), false);
      const run = startReader(location, { kind: 'beginning' });
      await run.reader.open();
      // Rotations before the reader reads a byte: plain, the files after the first are deleted;
      // gzipped, the one after it is already compressed (two rotations are enough).
      writer.write(output.next(entries));
      assert.ok(writer.rotations >= 2, `rotations: ${writer.rotations}`);
      const outcome = await run.reader.done;
      assert.equal(outcome.kind === 'unavailable' && outcome.error.code, code, JSON.stringify(outcome));
      assert.ok(run.lines.length > 0, 'the file it held open was read to its end');
      assert.deepEqual(run.lines, linesOf(output.all).slice(0, run.lines.length));
    }
  });

  it('tells a reused inode from the file of the position by the first entry\'s time', async () => {
    const { location } = containersDir();
    const writer = new ModelLogWriter(location.dir, location.baseName, { maxSize: 1 << 20, maxFile: 3 });
    writer.write(lineEntries('stdout', BASE_NS, Buffer.from('first')));
    const st = statSync(location.path, { bigint: true });
    const stale: FilePosition = { dev: String(st.dev), ino: String(st.ino), firstEntryTime: '2020-01-01T00:00:00.000000000Z', offset: 10, skip: 0 };
    await expectUnavailable(startReader(location, { kind: 'position', position: stale }).reader.open(), 'JSON_FILE_GONE');
    // Beside gzipped rotated files the position's file was most likely gzipped (dockerd frees its
    // inode once the .gz is written, and the next live file may get it): COMPRESSED, not GONE.
    const zipped = containersDir().location;
    const zipper = new ModelLogWriter(zipped.dir, zipped.baseName, { maxSize: 5_000, maxFile: 3, compress: true });
    zipper.write(new NumberedOutput(random(7), false).next(90));
    assert.ok(zipper.rotations >= 1, `rotations: ${zipper.rotations}`);
    const live = statSync(zipped.path, { bigint: true });
    const gzipped: FilePosition = { dev: String(live.dev), ino: String(live.ino), firstEntryTime: '2020-01-01T00:00:00.000000000Z', offset: 10, skip: 0 };
    await expectUnavailable(startReader(zipped, { kind: 'position', position: gzipped }).reader.open(), 'JSON_FILE_COMPRESSED');
  });

  it('refuses the beginning when the oldest lines are only in .gz files, and a missing directory', async () => {
    const { root, location } = containersDir();
    const writer = new ModelLogWriter(location.dir, location.baseName, { maxSize: 3_000, maxFile: 3, compress: true });
    writer.write(new NumberedOutput(random(9), false).next(100));
    await expectUnavailable(startReader(location, { kind: 'beginning' }).reader.open(), 'JSON_FILE_COMPRESSED');
    await expectUnavailable(startReader(jsonLogLocation(root, 'd'.repeat(64)), { kind: 'beginning' }).reader.open(), 'JSON_FILE_NOT_FOUND');
  });
});

describe('JsonFileReader: the end of a read', () => {
  it('end() reads what is left and hands on the pending partial line; a partial line is held until then', async () => {
    const { location } = containersDir();
    const writer = new ModelLogWriter(location.dir, location.baseName, { maxSize: 1 << 20, maxFile: 3 });
    const run = startReader(location, { kind: 'beginning' });
    await run.reader.open();
    writer.write(lineEntries('stdout', BASE_NS, Buffer.from('complete')));
    writer.write(lineEntries('stderr', BASE_NS + 1n, Buffer.from('E'.repeat(20_000)), false));
    await waitForProgress('the complete line', () => run.lines.length === 1, () => run.lines.length);
    await waitForProgress('the partial line read and held', () => run.reader.pendingBytes > 0, () => run.reader.bytes);
    const held = run.reader.position() as FilePosition;
    assert.equal(held.offset, readFileSync(location.path).indexOf('\n') + 1, 'the position stays at the partial line\'s first piece');
    run.reader.end();
    assert.deepEqual(await run.reader.done, { kind: 'ended' });
    assert.equal(run.lines.length, 2);
    assert.match(run.lines[1] ?? '', /stderr 2 false E{20000}$/);
    assert.equal(run.reader.position()?.offset, statSync(location.path).size);
  });

  it('ends `removed` when the container directory goes away (docker rm), after reading everything', async () => {
    const { location } = containersDir();
    const writer = new ModelLogWriter(location.dir, location.baseName, { maxSize: 1 << 20, maxFile: 3 });
    writer.write(lineEntries('stdout', BASE_NS, Buffer.from('last words')));
    const run = startReader(location, { kind: 'beginning' });
    await run.reader.open();
    await waitForProgress('the line', () => run.lines.length === 1, () => run.lines.length);
    rmSync(location.dir, { recursive: true });
    assert.deepEqual(await run.reader.done, { kind: 'removed' });
  });

  it('skips damaged entries and says so; reads on after a file truncated in place', async () => {
    const { location } = containersDir();
    const writer = new ModelLogWriter(location.dir, location.baseName, { maxSize: 1 << 20, maxFile: 3 });
    writer.write(lineEntries('stdout', BASE_NS, Buffer.from('one')));
    writer.writeRaw(Buffer.from('not json\n'));
    writer.write(lineEntries('stdout', BASE_NS + 1n, Buffer.from('two')));
    const run = startReader(location, { kind: 'beginning' });
    await run.reader.open();
    await waitForProgress('two lines', () => run.lines.length === 2, () => run.lines.length);
    truncateSync(location.path, 0);
    writer.write(lineEntries('stdout', BASE_NS + 2n, Buffer.from('after truncation')));
    await waitForProgress('the line after the truncation', () => run.lines.length === 3, () => run.lines.length);
    await run.reader.close();
    assert.match(run.lines[2] ?? '', /after truncation$/);
    assert.equal(run.warnings.length, 2, run.warnings.join('\n'));
    assert.match(run.warnings[0] ?? '', /damaged entry at byte \d+/);
    assert.match(run.warnings[1] ?? '', /truncated in place/);
  });
});

describe('JsonFileReader: backpressure and resources', () => {
  it('pauses after the line whose onLine returned false, until resume()', async () => {
    const { location } = containersDir();
    const writer = new ModelLogWriter(location.dir, location.baseName, { maxSize: 1 << 20, maxFile: 3 });
    const output = new NumberedOutput(random(4), false);
    writer.write(output.next(1000));
    const lines: string[] = [];
    const reader = new JsonFileReader({ location, start: { kind: 'beginning' }, tty: false, maxLineBytes: 1000, follow: true, onLine: (l) => lines.push(describeLine(l)) !== 10 });
    await reader.open();
    await waitForProgress('ten lines', () => lines.length >= 10, () => lines.length);
    writer.write(output.next(100));
    await sleep(300); // absence of progress is what is checked: a slow machine cannot make this fail
    assert.equal(lines.length, 10);
    assert.ok(reader.isPaused);
    reader.resume();
    const expected = linesOf(output.all);
    await waitForProgress('the rest', () => lines.length >= expected.length, () => lines.length);
    await reader.close();
    assert.deepEqual(lines, expected);
  });

  it('pause() from onLine (the file route\'s backpressure) stops after that line and reads no further: at most one read is held', async () => {
    const { location } = containersDir();
    const writer = new ModelLogWriter(location.dir, location.baseName, { maxSize: 64 << 20, maxFile: 3 });
    const output = new NumberedOutput(random(7), false);
    writer.write(output.next(20_000)); // ≈ 2 MB: over a hundred reads of 16 KiB
    const readBytes = 16 * 1024;
    const lines: string[] = [];
    const reader: JsonFileReader = new JsonFileReader({
      location, start: { kind: 'beginning' }, tty: false, maxLineBytes: 1000, follow: true, readBytes,
      onLine: (l) => {
        if (lines.push(describeLine(l)) === 50) reader.pause();
      },
    });
    await reader.open();
    await waitForProgress('fifty lines', () => lines.length >= 50, () => lines.length);
    await sleep(300); // absence of progress is what is checked: a slow machine cannot make this fail
    assert.equal(lines.length, 50);
    assert.ok(reader.isPaused);
    assert.ok(reader.bytes <= readBytes, `read ${reader.bytes} bytes while paused after the first read of ${readBytes}`);
    assert.ok(reader.pendingBytes <= readBytes, `holds ${reader.pendingBytes} bytes`);
    reader.resume();
    const expected = linesOf(output.all);
    await waitForProgress('the rest', () => lines.length >= expected.length, () => lines.length);
    await reader.close();
    assert.deepEqual(lines, expected);
  });

  it('close() releases every fd, watcher and timer of 40 following readers', async () => {
    const count = (): { handles: number; fds: number; files: number } => {
      const fds = readdirSync('/proc/self/fd');
      let files = 0;
      for (const fd of fds) {
        try {
          if (readlinkSync(`/proc/self/fd/${fd}`).includes('json-file-reader-')) files += 1;
        } catch {
          // closed meanwhile
        }
      }
      return { handles: process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length, fds: fds.length, files };
    };
    const runs: Run[] = [];
    const before = count();
    for (let i = 0; i < 40; i += 1) {
      const { location } = containersDir();
      new ModelLogWriter(location.dir, location.baseName, { maxSize: 1 << 20, maxFile: 3 }).write(lineEntries('stdout', BASE_NS, Buffer.from(`reader ${i}`)));
      const run = startReader(location, { kind: 'beginning' });
      await run.reader.open();
      runs.push(run);
    }
    await waitForProgress('every reader at its end, waiting', () => runs.every((r) => r.lines.length === 1), () => runs.reduce((n, r) => n + r.lines.length, 0));
    const during = count();
    assert.ok(during.files >= 40, `40 log files open while following: ${JSON.stringify(during)}`);
    assert.ok(during.handles >= before.handles + 40, `a watcher (and a timer) per reader: ${JSON.stringify({ before, during })}`);
    const outcomes = await Promise.all(runs.map((r) => r.reader.close()));
    assert.ok(outcomes.every((o) => o.kind === 'closed'));
    // And readers closed from inside onLine, in the middle of a read and of a burst of lines.
    const inside: Promise<JsonFileOutcome>[] = [];
    for (let i = 0; i < 20; i += 1) {
      const { location } = containersDir();
      new ModelLogWriter(location.dir, location.baseName, { maxSize: 1 << 20, maxFile: 3 }).write(new NumberedOutput(random(i), false).next(500));
      const reader: JsonFileReader = new JsonFileReader({
        location, start: { kind: 'beginning' }, tty: false, maxLineBytes: 1000, follow: true,
        onLine: () => {
          if (reader.lines === 1 + i * 20) inside.push(reader.close());
        },
      });
      await reader.open();
    }
    await waitForProgress('readers closed from onLine', () => inside.length === 20, () => inside.length);
    assert.ok((await Promise.all(inside)).every((o) => o.kind === 'closed'));
    const afterClose = count();
    assert.equal(afterClose.files, 0, 'no log file left open');
    assert.ok(afterClose.fds <= before.fds, `fds ${before.fds} -> ${afterClose.fds}`);
    assert.ok(afterClose.handles <= before.handles, `handles ${JSON.stringify(before)} -> ${JSON.stringify(afterClose)}: ${process.getActiveResourcesInfo().join(',')}`);
  });
});

describe('JsonFileReader: a log we may not read', () => {
  it('says JSON_FILE_UNREADABLE for a file of mode 000 and for a directory it cannot enter', (t) => {
    if (!canDropToNobody(t)) return;
    const { root, location } = containersDir();
    new ModelLogWriter(location.dir, location.baseName, { maxSize: 1 << 20, maxFile: 3 }).write(lineEntries('stdout', BASE_NS, Buffer.from('secret')));
    chmodSync(root, 0o755);
    chmodSync(location.dir, 0o755);
    chmodSync(location.path, 0o000);
    const file = openAsNobody(location);
    assert.equal(file.code, 'JSON_FILE_UNREADABLE', JSON.stringify(file));
    assert.match(file.message ?? '', /permission denied \(EACCES\).*falling back to the API/);
    chmodSync(location.path, 0o640);
    chmodSync(location.dir, 0o700); // as dockerd makes them: root only
    const dir = openAsNobody(location);
    assert.equal(dir.code, 'JSON_FILE_UNREADABLE', JSON.stringify(dir));
    writeFileSync(join(root, 'marker'), ''); // the tree is still ours to remove
  });
});
