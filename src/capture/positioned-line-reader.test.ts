// Property test of exact positions: a modelled daemon log (shared timestamps, lines written up
// to a millisecond late, long lines in several frames interleaved with the other stream) is read
// through streams that are closed at random bytes and reopened at position(), as rotation does.
// The lines handed on must be exactly the lines of one uninterrupted read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogLine } from '../docker/log-line.js';
import { LogFrameParser } from '../docker/log-frame-parser.js';
import { BEGINNING, timestampMs } from './position.js';
import type { Position } from './position.js';
import { PositionedLineReader } from './positioned-line-reader.js';
import type { LogOpening } from './positioned-line-reader.js';
import { lcgRandom } from '../../test/support/seeded-random.js';

interface Frame {
  bytes: Buffer;
  ms: number;
}

/** A small deterministic PRNG, so a failing seed can be replayed. */
const random = lcgRandom;

const BASE_NS = BigInt(Date.UTC(2026, 10, 28, 5, 0, 0)) * 1_000_000n;

function stamp(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  return `${new Date(ms).toISOString().slice(0, 23)}${String(ns % 1_000_000n).padStart(6, '0')}Z`;
}

function frame(type: 1 | 2, ns: bigint, text: string): Frame {
  const payload = Buffer.from(`${stamp(ns)} ${text}`, 'latin1');
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return { bytes: Buffer.concat([header, payload]), ms: Number(ns / 1_000_000n) };
}

/** A daemon log file (as frames in file order) with every awkward case the contract names. */
function modelLog(rnd: () => number, lines: number): Frame[] {
  const frames: Frame[] = [];
  let ns = BASE_NS;
  // A long line in progress per stream: its remaining parts, all with its first timestamp.
  const open: Array<{ type: 1 | 2; ns: bigint; parts: number; n: number } | undefined> = [undefined, undefined];
  for (let n = 0; n < lines; n += 1) {
    const step = rnd();
    // Shared timestamps; small steps; now and then a pause longer than the late-write window
    // (a slow writer whose long line stays unfinished meanwhile).
    const pause = step < 0.93 ? 3_000_000 : 400_000_000;
    ns += step < 0.3 ? 0n : BigInt(Math.floor(rnd() * (step < 0.6 ? 400_000 : pause)));
    const type: 1 | 2 = rnd() < 0.5 ? 1 : 2;
    const long = open[type - 1];
    if (long) {
      long.parts -= 1;
      frames.push(frame(type, long.ns, long.parts === 0 ? `tail of long ${long.n}\n` : `part of long ${long.n} `));
      if (long.parts === 0) open[type - 1] = undefined;
    } else if (rnd() < 0.08) {
      open[type - 1] = { type, ns, parts: 1 + Math.floor(rnd() * 4), n };
      frames.push(frame(type, ns, `head of long ${n} `));
    } else {
      // Now and then a line stamped up to 200 ms earlier than the newest (the copiers race).
      const late = rnd() < 0.05 ? BigInt(Math.floor(rnd() * (rnd() < 0.5 ? 900_000 : 200_000_000))) : 0n;
      frames.push(frame(type, ns - late, `line ${n}\n`));
    }
  }
  for (const long of open) if (long) frames.push(frame(long.type, long.ns, `tail of long ${long.n}\n`));
  return frames;
}

const describeLine = (line: LogLine): string => `${line.timestamp} ${line.stream} ${line.message.toString('latin1')}`;

/**
 * Every line of the log read in one go, each with its ordinal as event_id defines it (computed
 * here independently): the lines just before it in its stream with the very same timestamp.
 */
function readAll(bytes: Buffer): string[] {
  const lines: string[] = [];
  const last = { stdout: { timestamp: '', run: 0 }, stderr: { timestamp: '', run: 0 } };
  const parser = new LogFrameParser({
    tty: false, maxLineBytes: 1 << 20, onDaemonError: (m) => assert.fail(m),
    onLine: (l) => {
      const stream = last[l.stream];
      stream.run = stream.timestamp === l.timestamp ? stream.run + 1 : 0;
      stream.timestamp = l.timestamp;
      lines.push(`${describeLine(l)} #${stream.run}`);
    },
  });
  parser.push(bytes);
  parser.end();
  return lines;
}

/**
 * Reads the log through streams closed at random bytes; returns what was handed on. With
 * `tails`, each reopening asks for a window of the last N frames, as capture does to spare the
 * daemon a scan of the whole file, and widens it (or falls back to `since`) when the window
 * cannot be proven to reach back to the position.
 */
