// The file route's decoder against the API route's parser, on the same modelled container output:
// json-file bytes -> JsonFileDecoder must give exactly the LogLines that the API's bytes ->
// LogFrameParser give (test/support/json-file-model.ts renders both from one list of entries).
// Then the hand-picked cases: escapes, times, damaged entries.
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { describe, it } from 'node:test';
import { LogFrameParser } from '../log-frame-parser.js';
import type { LogLine } from '../log-line.js';
import { apiBytes, jsonFileBytes, lineEntries, random } from '../../../test/support/json-file-model.js';
import type { ModelEntry } from '../../../test/support/json-file-model.js';
import { JsonFileDecoder } from './json-file-decoder.js';
import type { FilePosition, LogFileIdentity } from './file-position.js';

const BASE_NS = BigInt(Date.UTC(2026, 10, 28, 5, 0, 0)) * 1_000_000n;

interface SeenLine {
  timestamp: string;
  stream: string;
  message: string;
  truncated: boolean;
  chunks: number;
}

const seen = (line: LogLine): SeenLine => ({ timestamp: line.timestamp, stream: line.stream, message: line.message.toString('hex'), truncated: line.truncated, chunks: line.chunks });

/** What the API route makes of these entries. */
function throughApi(entries: readonly ModelEntry[], tty: boolean, maxLineBytes: number): SeenLine[] {
  const lines: SeenLine[] = [];
  const parser = new LogFrameParser({ tty, maxLineBytes, onLine: (l) => lines.push(seen(l)), onDaemonError: (m) => assert.fail(`API parser: ${m}`) });
  parser.push(apiBytes(entries, tty));
  parser.end();
  return lines;
}

/**
 * Feeds file bytes to a decoder as the reader does: reads of random sizes, the unfinished tail
 * of each read carried into the next, raw UTF-8 checked per read.
 */
function feed(decoder: JsonFileDecoder, file: LogFileIdentity, bytes: Buffer, rnd: () => number, from = 0, stopAt = bytes.length): number {
  let carry = Buffer.alloc(0);
  let carryOffset = from;
  let at = from;
  while (at < stopAt) {
    const size = 1 + Math.floor(rnd() * (rnd() < 0.2 ? 100 : 70_000));
    const end = Math.min(stopAt, at + size);
    const buf = Buffer.concat([carry, bytes.subarray(at, end)]);
    at = end;
    const lastLf = buf.lastIndexOf(0x0a);
    const used = decoder.decode(buf, 0, buf.length, file, carryOffset, lastLf < 0 || isUtf8(buf.subarray(0, lastLf + 1)));
    carry = buf.subarray(used);
    carryOffset += used;
  }
  return carryOffset;
}

function throughFile(entries: readonly ModelEntry[], tty: boolean, maxLineBytes: number, rnd: () => number): SeenLine[] {
  const lines: SeenLine[] = [];
  const decoder = new JsonFileDecoder({ tty, maxLineBytes, onLine: (l) => { lines.push(seen(l)); }, onBadEntry: (m) => assert.fail(`decoder: ${m}`) });
  const file: LogFileIdentity = { dev: '1', ino: '2', firstEntryTime: '' };
  decoder.begin(file, 0, 0);
  feed(decoder, file, jsonFileBytes(entries), rnd);
  decoder.flush();
  return lines;
}

/** Message bytes of every awkward kind. */
function randomText(rnd: () => number, tty: boolean): Buffer {
  const roll = rnd();
  const length = roll < 0.7 ? Math.floor(rnd() * 120) : roll < 0.9 ? Math.floor(rnd() * 20_000) : Math.floor(rnd() * 60_000);
  const kind = rnd();
  if (kind < 0.4) return Buffer.from(Array.from({ length }, () => 0x20 + Math.floor(rnd() * 95)));
  if (kind < 0.55) return Buffer.from('é€😀 "quoted" \\ back <tag> & \u2028 ok '.repeat(Math.ceil(length / 40) + 1)).subarray(0, tty ? 0 : length);
  if (kind < 0.65) return Buffer.from(`${'x'.repeat(Math.floor(length / 2))}\r`); // a `\r\n` ending
  if (tty) return Buffer.from('a\tb\u0001c'.repeat(Math.ceil(length / 6) + 1)).subarray(0, length);
  // Binary: any byte but `\n` (invalid UTF-8, NUL, control characters).
  return Buffer.from(Array.from({ length }, () => {
    const b = Math.floor(rnd() * 256);
    return b === 0x0a ? 0x0b : b;
  }));
}

