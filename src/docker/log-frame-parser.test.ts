import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { LogFrameParser } from './log-frame-parser.js';
import type { LogLine } from './log-line.js';

const KIB16 = 16 * 1024;

function ts(n: number): string {
  return `2026-11-28T01:43:21.${String(n).padStart(9, '0')}Z`;
}

function frame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** A log frame: `TIMESTAMP SPACE text` plus `\n` when it completes a line. */
function logFrame(type: number, timestamp: string, text: Buffer | string, complete = true): Buffer {
  return frame(type, Buffer.concat([Buffer.from(`${timestamp} `, 'latin1'), Buffer.from(text), complete ? Buffer.from('\n') : Buffer.alloc(0)]));
}

function ttyEntry(timestamp: string, bytes: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp} `, 'latin1'), Buffer.from(bytes)]);
}

/** A line with a long message split the way Docker splits it: 16 KiB parts, last one with `\n`. */
function longLineFrames(type: number, timestamp: string, message: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < message.length; at += KIB16) {
    const part = message.subarray(at, at + KIB16);
    frames.push(logFrame(type, timestamp, part, at + KIB16 >= message.length));
  }
  return frames;
}

interface SeenLine {
  timestamp: string;
  stream: string;
  message: Buffer;
  truncated: boolean;
  chunks: number;
}

interface Outcome {
  lines: SeenLine[];
  errors: string[];
}

type Finish = 'end' | 'discard' | 'none';

function run(tty: boolean, pieces: Buffer[], finish: Finish = 'end', maxLineBytes = 1024 * 1024): Outcome & { parser: LogFrameParser } {
  const lines: SeenLine[] = [];
  const errors: string[] = [];
  const parser = new LogFrameParser({
    tty,
    maxLineBytes,
    // Copy: the parser may hand out views of the chunk, and the test keeps them.
    onLine: (line: LogLine) => lines.push({ ...line, message: Buffer.from(line.message) }),
    onDaemonError: (message) => errors.push(message),
  });
  for (const piece of pieces) parser.push(piece);
  if (finish === 'end') parser.end();
  if (finish === 'discard') parser.discard();
  return { lines, errors, parser };
}

function line(timestamp: string, stream: string, message: Buffer | string, chunks = 1, truncated = false): SeenLine {
  return { timestamp, stream, message: Buffer.from(message), truncated, chunks };
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing split can be reproduced. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomSplit(stream: Buffer, next: () => number, maxPiece: number): Buffer[] {
  const pieces: Buffer[] = [];
  let at = 0;
  while (at < stream.length) {
    const size = 1 + Math.floor(next() * maxPiece);
    pieces.push(stream.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

function sameLine(a: SeenLine, b: SeenLine): boolean {
  return a.timestamp === b.timestamp && a.stream === b.stream && a.truncated === b.truncated && a.chunks === b.chunks && a.message.equals(b.message);
}

/** Compares without printing megabytes when it fails. */
function assertSameLines(actual: Outcome, expected: Outcome, context: string): void {
  const same =
    actual.lines.length === expected.lines.length &&
    actual.lines.every((l, index) => sameLine(l, expected.lines[index] as SeenLine)) &&
    actual.errors.length === expected.errors.length &&
    actual.errors.every((e, index) => e === expected.errors[index]);
  if (same) return;
  const summary = (o: Outcome) => ({
    errors: o.errors,
    lines: o.lines.map((l) => ({ ...l, message: l.message.length > 64 ? `${l.message.length} bytes, sha ${hash(l.message)}` : l.message.toString('latin1') })),
  });
  assert.deepEqual(summary(actual), summary(expected), context);
}

function hash(buffer: Buffer): string {
  return createHash('sha256').update(buffer).digest('hex').slice(0, 16);
}

// A multiplexed stream with the cases that matter: interleaved partials of stdout and stderr,
// an empty line, a daemon error in the middle of a partial line, stdin, binary bytes, an empty
// frame, and a last line with no newline.
const MUX_STREAM = Buffer.concat([
  logFrame(1, ts(1), 'hello'),
  logFrame(2, ts(2), ''),
  logFrame(1, ts(3), 'AAAA', false),
  logFrame(2, ts(4), 'bbb', false),
  frame(3, Buffer.from('error from daemon\n')),
  logFrame(1, ts(3), 'CCCC', false),
  logFrame(2, ts(4), 'ddd'),
  logFrame(1, ts(3), 'EE'),
  logFrame(0, ts(5), 'from stdin'),
  logFrame(1, ts(6), Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0xc3])),
  frame(1, Buffer.alloc(0)),
  logFrame(2, ts(7), 'tail without newline', false),
]);

const MUX_EXPECTED: Outcome = {
  lines: [
    line(ts(1), 'stdout', 'hello'),
    line(ts(2), 'stderr', ''),
    line(ts(4), 'stderr', 'bbbddd', 2),
    line(ts(3), 'stdout', 'AAAACCCCEE', 3),
    line(ts(5), 'stdout', 'from stdin'),
    line(ts(6), 'stdout', Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0xc3])),
    line(ts(7), 'stderr', 'tail without newline'),
  ],
  errors: ['error from daemon'],
};

// A TTY stream as the daemon writes it (checked against a real `docker run -t`): `\r\n` endings,
// a 40 KiB line in 16 KiB entries with the same timestamp, a line whose `\r` ends one entry and
// whose `\n` is the whole next one, and a last line with no newline.
const LONG_TTY = Buffer.alloc(40 * 1024, 'a');
const STRADDLE = Buffer.alloc(KIB16 - 1, 'x');
const TTY_STREAM = Buffer.concat([
  ttyEntry(ts(1), 'hello\r\n'),
  ttyEntry(ts(2), '\r\n'),
  ttyEntry(ts(3), LONG_TTY.subarray(0, KIB16)),
  ttyEntry(ts(3), LONG_TTY.subarray(KIB16, 2 * KIB16)),
  ttyEntry(ts(3), Buffer.concat([LONG_TTY.subarray(2 * KIB16), Buffer.from('\r\n')])),
  ttyEntry(ts(4), Buffer.concat([STRADDLE, Buffer.from('\r')])),
  ttyEntry(ts(4), '\n'),
  ttyEntry(ts(5), 'bare newline\n'),
  ttyEntry(ts(6), 'abc'),
]);

const TTY_EXPECTED: Outcome = {
  lines: [
    line(ts(1), 'stdout', 'hello'),
    line(ts(2), 'stdout', ''),
    line(ts(3), 'stdout', LONG_TTY, 3),
    line(ts(4), 'stdout', STRADDLE, 2),
    line(ts(5), 'stdout', 'bare newline'),
    line(ts(6), 'stdout', 'abc'),
  ],
  errors: [],
};

void describe('LogFrameParser, multiplexed', () => {
  void it('parses a representative stream pushed whole', () => {
    assertSameLines(run(false, [MUX_STREAM]), MUX_EXPECTED, 'whole');
  });

  void it('gives the same lines for a split at every byte offset', () => {
    for (let at = 0; at <= MUX_STREAM.length; at += 1) {
      assertSameLines(run(false, [MUX_STREAM.subarray(0, at), MUX_STREAM.subarray(at)]), MUX_EXPECTED, `split at ${at}`);
    }
  });

  void it('gives the same lines for every pair of split offsets', () => {
    for (let a = 0; a <= MUX_STREAM.length; a += 1) {
      for (let b = a; b <= MUX_STREAM.length; b += 3) {
        const pieces = [MUX_STREAM.subarray(0, a), MUX_STREAM.subarray(a, b), MUX_STREAM.subarray(b)];
        assertSameLines(run(false, pieces), MUX_EXPECTED, `split at ${a} and ${b}`);
      }
    }
  });

  void it('gives the same lines fed one byte at a time and in random pieces', () => {
    const bytes = [...MUX_STREAM].map((byte) => Buffer.from([byte]));
    assertSameLines(run(false, bytes), MUX_EXPECTED, 'byte by byte');
    const next = random(42);
    for (let round = 0; round < 300; round += 1) {
      assertSameLines(run(false, randomSplit(MUX_STREAM, next, 40)), MUX_EXPECTED, `random round ${round}`);
    }
  });

  void it('merges a 40 KiB line of three frames, interleaved with the other stream, at any split', () => {
    const long = Buffer.alloc(40 * 1024);
    for (let i = 0; i < long.length; i += 1) long[i] = 0x41 + (i % 26);
    const [first, second, third] = longLineFrames(1, ts(9), long) as [Buffer, Buffer, Buffer];
    const stream = Buffer.concat([first, logFrame(2, ts(10), 'between'), second, third, logFrame(1, ts(11), 'after')]);
    const expected: Outcome = {
      lines: [line(ts(10), 'stderr', 'between'), line(ts(9), 'stdout', long, 3), line(ts(11), 'stdout', 'after')],
      errors: [],
    };
    // Every offset near the frame boundaries, and a stride through the rest.
    const boundaries = [first.length, first.length + 48, stream.length - 48, stream.length - 40];
    for (let at = 0; at <= stream.length; at += 1) {
      const near = boundaries.some((b) => Math.abs(at - b) <= 64) || at < 64;
      if (!near && at % 97 !== 0) continue;
      assertSameLines(run(false, [stream.subarray(0, at), stream.subarray(at)]), expected, `split at ${at}`);
    }
    const next = random(7);
    for (let round = 0; round < 50; round += 1) {
      assertSameLines(run(false, randomSplit(stream, next, 20_000)), expected, `random round ${round}`);
    }
  });

  void it('reads a 5 MiB line with no newline as one truncated line on end(), holding at most the cap', () => {
    const maxLineBytes = 1024 * 1024;
    const message = Buffer.alloc(5 * 1024 * 1024, 'z');
    const frames = longLineFrames(1, ts(12), message).map((f, index, all) => (index === all.length - 1 ? f.subarray(0, f.length - 1) : f));
    frames[frames.length - 1]?.writeUInt32BE((frames[frames.length - 1]?.length ?? 9) - 8, 4);
    const lines: LogLine[] = [];
    const parser = new LogFrameParser({ tty: false, maxLineBytes, onLine: (l) => lines.push(l), onDaemonError: (e) => assert.fail(e) });
    let maxPending = 0;
    for (const piece of randomSplit(Buffer.concat(frames), random(3), 65536)) {
      parser.push(piece);
      maxPending = Math.max(maxPending, parser.pendingBytes);
    }
    assert.equal(lines.length, 0, 'no newline yet: nothing emitted');
    assert.ok(maxPending <= maxLineBytes + 64, `held ${maxPending} bytes`);
    parser.end();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.message.length, maxLineBytes);
    assert.equal(lines[0]?.truncated, true);
    assert.equal(lines[0]?.chunks, 320);
    assert.equal(lines[0]?.timestamp, ts(12));
    assert.equal(parser.pendingBytes, 0);
  });

  void it('reads a 5 MiB line with a newline whole when the cap allows it', () => {
    const message = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < message.length; i += 4099) message[i] = i % 251;
    const outcome = run(false, randomSplit(Buffer.concat(longLineFrames(2, ts(13), message)), random(5), 100_000), 'none', 8 * 1024 * 1024);
    assertSameLines(outcome, { lines: [line(ts(13), 'stderr', message, 320)], errors: [] }, '5 MiB');
  });

  void it('truncates at maxLineBytes, for single frames and merged parts alike', () => {
    const stream = Buffer.concat([
      logFrame(1, ts(1), 'abcd'),
      logFrame(1, ts(2), 'abcde'),
      logFrame(1, ts(3), 'ab', false),
      logFrame(2, ts(4), 'xyz'),
      logFrame(1, ts(3), 'cd'),
      logFrame(1, ts(5), 'ab', false),
      logFrame(1, ts(5), 'cde'),
    ]);
    const expected: Outcome = {
      lines: [
        line(ts(1), 'stdout', 'abcd'),
        line(ts(2), 'stdout', 'abcd', 1, true),
        line(ts(4), 'stderr', 'xyz'),
        line(ts(3), 'stdout', 'abcd', 2),
        line(ts(5), 'stdout', 'abcd', 2, true),
      ],
      errors: [],
    };
    for (let at = 0; at <= stream.length; at += 1) {
      assertSameLines(run(false, [stream.subarray(0, at), stream.subarray(at)], 'end', 4), expected, `split at ${at}`);
    }
  });

  void it('hands out a view of the chunk for a line in one contiguous frame (no copy)', () => {
    const chunk = Buffer.concat([logFrame(1, ts(1), 'zero copy'), logFrame(2, ts(2), 'second')]);
    const seen: LogLine[] = [];
    const parser = new LogFrameParser({ tty: false, maxLineBytes: 1000, onLine: (l) => seen.push(l), onDaemonError: (e) => assert.fail(e) });
    parser.push(chunk);
    assert.equal(seen.length, 2);
    assert.equal(seen[0]?.message.buffer, chunk.buffer);
    assert.equal(seen[0]?.message.toString(), 'zero copy');
    assert.equal(seen[1]?.message.toString(), 'second');
  });

  void it('reports type 3 frames and never makes a log line of them', () => {
    const outcome = run(false, [Buffer.concat([frame(3, Buffer.from('boom')), logFrame(1, ts(1), 'ok'), frame(3, Buffer.alloc(0))])]);
    assertSameLines(outcome, { lines: [line(ts(1), 'stdout', 'ok')], errors: ['boom', '(empty daemon error frame)'] }, 'type 3');
  });

  void it('discard() drops partial lines unseen and starts afresh; end() emits them', () => {
    const partial = Buffer.concat([logFrame(1, ts(1), 'part', false), logFrame(2, ts(2), 'other', false)]);
    const discarded = run(false, [partial, partial.subarray(0, 20)], 'discard');
    assert.equal(discarded.lines.length, 0);
    assert.equal(discarded.parser.pendingBytes, 0);
    // After discard the next stream starts at a frame boundary.
    discarded.parser.push(logFrame(1, ts(3), 'fresh'));
    assert.deepEqual(discarded.lines.map((l) => l.message.toString()), ['fresh']);

    const ended = run(false, [partial], 'end');
    assertSameLines(ended, { lines: [line(ts(1), 'stdout', 'part'), line(ts(2), 'stderr', 'other')], errors: [] }, 'end in stream order');
    assert.equal(ended.parser.pendingBytes, 0);
    ended.parser.push(logFrame(2, ts(4), 'next'));
    assert.deepEqual(ended.lines.map((l) => l.message.toString()), ['part', 'other', 'next']);
  });

  void it('end() emits a line cut off in the middle of its frame and reports a cut header', () => {
    const whole = logFrame(1, ts(1), 'killed mid-line');
    const outcome = run(false, [whole.subarray(0, whole.length - 5)]);
    assertSameLines(outcome, { lines: [line(ts(1), 'stdout', 'killed mid-')], errors: [] }, 'cut frame');
    const cutHeader = run(false, [Buffer.concat([logFrame(1, ts(1), 'x'), whole.subarray(0, 12)])]);
    assert.equal(cutHeader.lines.length, 1);
    assert.equal(cutHeader.errors.length, 1);
  });

  void it('survives hostile input: bogus types, short and zero lengths, garbage; resynchronises on the next frame', () => {
    const good = logFrame(1, ts(2), 'after garbage');
    const cases: Buffer[] = [
      Buffer.concat([Buffer.from('GARBAGE!! not a frame at all'), good]),
      Buffer.concat([frame(7, Buffer.from('bogus type')), good]),
      Buffer.concat([frame(1, Buffer.from('short')), good]),
      Buffer.concat([frame(1, Buffer.alloc(0)), frame(2, Buffer.alloc(0)), good]),
      Buffer.concat([frame(1, Buffer.alloc(40, 0x41)), good]), // long enough, but no timestamp
    ];
    for (const [index, stream] of cases.entries()) {
      for (let at = 0; at <= stream.length; at += 1) {
        const outcome = run(false, [stream.subarray(0, at), stream.subarray(at)]);
        assert.deepEqual(outcome.lines.map((l) => l.message.toString()), ['after garbage'], `case ${index} split at ${at}`);
        if (index !== 3) assert.ok(outcome.errors.length > 0, `case ${index}: reported`);
      }
    }
    // Random bytes never throw, and a real frame afterwards is still found.
    const next = random(99);
    for (let round = 0; round < 200; round += 1) {
      const garbage = Buffer.alloc(1 + Math.floor(next() * 3000));
      for (let i = 0; i < garbage.length; i += 1) garbage[i] = next() < 0.3 ? 0 : Math.floor(next() * 256);
      const lines: LogLine[] = [];
      const parser = new LogFrameParser({ tty: round % 2 === 0, maxLineBytes: 256, onLine: (l) => lines.push(l), onDaemonError: () => undefined });
      for (const piece of randomSplit(garbage, next, 500)) parser.push(piece);
      assert.ok(parser.pendingBytes <= 2 * 257 + 77 + garbage.length, `round ${round}: held ${parser.pendingBytes}`);
      parser.end();
      parser.push(round % 2 === 0 ? ttyEntry(ts(1), 'recovered\r\n') : logFrame(1, ts(1), 'recovered'));
      assert.equal(lines.at(-1)?.message.toString(), 'recovered', `round ${round}`);
    }
  });

  void it('streams a frame whose length header claims gigabytes without holding more than the cap', () => {
    const header = Buffer.alloc(8);
    header[0] = 1;
    header.writeUInt32BE(0xfffffff0, 4);
    const lines: LogLine[] = [];
    const parser = new LogFrameParser({ tty: false, maxLineBytes: 1000, onLine: (l) => lines.push(l), onDaemonError: () => undefined });
    parser.push(Buffer.concat([header, Buffer.from(`${ts(1)} `)]));
    for (let i = 0; i < 100; i += 1) parser.push(Buffer.alloc(65536, 0x61));
    assert.ok(parser.pendingBytes <= 1001);
    parser.end();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.message.length, 1000);
    assert.equal(lines[0]?.truncated, true);
  });
});

void describe('LogFrameParser, TTY', () => {
  void it('parses a representative stream pushed whole', () => {
    assertSameLines(run(true, [TTY_STREAM]), TTY_EXPECTED, 'whole');
  });

  void it('gives the same lines for a split at every byte offset', () => {
    for (let at = 0; at <= TTY_STREAM.length; at += 1) {
      assertSameLines(run(true, [TTY_STREAM.subarray(0, at), TTY_STREAM.subarray(at)]), TTY_EXPECTED, `split at ${at}`);
    }
  });

  void it('gives the same lines in random pieces, including tiny ones', () => {
    const next = random(11);
    for (let round = 0; round < 200; round += 1) {
      const maxPiece = round % 3 === 0 ? 40 : 20_000;
      assertSameLines(run(true, randomSplit(TTY_STREAM, next, maxPiece)), TTY_EXPECTED, `random round ${round}`);
    }
  });

  void it('truncates long TTY lines, and the cap does not leave a `\\r` behind', () => {
    const stream = Buffer.concat([ttyEntry(ts(1), 'abcdefgh\r\n'), ttyEntry(ts(2), 'abcd\r\n'), ttyEntry(ts(3), Buffer.concat([STRADDLE, Buffer.from('\r')])), ttyEntry(ts(3), '\n')]);
    const expected: Outcome = {
      lines: [line(ts(1), 'stdout', 'abcd', 1, true), line(ts(2), 'stdout', 'abcd'), line(ts(3), 'stdout', 'xxxx', 2, true)],
      errors: [],
    };
    for (let at = 0; at <= stream.length; at += 101) {
      assertSameLines(run(true, [stream.subarray(0, at), stream.subarray(at)], 'end', 4), expected, `split at ${at}`);
    }
    const exact = run(true, [Buffer.concat([ttyEntry(ts(3), Buffer.concat([STRADDLE, Buffer.from('\r')])), ttyEntry(ts(3), '\n')])], 'end', KIB16 - 1);
    assertSameLines(exact, { lines: [line(ts(3), 'stdout', STRADDLE, 2)], errors: [] }, 'cap equal to the line');
  });

  void it('discard() drops a partial TTY line; end() emits it', () => {
    const partial = ttyEntry(ts(1), Buffer.alloc(KIB16, 'p'));
    assert.deepEqual(run(true, [partial], 'discard').lines, []);
    assertSameLines(run(true, [partial], 'end'), { lines: [line(ts(1), 'stdout', Buffer.alloc(KIB16, 'p'))], errors: [] }, 'end');
  });

  void it('resynchronises on the next timestamp after undecodable bytes', () => {
    const stream = Buffer.concat([Buffer.from('\x00\x01garbage'), ttyEntry(ts(1), 'fine\r\n')]);
    for (let at = 0; at <= stream.length; at += 1) {
      const outcome = run(true, [stream.subarray(0, at), stream.subarray(at)]);
      assert.deepEqual(outcome.lines.map((l) => l.message.toString()), ['fine'], `split at ${at}`);
      assert.ok(outcome.errors.length > 0);
    }
  });
});