function readWithRotations(frames: Frame[], rnd: () => number, tails = false): { lines: string[]; reopenings: number; widened: number } {
  const handed: string[] = [];
  let position: Position = BEGINNING;
  let reopenings = 0;
  let widened = 0;
  let tail = 1 + Math.floor(rnd() * 20);
  for (;;) {
    const opening: LogOpening = position.sinceMs === 0 ? { kind: 'beginning' } : tails && tail <= frames.length * 2 ? { kind: 'tail', tail } : { kind: 'since' };
    // What the daemon sends: for since, every frame at or after it, in file order; for a tail
    // window, the last N frames of the file, unfiltered.
    const sent = opening.kind === 'tail' ? frames.slice(Math.max(0, frames.length - opening.tail)) : frames.filter((f) => f.ms >= position.sinceMs);
    const body = Buffer.concat(sent.map((f) => f.bytes));
    let unproven = false;
    const start = position;
    const reader = new PositionedLineReader({
      start,
      opening,
      tty: false,
      maxLineBytes: 1 << 20,
      onLine: (line, after, ordinal) => {
        handed.push(`${describeLine(line)} #${ordinal}`);
        assert.ok(after.sinceMs <= timestampMs(line.timestamp) || after.sinceMs >= start.sinceMs, 'positions move forward');
      },
      onDaemonError: (m) => assert.fail(m),
      onUnproven: () => {
        unproven = true;
      },
    });
    const stopAt = rnd() < 0.15 ? body.length : Math.floor(rnd() * Math.min(body.length, 3000));
    let offset = 0;
    while (offset < stopAt && !unproven) {
      const size = 1 + Math.floor(rnd() * 400);
      const end = Math.min(offset + size, stopAt);
      reader.push(body.subarray(offset, end));
      offset = end;
    }
    if (!unproven && stopAt === body.length) reader.end();
    if (unproven) {
      assert.deepEqual(reader.position(), start, 'an unproven window hands nothing on and keeps the position');
      tail *= 8;
      widened += 1;
      reopenings += 1;
      continue;
    }
    if (stopAt === body.length && opening.kind !== 'tail') return { lines: handed, reopenings, widened };
    if (stopAt === body.length) {
      // A tail window read to its end reached the end of the log too.
      position = reader.position();
      const rest = frames.filter((f) => f.ms >= position.sinceMs);
      if (rest.length === 0 || reader.windowVerdict === 'whole' || reader.windowVerdict === 'proven') return { lines: handed, reopenings, widened };
    }
    reader.discard(); // closed by rotation
    position = reader.position();
    reopenings += 1;
    assert.ok(reopenings < 100_000, 'reading makes progress');
  }
}