/**
 * A container's output as json-file entries: lines of random sizes on both streams, long lines
 * cut into 16 KiB pieces that interleave with the other stream's, shared timestamps, attrs on
 * some entries, and (sometimes) an unfinished last piece per stream, as a killed container leaves.
 */
function modelOutput(rnd: () => number, count: number, tty: boolean): ModelEntry[] {
  const entries: ModelEntry[] = [];
  const queues: ModelEntry[][] = [[], []];
  let ns = BASE_NS;
  const withAttrs = rnd() < 0.2;
  for (let n = 0; n < count; n += 1) {
    ns += rnd() < 0.3 ? 0n : BigInt(Math.floor(rnd() * 3_000_000)) * (rnd() < 0.1 ? 10n : 1n);
    const s = tty ? 0 : rnd() < 0.5 ? 0 : 1;
    const queue = queues[s] as ModelEntry[];
    if (queue.length === 0) queue.push(...lineEntries(s === 0 ? 'stdout' : 'stderr', ns, randomText(rnd, tty)));
    const entry = queue.shift() as ModelEntry;
    entries.push(withAttrs ? { ...entry, attrs: '{"app":"a\\"b","n":[1,{"x":"}"}]}' } : entry);
  }
  for (const s of [0, 1]) {
    const queue = queues[s] as ModelEntry[];
    // Finish the line in progress, or (a killed container) leave its last piece unended.
    if (queue.length > 0 && (tty || rnd() < 0.5)) entries.push(...queue);
    else if (queue.length > 0) entries.push(...queue.slice(0, -1), ...lineEntries(queue[0]?.stream ?? 'stdout', ns, Buffer.from('cut'), false));
  }
  return entries;
}

describe('JsonFileDecoder: the same LogLines as the API route', () => {
  it('matches LogFrameParser on 100 modelled containers (multiplexed and TTY)', () => {
    let lines = 0;
    let merged = 0;
    let truncated = 0;
    for (let seed = 1; seed <= 100; seed += 1) {
      const rnd = random(seed);
      const tty = seed % 4 === 0;
      const maxLineBytes = rnd() < 0.3 ? 1 + Math.floor(rnd() * 40_000) : 1 << 20;
      const entries = modelOutput(rnd, 20 + Math.floor(rnd() * 60), tty);
      const expected = throughApi(entries, tty, maxLineBytes);
      const actual = throughFile(entries, tty, maxLineBytes, rnd);
      assert.deepEqual(actual, expected, `seed ${seed} (tty ${tty}, max ${maxLineBytes})`);
      lines += expected.length;
      merged += expected.filter((l) => l.chunks > 1).length;
      truncated += expected.filter((l) => l.truncated).length;
    }
    // The model really produced the hard cases.
    assert.ok(lines > 2_500 && merged > 120 && truncated > 25, `lines ${lines}, merged ${merged}, truncated ${truncated}`);
  });

  it('strips a TTY `\\r\\n` exactly as the API does, also when `\\r` ends a 16 KiB piece', () => {
    const straddle = Buffer.from(`${'y'.repeat(16_383)}\r`);
    const entries = [
      ...lineEntries('stdout', BASE_NS, Buffer.from('plain\r')),
      ...lineEntries('stdout', BASE_NS + 1n, straddle),
      ...lineEntries('stdout', BASE_NS + 2n, Buffer.from('two\r\r')),
      ...lineEntries('stdout', BASE_NS + 3n, Buffer.from(`${'z'.repeat(16_383)}\r\r`)),
    ];
    assert.equal(entries[2]?.bytes.length, 1, 'the `\\n` is a piece of its own');
    for (const tty of [true, false]) {
      const expected = throughApi(entries, tty, 1 << 20);
      assert.deepEqual(throughFile(entries, tty, 1 << 20, random(7)), expected);
      const messages = expected.map((l) => Buffer.from(l.message, 'hex').toString('latin1'));
      if (tty) assert.deepEqual(messages.map((m) => m.slice(-2)), ['in', 'yy', 'o\r', 'z\r']);
      else assert.deepEqual(messages.map((m) => m.slice(-2)), ['n\r', 'y\r', '\r\r', '\r\r']);
    }
  });
});

