// The raw TTY format (timestamped entries, no headers), through LogFrameParser: Docker's
// ('docker-tty', parts of 16 KiB) and Podman's ('podman-tty', parts of any size).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KIB16, assertSameLines, fixture, line, random, randomSplit, run, splitAt, ts, ttyEntry } from '../../test/support/log-stream-bytes.js';
import type { Outcome, RunOptions } from '../../test/support/log-stream-bytes.js';

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

const PODMAN: RunOptions = { framing: 'podman-tty' };

/** Splits in two at every offset near an entry boundary (where bugs live), and at a stride elsewhere. */
function assertAtSplits(stream: Buffer, expected: Outcome, options: RunOptions = {}): void {
  const starts: number[] = [];
  for (let at = stream.indexOf('2026-'); at >= 0; at = stream.indexOf('2026-', at + 1)) starts.push(at);
  for (let at = 0; at <= stream.length; at += 1) {
    if (at % 53 !== 0 && !starts.some((start) => at >= start - 4 && at <= start + 40)) continue;
    assertSameLines(run(true, splitAt(stream, at), options), expected, `split at ${at}`);
  }
  const next = random(stream.length);
  for (let round = 0; round < 30; round += 1) assertSameLines(run(true, randomSplit(stream, next, round % 2 === 0 ? 40 : 5000), options), expected, `random round ${round}`);
}

void describe('LogFrameParser, TTY (Docker)', () => {
  void it('parses a representative stream pushed whole', () => {
    assertSameLines(run(true, [TTY_STREAM]), TTY_EXPECTED, 'whole');
  });

  void it('gives the same lines for a split at every byte offset', () => {
    for (let at = 0; at <= TTY_STREAM.length; at += 1) {
      assertSameLines(run(true, splitAt(TTY_STREAM, at)), TTY_EXPECTED, `split at ${at}`);
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
      assertSameLines(run(true, splitAt(stream, at), { maxLineBytes: 4 }), expected, `split at ${at}`);
    }
    const exact = run(true, [Buffer.concat([ttyEntry(ts(3), Buffer.concat([STRADDLE, Buffer.from('\r')])), ttyEntry(ts(3), '\n')])], { maxLineBytes: KIB16 - 1 });
    assertSameLines(exact, { lines: [line(ts(3), 'stdout', STRADDLE, 2)], errors: [] }, 'cap equal to the line');
  });

  void it('discard() drops a partial TTY line; end() emits it', () => {
    const partial = ttyEntry(ts(1), Buffer.alloc(KIB16, 'p'));
    assert.deepEqual(run(true, [partial], { finish: 'discard' }).lines, []);
    assertSameLines(run(true, [partial], { finish: 'end' }), { lines: [line(ts(1), 'stdout', Buffer.alloc(KIB16, 'p'))], errors: [] }, 'end');
  });

  void it('resynchronises on the next timestamp after undecodable bytes', () => {
    const stream = Buffer.concat([Buffer.from('\x00\x01garbage'), ttyEntry(ts(1), 'fine\r\n')]);
    for (let at = 0; at <= stream.length; at += 1) {
      const outcome = run(true, splitAt(stream, at));
      assert.deepEqual(
        outcome.lines.map((l) => l.message.toString()),
        ['fine'],
        `split at ${at}`,
      );
      assert.ok(outcome.errors.length > 0);
    }
  });

  void it('reports an entry whose timestamp is not a real time, emits no line for it, and goes on', () => {
    const bad = '2026-99-99T99:99:99.000000000Z';
    const stream = Buffer.concat([ttyEntry(ts(1), 'before\r\n'), ttyEntry(bad, 'poison\r\n'), ttyEntry(ts(3), 'after\r\n')]);
    for (let at = 0; at <= stream.length; at += 1) {
      const outcome = run(true, splitAt(stream, at));
      assertSameLines(outcome, { lines: [line(ts(1), 'stdout', 'before'), line(ts(3), 'stdout', 'after')], errors: outcome.errors }, `split at ${at}`);
      assert.ok(outcome.errors[0]?.includes(`not a real time: "${bad}"`), outcome.errors[0]);
    }
  });

  void it("Docker's own bytes: a `\\r\\n` cut by the 16 KiB boundary, a writer that pauses mid-line", () => {
    const straddle: Outcome = { lines: [line('2026-11-29T00:33:35.053466332Z', 'stdout', Buffer.alloc(4094, 'b')), line('2026-11-29T00:33:35.054771714Z', 'stdout', Buffer.alloc(16_383, 'c'), 2)], errors: [] };
    assertAtSplits(fixture('docker-straddle.tty'), straddle);
    // Docker holds a part until its 16 KiB buffer is full: `abc`, a pause, `def\n` is one entry.
    const slow: Outcome = { lines: [line('2026-11-29T00:33:33.613464950Z', 'stdout', 'abcdef'), line('2026-11-29T00:33:34.714668889Z', 'stdout', 'x')], errors: [] };
    assertAtSplits(fixture('docker-slow-writer.tty'), slow);
  });

  void it("Docker's own bytes: a run that ended without a newline, then a restart, read as one line (Docker cannot mark where that part ends)", () => {
    const outcome = run(true, [fixture('docker-restart.tty')]);
    assertSameLines(outcome, { lines: [line('2026-11-29T00:56:11.913104736Z', 'stdout', 'abc2026-11-29T00:56:12.364743510Z abc')], errors: [] }, 'restart');
  });
});

