// Property test of exact positions on a modelled Podman 4: every part of a line is stamped to the
// second on the wire but filtered by its real nanosecond time (`since` exclusive, an RFC 3339
// `since` read exactly), the parts of a long line are stamped separately (one per read of the
// container's pipe, the `\n` sometimes alone in the last one), stdout and stderr interleave, and
// TTY lines come framed (the /libpod/ endpoint) ending in `\r\n`, cut anywhere, `\r` and `\n`
// apart included. The log is read through streams closed at random bytes and reopened at
// position(), as rotation does: every line must come out exactly once, in order, with the stamp
// of its first part. A control reads the same logs with Docker's positions (1 ms, `since` as
// SECONDS.NANOS, which Podman reads as a float) and must go wrong, so the test can fail.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogFrameParser } from '../docker/log-frame-parser.js';
import type { LogLine } from '../docker/log-line.js';
import { BEGINNING, sinceParam } from './position.js';
import type { Position, SinceStyle, StampResolutionMs } from './position.js';
import { PositionedLineReader } from './positioned-line-reader.js';
import { lcgRandom } from '../../test/support/seeded-random.js';

/** A small deterministic PRNG, so a failing seed can be replayed. */
const random = lcgRandom;

/** One entry of the k8s-file: one read of the container's pipe or terminal. */
interface Entry {
  type: 1 | 2;
  /** Real time, ns since the epoch (what `since` is compared with). */
  ns: bigint;
  /** The bytes of the read (ending in `\n` when it completes a line). */
  text: string;
}

const BASE_NS = BigInt(Date.UTC(2026, 10, 29, 0, 33, 0)) * 1_000_000_000n / 1000n + 123_456_789n;

/** Podman 4.3's wire stamp of a real time: whole seconds, `Z` or the host's offset. */
function wireStamp(ns: bigint, offsetHours: number): string {
  const ms = Number(ns / 1_000_000n);
  if (offsetHours === 0) return `${new Date(ms).toISOString().slice(0, 19)}Z`;
  const local = new Date(ms + offsetHours * 3_600_000).toISOString().slice(0, 19);
  return `${local}${offsetHours > 0 ? '+' : '-'}${String(Math.abs(offsetHours)).padStart(2, '0')}:00`;
}

