// One json-file entry in ANY shape a JSON object can take: the slow path of the decoder.
//
// dockerd writes every entry in one fixed shape, `{"log":…,"stream":…,"time":…}` (with
// `"attrs":{…}` before `time` when the container has --log-opt labels/env/tag), and the decoder
// reads that shape by its fixed suffix without looking at the message. Anything else, keys in
// another order, spaces, `attrs`, a missing `log` (dockerd omits an empty one), comes here: a
// small scanner that walks the object, keeps the three fields it needs and steps over the rest.
import { canonicalTimestamp } from './entry-time.js';
import { decodeJsonString } from './json-string.js';

export interface ParsedEntry {
  /** 0 = stdout, 1 = stderr. */
  stream: 0 | 1;
  /** Canonical `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`. */
  timestamp: string;
  /** The decoded bytes of `log` (empty when the entry has none). */
  log: Buffer;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a;
}

/** Index of the quote closing the string whose first character is at `from`, or -1. */
function stringEnd(buf: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i += 1) {
    const byte = buf[i];
    if (byte === BACKSLASH) i += 1;
    else if (byte === QUOTE) return i;
  }
  return -1;
}

/** Index just after the JSON value starting at `from` (any kind), or -1. */
function valueEnd(buf: Buffer, from: number, end: number): number {
  const first = buf[from];
  if (first === QUOTE) {
    const close = stringEnd(buf, from + 1, end);
    return close < 0 ? -1 : close + 1;
  }
  if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    for (let i = from; i < end; i += 1) {
      const byte = buf[i];
      if (byte === QUOTE) {
        const close = stringEnd(buf, i + 1, end);
        if (close < 0) return -1;
        i = close;
      } else if (byte === 0x7b || byte === 0x5b) {
        depth += 1;
      } else if (byte === 0x7d || byte === 0x5d) {
        depth -= 1;
        if (depth === 0) return i + 1;
      }
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  let i = from;
  while (i < end && buf[i] !== 0x2c && buf[i] !== 0x7d && !isSpace(buf[i])) i += 1;
  return i > from ? i : -1;
}

function keyIs(buf: Buffer, start: number, end: number, key: string): boolean {
  if (end - start !== key.length) return false;
  for (let i = 0; i < key.length; i += 1) if (buf[start + i] !== key.charCodeAt(i)) return false;
  return true;
}

/**
 * Parses the entry buf[start, end) (without its `\n`). Returns the entry, or a sentence saying
 * why it is not one (not an object, no stream, no valid time).
 */
export function parseEntry(buf: Buffer, start: number, end: number): ParsedEntry | string {
  let i = start;
  const skipSpace = (): void => {
    while (i < end && isSpace(buf[i])) i += 1;
  };
  skipSpace();
  if (buf[i] !== 0x7b) return 'not a JSON object';
  i += 1;
  let log: Buffer | undefined;
  let stream: 0 | 1 | undefined;
  let streamText: string | undefined;
  let timestamp: string | undefined;
  let timeText: string | undefined;
  for (;;) {
    skipSpace();
    if (buf[i] === 0x7d) break;
    if (buf[i] !== QUOTE) return 'a key is not a string';
    const keyStart = i + 1;
    const keyEnd = stringEnd(buf, keyStart, end);
    if (keyEnd < 0) return 'an unterminated key';
    i = keyEnd + 1;
    skipSpace();
    if (buf[i] !== 0x3a) return 'no colon after a key';
    i += 1;
    skipSpace();
    const valueStart = i;
    const after = valueEnd(buf, valueStart, end);
    if (after < 0) return 'an unterminated value';
    const isString = buf[valueStart] === QUOTE;
    if (isString && keyIs(buf, keyStart, keyEnd, 'log')) {
      log = decodeJsonString(buf, valueStart + 1, after - 1);
    } else if (isString && keyIs(buf, keyStart, keyEnd, 'stream')) {
      streamText = decodeJsonString(buf, valueStart + 1, after - 1).toString('utf8');
      stream = streamText === 'stdout' ? 0 : streamText === 'stderr' ? 1 : undefined;
    } else if (isString && keyIs(buf, keyStart, keyEnd, 'time')) {
      timeText = decodeJsonString(buf, valueStart + 1, after - 1).toString('utf8');
      timestamp = canonicalTimestamp(timeText);
    }
    i = after;
    skipSpace();
    if (buf[i] === 0x2c) {
      i += 1;
      continue;
    }
    if (buf[i] === 0x7d) break;
    return 'no comma or closing brace after a value';
  }
  if (stream === undefined) return streamText === undefined ? 'no "stream"' : `an unknown stream ${JSON.stringify(streamText.slice(0, 40))}`;
  if (timestamp === undefined) return timeText === undefined ? 'no "time"' : `a time that is not RFC 3339: ${JSON.stringify(timeText.slice(0, 40))}`;
  return { stream, timestamp, log: log ?? Buffer.alloc(0) };
}
