// Builds the bytes of `GET /containers/{id}/logs?timestamps=1` responses, runs LogFrameParser
// over them split in any way, and compares the lines; and reads the daemons' real bytes saved in
// src/docker/fixtures/. Shared by the parser's unit tests.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { LogFrameParser } from '../../src/docker/log-frame-parser.js';
import type { LogFraming } from '../../src/docker/log-frame-parser.js';
import type { LogLine } from '../../src/docker/log-line.js';
import { seededRandom } from './seeded-random.js';

export const KIB16 = 16 * 1024;

/** Docker's form: `2026-11-28T01:43:21.000000001Z` for 1. */
export function ts(n: number): string {
  return `2026-11-28T01:43:21.${String(n).padStart(9, '0')}Z`;
}

export function frame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** A log frame: `TIMESTAMP SPACE text` plus `\n` when it completes a line. */
export function logFrame(type: number, timestamp: string, text: Buffer | string, complete = true): Buffer {
  return frame(type, Buffer.concat([Buffer.from(`${timestamp} `, 'latin1'), Buffer.from(text), complete ? Buffer.from('\n') : Buffer.alloc(0)]));
}

export function ttyEntry(timestamp: string, bytes: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp} `, 'latin1'), Buffer.from(bytes)]);
}

/** A line with a long message split the way Docker splits it: 16 KiB parts, last one with `\n`. */
export function longLineFrames(type: number, timestamp: string, message: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < message.length; at += KIB16) {
    const part = message.subarray(at, at + KIB16);
    frames.push(logFrame(type, timestamp, part, at + KIB16 >= message.length));
  }
  return frames;
}

export interface SeenLine {
  timestamp: string;
  stream: string;
  message: Buffer;
  truncated: boolean;
  chunks: number;
  /** Only when it differs from `timestamp` (see LogLine). Not compared by assertSameLines. */
  lastPartTimestamp?: string;
}

export interface Outcome {
  lines: SeenLine[];
  errors: string[];
}

export type Finish = 'end' | 'discard' | 'none';

export interface RunOptions {
  finish?: Finish;
  maxLineBytes?: number;
  framing?: LogFraming;
}

/** Feeds `pieces` to a parser; `tty` decides the line endings and, without `framing`, the format. */
export function run(tty: boolean, pieces: Buffer[], options: RunOptions = {}): Outcome & { parser: LogFrameParser } {
  const { finish = 'end', maxLineBytes = 1024 * 1024, framing } = options;
  const lines: SeenLine[] = [];
  const errors: string[] = [];
  const parser = new LogFrameParser({
    tty,
    ...(framing === undefined ? {} : { framing }),
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

export function line(timestamp: string, stream: string, message: Buffer | string, chunks = 1, truncated = false): SeenLine {
  return { timestamp, stream, message: Buffer.from(message), truncated, chunks };
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing split can be reproduced. */
export const random = seededRandom;

export function randomSplit(stream: Buffer, next: () => number, maxPiece: number): Buffer[] {
  const pieces: Buffer[] = [];
  let at = 0;
  while (at < stream.length) {
    const size = 1 + Math.floor(next() * maxPiece);
    pieces.push(stream.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

/** The stream in two pieces at `at`. */
export function splitAt(stream: Buffer, at: number): Buffer[] {
  return [stream.subarray(0, at), stream.subarray(at)];
}

function sameLine(a: SeenLine, b: SeenLine): boolean {
  return a.timestamp === b.timestamp && a.stream === b.stream && a.truncated === b.truncated && a.chunks === b.chunks && a.message.equals(b.message);
}

/** Compares without printing megabytes when it fails. */
export function assertSameLines(actual: Outcome, expected: Outcome, context: string): void {
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

/** A daemon's exact response body saved in src/docker/fixtures/ (see the README there). */
export function fixture(name: string): Buffer {
  return gunzipSync(readFileSync(new URL(`../../src/docker/fixtures/${name}.bin.gz`, import.meta.url)));
}