void describe('LogFrameParser, TTY (Podman 4.3, real bytes from src/docker/fixtures)', () => {
  const at = (second: string) => `2026-11-29T00:33:${second}.000000000Z`;

  void it('a 20,000-byte line in parts of one terminal read (4095 bytes)', () => {
    assertAtSplits(fixture('podman-long-line.tty'), { lines: [line(at('12'), 'stdout', Buffer.alloc(20_000, 'a'), 5)], errors: [] }, PODMAN);
  });

  void it('CRLF written by the program becomes `\\r\\r\\n` on the terminal: one `\\r` stays in the message', () => {
    const expected: Outcome = { lines: [line(at('12'), 'stdout', 'one\r'), line(at('12'), 'stdout', 'two'), line(at('12'), 'stdout', '\r'), line(at('12'), 'stdout', 'three')], errors: [] };
    assertAtSplits(fixture('podman-crlf.tty'), expected, PODMAN);
    assertAtSplits(fixture('podman-crlf.tty'), expected); // no part is cut: Docker's reading agrees
  });

  void it('a writer that pauses mid-line: parts of 3 and 1 bytes, each with its own timestamp; the line has its first', () => {
    const expected: Outcome = { lines: [line(at('28'), 'stdout', 'abcdef', 2), line(at('29'), 'stdout', 'x', 2)], errors: [] };
    const stream = fixture('podman-slow-writer.tty');
    for (let split = 0; split <= stream.length; split += 1) assertSameLines(run(true, splitAt(stream, split), PODMAN), expected, `split at ${split}`);
    for (let a = 0; a <= stream.length; a += 1) {
      for (let b = a; b <= stream.length; b += 1) {
        assertSameLines(run(true, [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)], PODMAN), expected, `split at ${a} and ${b}`);
      }
    }
    assertSameLines(run(true, [...stream].map((byte) => Buffer.from([byte])), PODMAN), expected, 'byte by byte');
  });

  void it('a `\\r\\n` cut between two terminal reads, and a part that begins right after a `\\n`', () => {
    const expected: Outcome = { lines: [line(at('31'), 'stdout', Buffer.alloc(4094, 'b'), 2), line(at('31'), 'stdout', Buffer.alloc(16_383, 'c'), 5)], errors: [] };
    assertAtSplits(fixture('podman-straddle.tty'), expected, PODMAN);
  });

  void it('a run that ended without a newline, then a restart: the two parts are one line, as in a multiplexed stream', () => {
    const expected: Outcome = { lines: [line('2026-11-29T00:56:43.000000000Z', 'stdout', 'abcabc', 2)], errors: [] };
    assertAtSplits(fixture('podman-restart.tty'), expected, PODMAN);
    assert.equal(run(true, [fixture('podman-restart.tty')], PODMAN).parser.timestampResolutionNs, 1e9);
  });

  void it('the ambiguity of the format: text in the layout of the stamps ends a part only after a line began, and only in that layout', () => {
    const stamp = '2026-11-29T00:33:31Z';
    const stream = Buffer.concat([
      ttyEntry(stamp, `${stamp} starts with a stamp\r\n`), // a part is never empty: not a boundary
      ttyEntry(stamp, 'ms 2026-11-29T00:33:31.123Z other layout\r\n'), // other layout: not a boundary
      ttyEntry(stamp, 'bad 2026-11-29T99:33:31Z not a time\r\n'), // not a real time: not a boundary
      ttyEntry(stamp, `time=${stamp} level=info\r\n`), // the ambiguous case: read as a part boundary
    ]);
    const expected: Outcome = {
      lines: [
        line(at('31'), 'stdout', `${stamp} starts with a stamp`),
        line(at('31'), 'stdout', 'ms 2026-11-29T00:33:31.123Z other layout'),
        line(at('31'), 'stdout', 'bad 2026-11-29T99:33:31Z not a time'),
        line(at('31'), 'stdout', 'time=level=info', 2),
      ],
      errors: [],
    };
    assertAtSplits(stream, expected, PODMAN);
  });

  void it('bytes kept back because they might begin a timestamp are part of the line when the stream ends', () => {
    const stream = ttyEntry('2026-11-29T00:33:31Z', 'ends in 2026-11-2');
    assertAtSplits(stream, { lines: [line(at('31'), 'stdout', 'ends in 2026-11-2')], errors: [] }, PODMAN);
    const parser = run(true, [stream], { ...PODMAN, finish: 'none' }).parser;
    assert.equal(parser.pendingBytes, 'ends in 2026-11-2'.length);
    assert.equal(parser.oldestPendingTimestamp, at('31'));
  });

  void it('Docker-style 16 KiB parts are read right too', () => {
    assertSameLines(run(true, [TTY_STREAM], PODMAN), TTY_EXPECTED, 'whole');
    const next = random(12);
    for (let round = 0; round < 50; round += 1) assertSameLines(run(true, randomSplit(TTY_STREAM, next, round % 2 === 0 ? 40 : 20_000), PODMAN), TTY_EXPECTED, `random round ${round}`);
  });
});