describe('PositionedLineReader: close at any byte, reopen at position()', () => {
  it('hands on every line exactly once, in order, with the ordinal of a single reading, over 3,000 modelled logs', () => {
    let totalReopenings = 0;
    let sharedStamps = 0;
    for (let seed = 1; seed <= 3000; seed += 1) {
      const rnd = random(seed);
      const frames = modelLog(rnd, 150);
      const expected = readAll(Buffer.concat(frames.map((f) => f.bytes)));
      sharedStamps += expected.filter((line) => !line.endsWith(' #0')).length;
      const { lines, reopenings } = readWithRotations(frames, rnd);
      totalReopenings += reopenings;
      assert.deepEqual(lines, expected, `seed ${seed}`);
    }
    assert.ok(totalReopenings > 1000, `streams were really closed and reopened (${totalReopenings})`);
    assert.ok(sharedStamps > 10_000, `many lines share their stamp with the one before (${sharedStamps})`);
  });

  it('hands on every line exactly once through tail windows too, widening windows that do not reach back', () => {
    let totalReopenings = 0;
    let totalWidened = 0;
    for (let seed = 1; seed <= 3000; seed += 1) {
      const rnd = random(seed);
      const frames = modelLog(rnd, 150);
      const expected = readAll(Buffer.concat(frames.map((f) => f.bytes)));
      const { lines, reopenings, widened } = readWithRotations(frames, rnd, true);
      totalReopenings += reopenings;
      totalWidened += widened;
      assert.deepEqual(lines, expected, `seed ${seed}`);
    }
    assert.ok(totalReopenings > 1000, `streams were really closed and reopened (${totalReopenings})`);
    assert.ok(totalWidened > 100, `windows were really too short at times (${totalWidened})`);
  });

  it('skips exactly the lines consumed before, and reports the start while skipping', () => {
    const frames = [frame(1, BASE_NS, 'a\n'), frame(2, BASE_NS, 'b\n'), frame(1, BASE_NS, 'c\n')];
    const got: string[] = [];
    const start = { sinceMs: Number(BASE_NS / 1_000_000n), skip: 2 };
    const reader = new PositionedLineReader({ start, tty: false, maxLineBytes: 1024, onLine: (l) => got.push(l.message.toString()), onDaemonError: (m) => assert.fail(m) });
    reader.push(Buffer.concat([frames[0]?.bytes ?? Buffer.alloc(0)]));
    assert.deepEqual(reader.position(), start, 'still skipping');
    reader.push(Buffer.concat(frames.slice(1).map((f) => f.bytes)));
    assert.deepEqual(got, ['c']);
    assert.deepEqual(reader.position(), { sinceMs: start.sinceMs, skip: 3 });
  });

  it('stops skipping at a line newer than any consumed one: the daemon rotated the skipped lines away', () => {
    // The position counts 5 lines from since, but the daemon deleted the file that held most of
    // them: only 2 come back before a line 300 ms newer than since (beyond the late-write window,
    // so never consumed).
    const sinceMs = Number(BASE_NS / 1_000_000n);
    const at = (ms: number): bigint => BASE_NS + BigInt(ms) * 1_000_000n;
    const frames = [frame(1, at(100), 'kept 4\n'), frame(1, at(120), 'kept 5\n'), frame(1, at(300), 'new 6\n'), frame(2, at(301), 'new 7\n')];
    const got: string[] = [];
    const missing: number[] = [];
    const reader = new PositionedLineReader({
      start: { sinceMs, skip: 5 }, tty: false, maxLineBytes: 1024,
      onLine: (l) => got.push(l.message.toString()), onDaemonError: (m) => assert.fail(m), onPositionRotatedAway: (n) => missing.push(n),
    });
    reader.push(Buffer.concat(frames.map((f) => f.bytes)));
    assert.deepEqual(got, ['new 6', 'new 7']);
    assert.deepEqual(missing, [3]);
  });

  void describe('tail windows: when a window may stand for `since`', () => {
    const MS = (ms: number): bigint => BASE_NS + BigInt(ms) * 1_000_000n;
    const sinceMs = Number(BASE_NS / 1_000_000n) + 1900;

    function read(window: Frame[], tail: number, end = true): { got: string[]; unproven: boolean; verdict: string | undefined } {
      const got: string[] = [];
      let unproven = false;
      const reader = new PositionedLineReader({
        start: { sinceMs, skip: 0 }, opening: { kind: 'tail', tail }, tty: false, maxLineBytes: 1024,
        onLine: (l) => got.push(l.message.toString()), onDaemonError: (m) => assert.fail(m), onUnproven: () => { unproven = true; },
      });
      reader.push(Buffer.concat(window.map((f) => f.bytes)));
      if (end && !unproven) reader.end();
      return { got, unproven, verdict: reader.windowVerdict };
    }

    void it('does not trust the first line of a stream: it may be the end of a long line with an older timestamp', () => {
      // File order: a long stdout line begins (t=1000), a stderr line (t=2000), the long line ends
      // (its last frame carries t=1000), another stderr line. A window of the last two frames
      // starts with that last frame: trusting its old timestamp would lose the t=2000 line.
      const window = [frame(1, MS(1000), 'end of the long line\n'), frame(2, MS(2100), 'z\n')];
      const { got, unproven } = read(window, 2);
      assert.equal(unproven, true);
      assert.deepEqual(got, []);
    });

    void it('allows for the late-write skew: a proving line must be older than since by more than the window', () => {
      // File order: a stderr line (t=2000), then two stdout lines, the second written 100 ms late
      // (t=1800). Since is 1900: the late line is older than since, but the stderr line before
      // the window is not, so the window [a, f] must not stand for since.
      const window = [frame(1, MS(1000), 'a\n'), frame(1, MS(1800), 'f\n')];
      const { got, unproven } = read(window, 2);
      assert.equal(unproven, true);
      assert.deepEqual(got, []);
    });

    void it('is proven by a second line of a stream older than since minus the window, and then drops what since would', () => {
      const window = [frame(1, MS(1000), 'old a\n'), frame(1, MS(1100), 'old b\n'), frame(2, MS(1950), 'new c\n'), frame(1, MS(2000), 'new d\n')];
      const { got, unproven, verdict } = read(window, 4, false);
      assert.equal(unproven, false);
      assert.equal(verdict, 'proven');
      assert.deepEqual(got, ['new c', 'new d']);
    });

    void it('a window that ends with fewer entries than asked for is the whole log; with as many it cannot be told', () => {
      const window = [frame(1, MS(1950), 'only\n')];
      const whole = read(window, 2);
      assert.equal(whole.verdict, 'whole');
      assert.deepEqual(whole.got, ['only']);
      const full = read(window, 1);
      assert.equal(full.verdict, 'unproven');
      assert.equal(full.unproven, true);
      assert.deepEqual(full.got, []);
    });
  });
});
