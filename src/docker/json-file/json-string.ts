// The bytes of a JSON string, decoded exactly as dockerd's Go `encoding/json` decodes the `log`
// value before the API route sends it. Being Go-exact is what makes the file route return the
// same bytes as the API for every input, including the ones json-file writes for odd output:
//
//   - dockerd's encoder writes invalid UTF-8 as `\ufffd` (one per bad byte), control characters
//     as `\u00XX`, `\n` `\r` `\"` `\\`, `<>&` as `\u003c…`, U+2028/9 escaped, all else raw UTF-8;
//   - `\uD83D\uDE00` (a surrogate pair) is one character; a surrogate that is not half of a pair
//     becomes U+FFFD and the escape after it is read on its own (Go's utf16.DecodeRune rule);
//   - raw bytes that are not valid UTF-8 (a hand-made or damaged file) become U+FFFD, ONE PER
//     BYTE (Go's utf8.DecodeRune consumes a single byte of a bad sequence), not one per
//     maximal subpart as TextDecoder would.
//
// Where Go would reject the whole entry (an unknown escape, a raw control character or quote)
// this decoder keeps the bytes as they are: a damaged entry still loses nothing.

let scratch = Buffer.allocUnsafe(64 * 1024);

const REPLACEMENT = [0xef, 0xbf, 0xbd] as const;

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}

/** The code unit of `\uXXXX` at `at` (which holds the backslash), or -1 (Go's getu4). */
function readU4(buf: Buffer, at: number, end: number): number {
  if (at + 6 > end || buf[at] !== 0x5c || buf[at + 1] !== 0x75) return -1;
  const a = hexValue(buf[at + 2]);
  const b = hexValue(buf[at + 3]);
  const c = hexValue(buf[at + 4]);
  const d = hexValue(buf[at + 5]);
  if (a < 0 || b < 0 || c < 0 || d < 0) return -1;
  return (a << 12) | (b << 8) | (c << 4) | d;
}

/** Length of the valid UTF-8 sequence at `at`, or 0 when it is not one (Go's utf8.DecodeRune rules). */
function utf8SequenceLength(buf: Buffer, at: number, end: number): number {
  const lead = buf[at] as number;
  const cont = (i: number, low = 0x80, high = 0xbf): boolean => {
    if (at + i >= end) return false;
    const byte = buf[at + i] as number;
    return byte >= low && byte <= high;
  };
  if (lead >= 0xc2 && lead <= 0xdf) return cont(1) ? 2 : 0;
  if (lead === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (lead === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (lead >= 0xe1 && lead <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (lead === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (lead >= 0xf1 && lead <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (lead === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

function writeCodePoint(out: Buffer, w: number, cp: number): number {
  if (cp < 0x80) {
    out[w] = cp;
    return w + 1;
  }
  if (cp < 0x800) {
    out[w] = 0xc0 | (cp >> 6);
    out[w + 1] = 0x80 | (cp & 0x3f);
    return w + 2;
  }
  if (cp < 0x10000) {
    out[w] = 0xe0 | (cp >> 12);
    out[w + 1] = 0x80 | ((cp >> 6) & 0x3f);
    out[w + 2] = 0x80 | (cp & 0x3f);
    return w + 3;
  }
  out[w] = 0xf0 | (cp >> 18);
  out[w + 1] = 0x80 | ((cp >> 12) & 0x3f);
  out[w + 2] = 0x80 | ((cp >> 6) & 0x3f);
  out[w + 3] = 0x80 | (cp & 0x3f);
  return w + 4;
}

const SIMPLE_ESCAPES: Record<number, number> = {
  0x22: 0x22, // \"
  0x5c: 0x5c, // \\
  0x2f: 0x2f, // \/
  0x27: 0x27, // \' (Go's unquote takes it)
  0x62: 0x08, // \b
  0x66: 0x0c, // \f
  0x6e: 0x0a, // \n
  0x72: 0x0d, // \r
  0x74: 0x09, // \t
};

/**
 * Decodes buf[start, end), the characters between the quotes of a JSON string, into a new
 * Buffer of its bytes. `rawIsUtf8` says the raw bytes are known to be valid UTF-8 (checked for
 * a whole read at once), so multi-byte characters are copied without being looked at.
 */
export function decodeJsonString(buf: Buffer, start: number, end: number, rawIsUtf8 = false): Buffer {
  // Every input byte yields at most 3 output bytes (a bad raw byte becomes U+FFFD).
  const need = (end - start) * 3;
  if (scratch.length < need) scratch = Buffer.allocUnsafe(Math.max(need, scratch.length * 2));
  const out = scratch;
  let w = 0;
  let r = start;
  while (r < end) {
    const c = buf[r] as number;
    if (c !== 0x5c && (c < 0x80 || rawIsUtf8)) {
      out[w++] = c;
      r += 1;
      continue;
    }
    if (c >= 0x80) {
      const length = utf8SequenceLength(buf, r, end);
      if (length === 0) {
        out[w++] = REPLACEMENT[0];
        out[w++] = REPLACEMENT[1];
        out[w++] = REPLACEMENT[2];
        r += 1;
      } else {
        for (let i = 0; i < length; i += 1) out[w++] = buf[r + i] as number;
        r += length;
      }
      continue;
    }
    // A backslash.
    const next = buf[r + 1];
    const simple = next === undefined || r + 1 >= end ? undefined : SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out[w++] = simple;
      r += 2;
      continue;
    }
    const unit = next === 0x75 ? readU4(buf, r, end) : -1;
    if (unit < 0) {
      out[w++] = c; // not an escape Go knows: kept as it is
      r += 1;
      continue;
    }
    r += 6;
    if (unit >= 0xd800 && unit <= 0xdfff) {
      const low = readU4(buf, r, end);
      if (unit <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
        w = writeCodePoint(out, w, 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00));
        r += 6;
      } else {
        w = writeCodePoint(out, w, 0xfffd);
      }
      continue;
    }
    w = writeCodePoint(out, w, unit);
  }
  const result = Buffer.allocUnsafe(w);
  out.copy(result, 0, 0, w);
  return result;
}
