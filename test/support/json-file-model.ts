// A model of what dockerd (moby 20.10) does with a container's output, written from its source
// and checked against the real daemon here, for unit tests of the json-file route:
//
//   - the log copier cuts a line into entries of 16384 bytes (the last piece carries the rest and
//     the `\n`; a line of exactly 16384 bytes gets a last piece that is just "\n"); every piece
//     carries the first piece's time; output ended without `\n` is one last piece without it;
//   - json-file writes each entry as {"log":…,"stream":…,("attrs":…,)"time":…} with its own
//     string encoder (invalid UTF-8 -> `\ufffd` per bad byte; `\n` `\r` `\"` `\\`; other control
//     characters, <, >, & as `\u00XX`; U+2028/9 escaped; the rest raw) and Go's RFC3339Nano time
//     (trailing zeros of the fraction dropped);
//   - the API route decodes each entry and sends `TIME(fixed, 9 digits) SP bytes` as one
//     multiplexed frame, or the same bytes back to back on a TTY.
// Both renderings come from the same entries, so the API route's parser can be the oracle for
// the file route's decoder in pure unit tests.
import { lcgRandom } from './seeded-random.js';

export interface ModelEntry {
  stream: 'stdout' | 'stderr';
  /** Nanoseconds since the epoch. */
  ns: bigint;
  /** The raw bytes of this piece, `\n` included when it ends the line. */
  bytes: Buffer;
  /** Raw `attrs` object text, when the container has labels/env/tag log options. */
  attrs?: string;
}

export const PIECE_BYTES = 16 * 1024;

/** The entries the copier makes of one line (`text` without its `\n`; `ended` = it had one). */
export function lineEntries(stream: 'stdout' | 'stderr', ns: bigint, text: Buffer, ended = true): ModelEntry[] {
  const entries: ModelEntry[] = [];
  let at = 0;
  while (text.length - at >= PIECE_BYTES) {
    entries.push({ stream, ns, bytes: text.subarray(at, at + PIECE_BYTES) });
    at += PIECE_BYTES;
  }
  if (ended) entries.push({ stream, ns, bytes: Buffer.concat([text.subarray(at), Buffer.from('\n')]) });
  else if (at < text.length) entries.push({ stream, ns, bytes: text.subarray(at) });
  return entries;
}

/** Length of the valid UTF-8 sequence at `at`, 0 if none (Go's utf8.DecodeRune), written apart from the code under test. */
function validSequence(bytes: Buffer, at: number): number {
  const b0 = bytes[at] as number;
  const inRange = (i: number, lo: number, hi: number): boolean => at + i < bytes.length && (bytes[at + i] as number) >= lo && (bytes[at + i] as number) <= hi;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) return inRange(1, 0x80, 0xbf) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return inRange(1, lo, hi) && inRange(2, 0x80, 0xbf) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return inRange(1, lo, hi) && inRange(2, 0x80, 0xbf) && inRange(3, 0x80, 0xbf) ? 4 : 0;
  }
  return 0;
}

/** moby's ffjsonWriteJSONBytesAsString. */
export function mobyJsonString(bytes: Buffer): string {
  const out: string[] = ['"'];
  let i = 0;
  let plain = 0; // start of a run of bytes written as they are
  const flush = (): void => {
    if (plain < i) out.push(bytes.toString('utf8', plain, i));
  };
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      if (b >= 0x20 && b !== 0x5c && b !== 0x22 && b !== 0x3c && b !== 0x3e && b !== 0x26) {
        i += 1;
        continue;
      }
      flush();
      if (b === 0x5c || b === 0x22) out.push(`\\${String.fromCharCode(b)}`);
      else if (b === 0x0a) out.push('\\n');
      else if (b === 0x0d) out.push('\\r');
      else out.push(`\\u00${b.toString(16).padStart(2, '0')}`);
      i += 1;
      plain = i;
      continue;
    }
    const length = validSequence(bytes, i);
    if (length === 0) {
      flush();
      out.push('\\ufffd');
      i += 1;
      plain = i;
      continue;
    }
    const lineSeparator = length === 3 && bytes[i] === 0xe2 && bytes[i + 1] === 0x80 && (bytes[i + 2] === 0xa8 || bytes[i + 2] === 0xa9);
    if (lineSeparator) {
      flush();
      out.push(bytes[i + 2] === 0xa8 ? '\\u2028' : '\\u2029');
      i += 3;
      plain = i;
      continue;
    }
    i += length;
  }
  flush();
  out.push('"');
  return out.join('');
}

/** The bytes Go's decoder gives back for what mobyJsonString wrote: bad bytes become U+FFFD, one each. */
export function sanitizedBytes(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length * 3);
  let w = 0;
  let i = 0;
  while (i < bytes.length) {
    const length = validSequence(bytes, i);
    if (length === 0) {
      out[w++] = 0xef;
      out[w++] = 0xbf;
      out[w++] = 0xbd;
      i += 1;
    } else {
      bytes.copy(out, w, i, i + length);
      w += length;
      i += length;
    }
  }
  return out.subarray(0, w);
}

/** Go's RFC3339Nano in UTC: the fraction without trailing zeros, none at all when zero. */
export function goRfc3339Nano(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  const fraction = String(ns % 1_000_000_000n).padStart(9, '0').replace(/0+$/, '');
  return fraction.length > 0 ? `${base}.${fraction}Z` : `${base}Z`;
}

/** RFC3339NanoFixed, the API route's timestamp text. */
export function fixedTimestamp(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
}

/** One line of the json-file, `\n` included. */
export function jsonFileLine(entry: ModelEntry): string {
  const attrs = entry.attrs === undefined ? '' : `,"attrs":${entry.attrs}`;
  const log = entry.bytes.length > 0 ? `"log":${mobyJsonString(entry.bytes)},` : '';
  return `{${log}"stream":"${entry.stream}"${attrs},"time":"${goRfc3339Nano(entry.ns)}"}\n`;
}

export function jsonFileBytes(entries: readonly ModelEntry[]): Buffer {
  return Buffer.from(entries.map(jsonFileLine).join(''), 'utf8');
}

/** What GET /containers/{id}/logs?timestamps=1 sends for these entries. */
export function apiBytes(entries: readonly ModelEntry[], tty: boolean): Buffer {
  const chunks: Buffer[] = [];
  for (const entry of entries) {
    const payload = Buffer.concat([Buffer.from(`${fixedTimestamp(entry.ns)} `, 'latin1'), sanitizedBytes(entry.bytes)]);
    if (!tty) {
      const header = Buffer.alloc(8);
      header[0] = entry.stream === 'stderr' ? 2 : 1;
      header.writeUInt32BE(payload.length, 4);
      chunks.push(header);
    }
    chunks.push(payload);
  }
  return Buffer.concat(chunks);
}

/** A small deterministic PRNG, so a failing seed can be replayed. */
export const random = lcgRandom;
