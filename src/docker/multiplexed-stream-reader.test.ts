// The multiplexed format (frames with 8-byte headers), through LogFrameParser.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertSameLines,
  fixture,
  frame,
  line,
  logFrame,
  longLineFrames,
  random,
  randomSplit,
  run,
  splitAt,
  ts,
  ttyEntry,
} from '../../test/support/log-stream-bytes.js';
import type { Outcome } from '../../test/support/log-stream-bytes.js';
import { LogFrameParser } from './log-frame-parser.js';
import type { LogLine } from './log-line.js';

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

/** Every split of `stream` in two gives `expected`. */
function assertAtEverySplit(tty: boolean, stream: Buffer, expected: Outcome, options: Parameters<typeof run>[2] = {}): void {
  for (let at = 0; at <= stream.length; at += 1) assertSameLines(run(tty, splitAt(stream, at), options), expected, `split at ${at}`);
}

void describe('LogFrameParser, multiplexed', () => {
  void it('parses a representative stream pushed whole', () => {
    assertSameLines(run(false, [MUX_STREAM]), MUX_EXPECTED, 'whole');
  });

  void it('gives the same lines for a split at every byte offset', () => {
    assertAtEverySplit(false, MUX_STREAM, MUX_EXPECTED);
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
      assertSameLines(run(false, splitAt(stream, at)), expected, `split at ${at}`);
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
    const outcome = run(false, randomSplit(Buffer.concat(longLineFrames(2, ts(13), message)), random(5), 100_000), { finish: 'none', maxLineBytes: 8 * 1024 * 1024 });
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
    assertAtEverySplit(false, stream, expected, { maxLineBytes: 4 });
  });

  void it('hands out a view of the chunk for a line in one contiguous frame (no copy), in every timestamp form', () => {
    const chunk = Buffer.concat([logFrame(1, ts(1), 'zero copy'), logFrame(2, ts(2), 'second'), logFrame(1, '2026-11-29T00:33:11Z', 'podman')]);
    const seen: LogLine[] = [];
    const parser = new LogFrameParser({ tty: false, maxLineBytes: 1000, onLine: (l) => seen.push(l), onDaemonError: (e) => assert.fail(e) });
    parser.push(chunk);
    assert.equal(seen.length, 3);
    assert.equal(seen[0]?.message.buffer, chunk.buffer);
    assert.equal(seen[0]?.message.toString(), 'zero copy');
    assert.equal(seen[1]?.message.toString(), 'second');
    assert.equal(seen[2]?.message.buffer, chunk.buffer);
    assert.equal(seen[2]?.message.toString(), 'podman');
  });

  void it('reports type 3 frames and never makes a log line of them', () => {
    const outcome = run(false, [Buffer.concat([frame(3, Buffer.from('boom')), logFrame(1, ts(1), 'ok'), frame(3, Buffer.alloc(0))])]);
    assertSameLines(outcome, { lines: [line(ts(1), 'stdout', 'ok')], errors: ['boom', '(empty daemon error frame)'] }, 'type 3');
  });

  void it('discard() drops partial lines unseen and starts afresh; end() emits them', () => {
    const partial = Buffer.concat([logFrame(1, ts(1), 'part', false), logFrame(2, ts(2), 'other', false)]);
    const discarded = run(false, [partial, partial.subarray(0, 20)], { finish: 'discard' });
    assert.equal(discarded.lines.length, 0);
    assert.equal(discarded.parser.pendingBytes, 0);
    // After discard the next stream starts at a frame boundary.
    discarded.parser.push(logFrame(1, ts(3), 'fresh'));
    assert.deepEqual(
      discarded.lines.map((l) => l.message.toString()),
      ['fresh'],
    );

    const ended = run(false, [partial], { finish: 'end' });
    assertSameLines(ended, { lines: [line(ts(1), 'stdout', 'part'), line(ts(2), 'stderr', 'other')], errors: [] }, 'end in stream order');
    assert.equal(ended.parser.pendingBytes, 0);
    ended.parser.push(logFrame(2, ts(4), 'next'));
    assert.deepEqual(
      ended.lines.map((l) => l.message.toString()),
      ['part', 'other', 'next'],
    );
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
        const outcome = run(false, splitAt(stream, at));
        assert.deepEqual(
          outcome.lines.map((l) => l.message.toString()),
          ['after garbage'],
          `case ${index} split at ${at}`,
        );
        if (index !== 3) assert.ok(outcome.errors.length > 0, `case ${index}: reported`);
      }
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

void describe('LogFrameParser, multiplexed: timestamps that are not a real time (a poison entry)', () => {
  const POISON = ['2026-99-99T99:99:99.000000000Z', '2026-02-29T00:00:00.000000000Z', '2026-04-31T12:00:00Z', '2026-11-28T24:00:00Z', '2026-11-28T23:59:60.5Z', '2026-00-10T00:00:00Z', '2026-11-28T10:00:00+24:00'];

  void it('reports the entry with a short, escaped excerpt, emits no line for it, and goes on with the next frame', () => {
    for (const bad of POISON) {
      const stream = Buffer.concat([logFrame(1, ts(1), 'before'), logFrame(1, bad, 'poison\x1b[31m'), logFrame(2, ts(3), 'after')]);
      for (let at = 0; at <= stream.length; at += 1) {
        const outcome = run(false, splitAt(stream, at));
        assertSameLines(outcome, { lines: [line(ts(1), 'stdout', 'before'), line(ts(3), 'stderr', 'after')], errors: outcome.errors }, `${bad}, split at ${at}`);
        assert.ok(outcome.errors[0]?.includes(`not a real time: "${bad}"`), `${bad}: ${outcome.errors[0]}`);
        for (const l of outcome.lines) assert.ok(Number.isFinite(Date.parse(l.timestamp)), l.timestamp);
      }
    }
  });

  void it('keeps a pending partial line of the other stream across a poison entry', () => {
    const stream = Buffer.concat([logFrame(2, ts(1), 'par', false), logFrame(1, POISON[0] as string, 'x'), logFrame(2, ts(1), 'tial')]);
    assertAtEverySplit(false, stream, { lines: [line(ts(1), 'stderr', 'partial', 2)], errors: [`undecodable log stream data: log entry with a timestamp that is not a real time: "${POISON[0] as string}"; searching for the next frame`, 'skipped 40 undecodable bytes before the next frame'] });
  });
});

void describe('LogFrameParser, multiplexed: Podman 4.3 (real bytes from src/docker/fixtures)', () => {
  const second = (s: string) => `2026-11-29T00:33:${s}.000000000Z`;

  void it('short lines on stdout and stderr, stamped to the second, in the order Podman sent them', () => {
    const expected: Outcome = {
      lines: [line(second('11'), 'stdout', 'out1'), line(second('11'), 'stdout', 'out2'), line(second('11'), 'stderr', 'err1'), line(second('11'), 'stderr', 'err2'), line(second('11'), 'stdout', 'tail without newline')],
      errors: [],
    };
    assertAtEverySplit(false, fixture('podman-short-lines.mux'), expected);
    assert.equal(run(false, [fixture('podman-short-lines.mux')]).parser.timestampResolutionNs, 1e9);
  });

  void it('ten lines written in the same second keep their order and one canonical timestamp', () => {
    const lines = Array.from({ length: 10 }, (_, index) => line(second('13'), 'stdout', `line${index + 1}`));
    assertAtEverySplit(false, fixture('podman-same-second.mux'), { lines, errors: [] });
  });

  void it('a 20,000-byte line in 8 KiB frames with its newline in a frame of its own', () => {
    const stream = fixture('podman-long-line.mux');
    const expected: Outcome = { lines: [line(second('11'), 'stdout', Buffer.alloc(20_000, 'a'), 4)], errors: [] };
    for (let at = 0; at <= stream.length; at += at < 64 || Math.abs(at - 8221) < 64 || at > stream.length - 64 ? 1 : 61) {
      assertSameLines(run(false, splitAt(stream, at)), expected, `split at ${at}`);
    }
    assertSameLines(run(false, [stream], { maxLineBytes: 10_000 }), { lines: [line(second('11'), 'stdout', Buffer.alloc(10_000, 'a'), 4, true)], errors: [] }, 'truncated');
  });

  void it('stamps with a numeric offset (conmon in Europe/Berlin) become UTC', () => {
    const expected: Outcome = { lines: [line('2026-11-29T00:51:59.000000000Z', 'stdout', 'berlin'), line('2026-11-29T00:51:59.000000000Z', 'stderr', 'err')], errors: [] };
    assertAtEverySplit(false, fixture('podman-offset.mux'), expected);
  });

  void it("a TTY container's stream from /libpod/containers/{id}/logs is framed; its `\\r\\n` endings are dropped, even when cut between two frames", () => {
    const stream = fixture('podman-straddle-libpod.mux');
    const at31 = '2026-11-29T00:33:31.000000000Z';
    const expected: Outcome = { lines: [line(at31, 'stdout', Buffer.alloc(4094, 'b'), 2), line(at31, 'stdout', Buffer.alloc(16_383, 'c'), 5)], errors: [] };
    for (let at = 0; at <= stream.length; at += at % 4116 < 48 || at % 4116 > 4070 ? 1 : 53) {
      assertSameLines(run(true, splitAt(stream, at), { framing: 'multiplexed' }), expected, `split at ${at}`);
    }
    // The same bytes for a container without a TTY keep the `\r`.
    assert.equal(run(false, [stream]).lines[0]?.message.at(-1), 0x0d);
  });

  void it("Docker's own bytes for a 20,000-byte line: 16 KiB and the rest", () => {
    const lines = run(false, [fixture('docker-long-line.mux')]).lines;
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.chunks, 2);
    assert.ok(lines[0]?.message.equals(Buffer.alloc(20_000, 'a')));
    assert.match(lines[0]?.timestamp ?? '', /^2026-11-29T00:33:14\.\d{9}Z$/);
  });
});

void describe('LogFrameParser, multiplexed and TTY: random garbage', () => {
  void it('never throws, holds bounded memory, and finds a real frame or entry afterwards', () => {
    const next = random(99);
    for (let round = 0; round < 200; round += 1) {
      const garbage = Buffer.alloc(1 + Math.floor(next() * 3000));
      for (let i = 0; i < garbage.length; i += 1) garbage[i] = next() < 0.3 ? 0 : Math.floor(next() * 256);
      const lines: LogLine[] = [];
      const tty = round % 2 === 0;
      const framing = round % 4 === 2 ? 'podman-tty' : undefined;
      const parser = new LogFrameParser({ tty, ...(framing ? { framing } : {}), maxLineBytes: 256, onLine: (l) => lines.push(l), onDaemonError: () => undefined });
      for (const piece of randomSplit(garbage, next, 500)) parser.push(piece);
      assert.ok(parser.pendingBytes <= 2 * 257 + 77 + garbage.length, `round ${round}: held ${parser.pendingBytes}`);
      parser.end();
      parser.push(tty ? ttyEntry(ts(1), 'recovered\r\n') : logFrame(1, ts(1), 'recovered'));
      assert.equal(lines.at(-1)?.message.toString(), 'recovered', `round ${round}`);
    }
  });
});