describe('JsonFileDecoder: entries as dockerd writes them', () => {
  const decodeText = (text: string, tty = false, maxLineBytes = 1 << 20): { lines: LogLine[]; bad: string[] } => {
    const lines: LogLine[] = [];
    const bad: string[] = [];
    const decoder = new JsonFileDecoder({ tty, maxLineBytes, onLine: (l) => { lines.push(l); }, onBadEntry: (m, offset) => bad.push(`${offset}: ${m}`) });
    const file: LogFileIdentity = { dev: '1', ino: '2', firstEntryTime: '' };
    decoder.begin(file, 0, 0);
    const buf = Buffer.from(text, 'latin1');
    decoder.decode(buf, 0, buf.length, file, 0, isUtf8(buf));
    decoder.flush();
    return { lines, bad };
  };
  const entry = (log: string, time = '2026-11-29T01:18:22.025364369Z', stream = 'stdout'): string => `{"log":${log},"stream":"${stream}","time":"${time}"}\n`;

  it('pads Go\'s RFC3339Nano to nine digits, and moves an offset time to UTC', () => {
    const { lines } = decodeText([
      entry('"a\\n"', '2026-11-29T01:18:22.0253Z'),
      entry('"b\\n"', '2026-11-29T01:18:22Z'),
      entry('"c\\n"', '2026-11-29T01:18:22.1Z'),
      entry('"d\\n"', '2026-11-29T02:18:22.5+01:00'),
    ].join(''));
    assert.deepEqual(lines.map((l) => l.timestamp), ['2026-11-29T01:18:22.025300000Z', '2026-11-29T01:18:22.000000000Z', '2026-11-29T01:18:22.100000000Z', '2026-11-29T01:18:22.500000000Z']);
  });

  it('decodes escapes as Go does: surrogate pairs, lone surrogates, NUL, U+FFFD per bad raw byte', () => {
    const { lines, bad } = decodeText([
      entry('"\\ud83d\\ude00 \\u0000 \\u003c\\u003e\\u0026 \\ufffd\\n"'),
      entry('"lone \\ud83d then \\ude00 and \\ud83d\\u0041\\n"'),
      // Raw bytes a hand-made file could hold: a truncated 3-byte sequence, an encoded surrogate.
      entry('"raw \xe2\x80 x \xed\xa0\x80 y\\n"'),
      // Escapes Go does not know are kept as they are (Go would reject the entry).
      entry('"odd \\x \\u12 end\\n"'),
      entry('"\\"\\\\\\/\\b\\f\\t\\r\\n"'),
    ].join(''));
    assert.deepEqual(bad, []);
    assert.deepEqual(lines.map((l) => l.message.toString('hex')), [
      Buffer.from('😀 \u0000 <>& \ufffd').toString('hex'),
      Buffer.from('lone \ufffd then \ufffd and \ufffdA').toString('hex'),
      Buffer.from('raw \ufffd\ufffd x \ufffd\ufffd\ufffd y').toString('hex'),
      Buffer.from('odd \\x \\u12 end').toString('hex'),
      Buffer.from('"\\/\b\f\t\r').toString('hex'),
    ]);
  });

  it('reads entries with attrs, in another key order, with spaces, or without log', () => {
    const { lines, bad } = decodeText([
      '{"log":"with attrs\\n","stream":"stderr","attrs":{"foo":"b\\"}ar","n":[1,2]},"time":"2026-11-29T01:18:22.1Z"}\n',
      '{ "time" : "2026-11-29T01:18:23Z" , "stream" : "stdout" , "log" : "reordered\\n" }\n',
      '{"stream":"stdout","time":"2026-11-29T01:18:24Z"}\n', // no log: an empty piece
      entry('"rest\\n"', '2026-11-29T01:18:25Z'),
    ].join(''));
    assert.deepEqual(bad, []);
    assert.deepEqual(lines.map((l) => [l.stream, l.message.toString(), l.chunks]), [['stderr', 'with attrs', 1], ['stdout', 'reordered', 1], ['stdout', 'rest', 2]]);
  });

  it('skips and reports what is not an entry, and loses nothing around it', () => {
    const { lines, bad } = decodeText([
      entry('"one\\n"'),
      'garbage\n',
      '{"log":"x\\n","stream":"stdin","time":"2026-11-29T01:18:22Z"}\n',
      '{"log":"x\\n","stream":"stdout","time":"yesterday"}\n',
      '{"log":"x\\n","stream":"stdout","time":"2026-13-45T25:61:00.123456789Z"}\n', // the shape, but no real time
      '{"log":"unterminated\n',
      '\n',
      entry('"two\\n"'),
    ].join(''));
    assert.deepEqual(lines.map((l) => l.message.toString()), ['one', 'two']);
    assert.equal(bad.length, 6);
    assert.match(bad[1] ?? '', /unknown stream "stdin"/);
    assert.match(bad[2] ?? '', /not RFC 3339/);
    assert.match(bad[3] ?? '', /not RFC 3339: "2026-13-45/);
  });

  it('hands on lines as views of the read buffer when the message has no escapes', () => {
    const text = entry('"plain line\\n"') + entry('"tab\\u0009\\n"');
    const buf = Buffer.from(text);
    const lines: LogLine[] = [];
    const decoder = new JsonFileDecoder({ tty: false, maxLineBytes: 1000, onLine: (l) => { lines.push(l); }, onBadEntry: assert.fail });
    const file: LogFileIdentity = { dev: '1', ino: '2', firstEntryTime: '' };
    decoder.begin(file, 0, 0);
    decoder.decode(buf, 0, buf.length, file, 0, true);
    assert.equal(lines[0]?.message.buffer, buf.buffer, 'a view, not a copy');
    assert.equal(lines[1]?.message.toString(), 'tab\t');
    assert.equal(file.firstEntryTime, '2026-11-29T01:18:22.025364369Z');
  });

  it('stops after the line whose onLine returned false, and goes on from there', () => {
    const text = [1, 2, 3, 4].map((n) => entry(`"line ${n}\\n"`)).join('');
    const buf = Buffer.from(text);
    const got: string[] = [];
    const decoder = new JsonFileDecoder({ tty: false, maxLineBytes: 1000, onLine: (l) => got.push(l.message.toString()) !== 2, onBadEntry: assert.fail });
    const file: LogFileIdentity = { dev: '1', ino: '2', firstEntryTime: '' };
    decoder.begin(file, 0, 0);
    const used = decoder.decode(buf, 0, buf.length, file, 0, true);
    assert.deepEqual(got, ['line 1', 'line 2']);
    assert.equal(used, buf.indexOf('\n', buf.indexOf('line 2')) + 1);
    assert.deepEqual(decoder.position(), { dev: '1', ino: '2', firstEntryTime: '2026-11-29T01:18:22.025364369Z', offset: used, skip: 0 });
    decoder.decode(buf, used, buf.length, file, used, true);
    assert.deepEqual(got, ['line 1', 'line 2', 'line 3', 'line 4']);
  });
});

/** A chain of rotated files, oldest first, as the reader would find them. */
interface ModelFile {
  identity: LogFileIdentity;
  bytes: Buffer;
}

/** Cuts the entries into files of about `maxSize` bytes, as json-file's rotation does (between entries). */
function rotatedFiles(entries: readonly ModelEntry[], maxSize: number): ModelFile[] {
  const files: ModelFile[] = [];
  let current: Buffer[] = [];
  let size = 0;
  const close = (): void => {
    files.push({ identity: { dev: '9', ino: String(1000 + files.length), firstEntryTime: '' }, bytes: Buffer.concat(current) });
    current = [];
    size = 0;
  };
  for (const entry of entries) {
    if (size >= maxSize) close();
    const bytes = jsonFileBytes([entry]);
    current.push(bytes);
    size += bytes.length;
  }
  close();
  return files;
}

describe('JsonFileDecoder positions: close at any byte, resume at position()', () => {
  it('hands on every line exactly once over 120 modelled logs, across rotated files', () => {
    let resumes = 0;
    let pinned = 0;
    for (let seed = 1; seed <= 120; seed += 1) {
      const rnd = random(seed * 7919);
      const tty = seed % 5 === 0;
      const entries = modelOutput(rnd, 30 + Math.floor(rnd() * 80), tty);
      const files = rotatedFiles(entries, 2_000 + Math.floor(rnd() * 60_000));
      const onceLines: SeenLine[] = [];
      {
        const decoder = new JsonFileDecoder({ tty, maxLineBytes: 1 << 20, onLine: (l) => { onceLines.push(seen(l)); }, onBadEntry: assert.fail });
        decoder.begin(files[0]?.identity as LogFileIdentity, 0, 0);
        for (const [k, f] of files.entries()) {
          if (k > 0) decoder.nextFile(f.identity);
          feed(decoder, f.identity, f.bytes, rnd);
        }
        decoder.flush();
      }
      // Fresh identities for the interrupted reads: firstEntryTime must be learnt, or carried by positions.
      const handed: SeenLine[] = [];
      let position: FilePosition | undefined;
      for (let guard = 0; ; guard += 1) {
        assert.ok(guard < 10_000, 'makes progress');
        const startIndex = position === undefined ? 0 : files.findIndex((f) => f.identity.ino === position?.ino);
        assert.ok(startIndex >= 0);
        const chain = files.slice(startIndex).map((f, k) => ({ identity: { ...f.identity, firstEntryTime: k === 0 ? (position?.firstEntryTime ?? '') : '' }, bytes: f.bytes }));
        const decoder = new JsonFileDecoder({ tty, maxLineBytes: 1 << 20, onLine: (l, after) => { handed.push(seen(l)); assert.ok(after.skip >= 0); }, onBadEntry: assert.fail });
        decoder.begin(chain[0]?.identity as LogFileIdentity, position?.offset ?? 0, position?.skip ?? 0);
        const finish = rnd() < 0.2;
        let stopped = false;
        for (const [k, f] of chain.entries()) {
          if (k > 0) decoder.nextFile(f.identity);
          const from = k === 0 ? (position?.offset ?? 0) : 0;
          const stopAt = finish ? f.bytes.length : from + Math.floor(rnd() * Math.min(f.bytes.length - from + 1, 40_000));
          feed(decoder, f.identity, f.bytes, rnd, from, stopAt);
          if (stopAt < f.bytes.length || (!finish && rnd() < 0.5)) {
            stopped = true;
            break;
          }
        }
        if (!stopped) {
          decoder.flush();
          break;
        }
        position = decoder.position();
        if (position.skip > 0) pinned += 1;
        // The position names the file by identity, with its first entry's time once known.
        const named = files.find((f) => f.identity.ino === position?.ino);
        assert.ok(named, 'the position names one of the files');
        if (position.offset > 0) assert.ok(position.firstEntryTime.length === 30, `firstEntryTime known past offset 0: ${JSON.stringify(position)}`);
        resumes += 1;
      }
      assert.deepEqual(handed, onceLines, `seed ${seed}`);
    }
    assert.ok(resumes > 400 && pinned > 20, `resumes ${resumes}, positions held back by a partial line ${pinned}`);
  });
});