function frameOf(entry: Entry, offsetHours: number): Buffer {
  const payload = Buffer.from(`${wireStamp(entry.ns, offsetHours)} ${entry.text}`, 'latin1');
  const header = Buffer.alloc(8);
  header[0] = entry.type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/**
 * A k8s-file in file order. Real times only grow (conmon is the only writer, and stamps each
 * read when it writes it); many entries share a second, and now and then the writer pauses past
 * one or more seconds, also in the middle of a long line.
 */
function modelLog(rnd: () => number, lines: number, tty: boolean): Entry[] {
  const entries: Entry[] = [];
  let ns = BASE_NS + BigInt(Math.floor(rnd() * 1e9));
  const eol = tty ? '\r\n' : '\n';
  const open: Array<{ parts: number; n: number; crSplit: boolean } | undefined> = [undefined, undefined];
  const advance = (): void => {
    const step = rnd();
    ns += step < 0.5 ? BigInt(Math.floor(rnd() * 300_000)) : step < 0.9 ? BigInt(Math.floor(rnd() * 30_000_000)) : BigInt(Math.floor(300_000_000 + rnd() * 2_200_000_000));
    ns += 1n; // two reads are never at the same nanosecond
  };
  for (let n = 0; n < lines; n += 1) {
    advance();
    const type: 1 | 2 = tty || rnd() < 0.5 ? 1 : 2;
    const long = open[type - 1];
    if (long) {
      long.parts -= 1;
      if (long.parts > 0) {
        entries.push({ type, ns, text: `part of long ${long.n} ` });
      } else if (long.crSplit) {
        // A read that ended between the `\r` and the `\n` (TTY), or a `\n` written on its own.
        entries.push({ type, ns, text: tty ? `tail of long ${long.n}\r` : `tail of long ${long.n}` });
        advance();
        entries.push({ type, ns, text: '\n' });
        open[type - 1] = undefined;
      } else {
        entries.push({ type, ns, text: `tail of long ${long.n}${eol}` });
        open[type - 1] = undefined;
      }
    } else if (rnd() < 0.12) {
      open[type - 1] = { parts: 1 + Math.floor(rnd() * 4), n, crSplit: rnd() < 0.3 };
      entries.push({ type, ns, text: `head of long ${n} ` });
    } else {
      entries.push({ type, ns, text: `line ${n}${eol}` });
    }
  }
  for (const [index, long] of open.entries()) {
    if (long) {
      advance();
      entries.push({ type: (index + 1) as 1 | 2, ns, text: `tail of long ${long.n}${eol}` });
    }
  }
  // Now and then the container was killed mid-line: its last entry has no newline.
  if (rnd() < 0.2) {
    advance();
    entries.push({ type: 1, ns, text: 'killed mid-li' });
  }
  return entries;
}

/** RFC 3339 with up to nine fraction digits and `Z`, as Podman parses it: exact to the ns. */
function rfc3339Ns(text: string): bigint {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!match) throw new Error(`not an RFC 3339 UTC time: ${text}`);
  return BigInt(Date.parse(`${match[1] as string}Z`)) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/**
 * What Podman 4.3 returns for `since`: the entries whose real time is AFTER it. An RFC 3339
 * `since` is exact; anything else is parsed as a float64 number of seconds (~240 ns near 2026).
 */
function podmanSince(since: string): bigint {
  if (since.includes('T')) return rfc3339Ns(since);
  const seconds = Number(since);
  const whole = Math.floor(seconds);
  return BigInt(whole) * 1_000_000_000n + BigInt(Math.round((seconds - whole) * 1e9));
}

const describeLine = (line: LogLine): string => `${line.timestamp} ${line.stream} ${JSON.stringify(line.message.toString('latin1'))}`;

function readAll(entries: Entry[], tty: boolean, offsetHours: number): string[] {
  const lines: string[] = [];
  const parser = new LogFrameParser({ tty, framing: 'multiplexed', maxLineBytes: 1 << 20, onLine: (l) => lines.push(describeLine(l)), onDaemonError: (m) => assert.fail(m) });
  parser.push(Buffer.concat(entries.map((e) => frameOf(e, offsetHours))));
  parser.end();
  return lines;
}

interface Reading {
  resolutionMs: StampResolutionMs;
  since: SinceStyle;
}

const PODMAN: Reading = { resolutionMs: 1000, since: 'podman' };
const AS_IF_DOCKER: Reading = { resolutionMs: 1, since: 'docker' };

/** Reads the log through streams closed at random bytes, each reopened at the last one's position(). */
function readWithRotations(entries: Entry[], rnd: () => number, tty: boolean, offsetHours: number, reading: Reading): { lines: string[]; reopenings: number } {
  const handed: string[] = [];
  let position: Position = BEGINNING;
  let reopenings = 0;
  for (;;) {
    const from = position.sinceMs === 0 ? -1n : podmanSince(sinceParam(position, reading.since));
    const body = Buffer.concat(entries.filter((e) => e.ns > from).map((e) => frameOf(e, offsetHours)));
    const reader = new PositionedLineReader({
      start: position,
      opening: position.sinceMs === 0 ? { kind: 'beginning' } : { kind: 'since' },
      tty,
      framing: 'multiplexed',
      resolutionMs: reading.resolutionMs,
      maxLineBytes: 1 << 20,
      onLine: (line) => handed.push(describeLine(line)),
      onDaemonError: (m) => assert.fail(m),
    });
    const stopAt = rnd() < 0.15 ? body.length : Math.floor(rnd() * Math.min(body.length, 2500));
    for (let offset = 0; offset < stopAt;) {
      const end = Math.min(offset + 1 + Math.floor(rnd() * 300), stopAt);
      reader.push(body.subarray(offset, end));
      offset = end;
    }
    if (stopAt === body.length) {
      reader.end();
      return { lines: handed, reopenings };
    }
    reader.discard(); // closed by rotation
    const next = reader.position();
    if (reading === PODMAN) assert.equal(next.sinceMs % 1000, 0, 'positions are whole seconds');
    position = next;
    reopenings += 1;
    assert.ok(reopenings < 100_000, 'reading makes progress');
  }
}

void describe('PositionedLineReader on Podman 4 (stamps to the second, since by real time, parts stamped apart)', () => {
  void it('hands on every line exactly once, in order, over 3,000 modelled logs closed at random bytes', () => {
    let reopenings = 0;
    let straddling = 0;
    for (let seed = 1; seed <= 3000; seed += 1) {
      const rnd = random(seed);
      const tty = seed % 3 === 0;
      const offsetHours = seed % 7 === 0 ? 1 : 0;
      const entries = modelLog(rnd, 150, tty);
      const expected = readAll(entries, tty, offsetHours);
      const result = readWithRotations(entries, rnd, tty, offsetHours, PODMAN);
      reopenings += result.reopenings;
      assert.deepEqual(result.lines, expected, `seed ${seed}`);
      // How often a line's parts straddled a second: the case that needs the last part's stamp.
      straddling += expected.length > 0 ? countStraddling(entries) : 0;
    }
    assert.ok(reopenings > 1000, `streams were really closed and reopened (${reopenings})`);
    assert.ok(straddling > 1000, `lines whose parts lie in different seconds were really there (${straddling})`);
  });

  void it('control: the same logs read with Docker\'s positions (ms, since as a float) lose or repeat lines', () => {
    let wrong = 0;
    for (let seed = 1; seed <= 300; seed += 1) {
      const rnd = random(seed);
      const entries = modelLog(rnd, 150, false);
      const expected = readAll(entries, false, 0);
      if (JSON.stringify(readWithRotations(entries, rnd, false, 0, AS_IF_DOCKER).lines) !== JSON.stringify(expected)) wrong += 1;
    }
    assert.ok(wrong > 30, `Docker's positions went wrong on ${wrong} of 300 Podman logs`);
  });

  void it('a line whose parts lie in two seconds, consumed before the stream closed, is not handed on again cut to its later part', () => {
    // stdout: `head ` at 10.9 s, `tail\n` at 11.2 s; then stderr `next\n` at 11.3 s. Closed after
    // both lines: the position is second 10 or 11; reopened at 11 Podman returns `tail\n` alone,
    // which must be skipped as the line it ends.
    const at = (ms: number): bigint => BASE_NS - (BASE_NS % 1_000_000_000n) + BigInt(ms) * 1_000_000n;
    const entries: Entry[] = [{ type: 1, ns: at(10_900), text: 'head ' }, { type: 1, ns: at(11_200), text: 'tail\n' }, { type: 2, ns: at(11_300), text: 'next\n' }];
    const got: string[] = [];
    const first = new PositionedLineReader({ start: BEGINNING, opening: { kind: 'beginning' }, tty: false, resolutionMs: 1000, maxLineBytes: 1024, onLine: (l) => got.push(l.message.toString()), onDaemonError: (m) => assert.fail(m) });
    first.push(Buffer.concat(entries.map((e) => frameOf(e, 0))));
    first.discard();
    const position = first.position();
    assert.equal(position.sinceMs % 1000, 0);
    const from = podmanSince(sinceParam(position, 'podman'));
    const again = new PositionedLineReader({ start: position, tty: false, resolutionMs: 1000, maxLineBytes: 1024, onLine: (l) => got.push(l.message.toString()), onDaemonError: (m) => assert.fail(m) });
    again.push(Buffer.concat(entries.filter((e) => e.ns > from).map((e) => frameOf(e, 0))));
    again.end();
    assert.deepEqual(got, ['head tail', 'next']);
  });

  void it('sends Podman an exact RFC 3339 since, 1 ns before the position', () => {
    assert.equal(sinceParam({ sinceMs: Date.UTC(2026, 10, 29, 0, 53, 5), skip: 3 }, 'podman'), '2026-11-29T00:53:04.999999999Z');
    assert.equal(sinceParam({ sinceMs: Date.UTC(2026, 10, 29, 0, 53, 5, 598), skip: 0 }, 'podman'), '2026-11-29T00:53:05.597999999Z');
    assert.equal(sinceParam(BEGINNING, 'podman'), '0');
  });
});

/** Lines of the log whose first and last parts are stamped in different seconds. */
function countStraddling(entries: Entry[]): number {
  const firstSecond: Array<bigint | undefined> = [undefined, undefined];
  let count = 0;
  for (const entry of entries) {
    const second = entry.ns / 1_000_000_000n;
    const index = entry.type - 1;
    firstSecond[index] ??= second;
    if (entry.text.endsWith('\n')) {
      if (firstSecond[index] !== second) count += 1;
      firstSecond[index] = undefined;
    }
  }
  return count;
}
