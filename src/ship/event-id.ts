// The `event_id` of a record: a name for the log line, not for the reading of it.
//
// After a SIGKILL we ship up to one checkpoint interval of lines again (nothing is lost, some
// lines arrive twice). A line read again gets the same id, so an idempotent sink (Vector's
// `dedupe` transform, an Elasticsearch `_id`, ClickHouse's ReplacingMergeTree) keeps it once.
//
// Definition (documented in README.md, so that anyone can recompute it):
//   the first 16 hex digits of MurmurHash3 x86 128-bit, seed 0, over the UTF-8 text
//   `<container id>\n<timestamp>\n<stream>\n<ordinal>`
// where timestamp is the record's `timestamp` field (Docker's nanoseconds, canonical UTC form),
// stream is `stdout` or `stderr`, and ordinal (decimal) counts the lines just before it in the
// same container and stream that carry the very same timestamp (0 for nearly every Docker line;
// Podman 4 stamps to the second, so there it counts within the second). The ordinal comes from
// capture (src/capture/positioned-line-reader.ts), which counts it the same on every reading.
// Those four values name one line of one container.
//
// Why MurmurHash3: a well-studied non-cryptographic hash whose 32-bit arithmetic is native to
// JavaScript (no BigInt on the per-line path), with implementations in every language users
// might check an id from. 64 bits make an accidental collision among a billion lines of one
// container about a 3 % chance, among a million lines about 3 in 100 million. An id is not a
// secret and not a defence against crafted collisions: a container can only shape its messages,
// which are not part of the input.

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

/** Room for the usual input (64-hex id, 30-char timestamp, stream, ordinal); longer text takes the slow path. */
const scratch = new Uint8Array(256);

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function word(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16) | ((bytes[at + 3] as number) << 24));
}

const HEX_BYTE = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function hex8(h: number): string {
  return (HEX_BYTE[h >>> 24] as string) + (HEX_BYTE[(h >>> 16) & 0xff] as string) + (HEX_BYTE[(h >>> 8) & 0xff] as string) + (HEX_BYTE[h & 0xff] as string);
}

/**
 * MurmurHash3_x86_128 (seed 0) of bytes[0, length): the whole 128 bits as 32 hex digits, in the
 * order of the reference implementation's h1..h4.
 */
export function murmur3x86Hash128(bytes: Uint8Array, length = bytes.length): string {
  const [h1, h2, h3, h4] = murmur3x86(bytes, length);
  return hex8(h1) + hex8(h2) + hex8(h3) + hex8(h4);
}

type State = [number, number, number, number];

/** Mixes the 16-byte blocks of bytes[from, to) into state (to - from is a multiple of 16). */
function mixBlocks(state: State, bytes: Uint8Array, from: number, to: number): void {
  let [h1, h2, h3, h4] = state;
  for (let at = from; at < to; at += 16) {
    let k1 = word(bytes, at);
    let k2 = word(bytes, at + 4);
    let k3 = word(bytes, at + 8);
    let k4 = word(bytes, at + 12);

    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = rotl(h1, 19);
    h1 = (h1 + h2) | 0;
    h1 = (Math.imul(h1, 5) + 0x561ccd1b) | 0;

    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = rotl(h2, 17);
    h2 = (h2 + h3) | 0;
    h2 = (Math.imul(h2, 5) + 0x0bcaa747) | 0;

    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = rotl(h3, 15);
    h3 = (h3 + h4) | 0;
    h3 = (Math.imul(h3, 5) + 0x96cd1c35) | 0;

    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = rotl(h4, 13);
    h4 = (h4 + h1) | 0;
    h4 = (Math.imul(h4, 5) + 0x32ac3b17) | 0;
  }
  state[0] = h1;
  state[1] = h2;
  state[2] = h3;
  state[3] = h4;
}

/**
 * Mixes the blocks of bytes[from, end), then the tail and the total length (the bytes before
 * `from` were mixed into state already, `from` is where a block starts), and finalises.
 */
function finish(state: State, bytes: Uint8Array, from: number, end: number, totalLength: number): State {
  const blocks = from + ((end - from) - ((end - from) & 15));
  mixBlocks(state, bytes, from, blocks);
  let [h1, h2, h3, h4] = state;
  // The tail: up to 15 bytes, little-endian into k1..k4 (the reference's fall-through switch).
  const rest = end - blocks;
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  for (let i = rest - 1; i >= 0; i -= 1) {
    const byte = bytes[blocks + i] as number;
    const shift = (i & 3) * 8;
    if (i >= 12) k4 ^= byte << shift;
    else if (i >= 8) k3 ^= byte << shift;
    else if (i >= 4) k2 ^= byte << shift;
    else k1 ^= byte << shift;
  }
  if (rest > 12) h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
  if (rest > 8) h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
  if (rest > 4) h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
  if (rest > 0) h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);

  h1 ^= totalLength;
  h2 ^= totalLength;
  h3 ^= totalLength;
  h4 ^= totalLength;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  return [h1, h2, h3, h4];
}

function murmur3x86(bytes: Uint8Array, length: number): State {
  return finish([0, 0, 0, 0], bytes, 0, length, length);
}

/**
 * The hash state after the whole 16-byte blocks of the last container id seen: a container's
 * lines arrive together, and its 64-hex id is exactly four blocks, so per line only the
 * timestamp, stream and ordinal (about 40 bytes) are hashed.
 */
let cachedId = '';
let cachedBlocks = 0;
/** The id's bytes after its whole blocks (none for a 64-hex id), and whether the id is ASCII. */
let cachedRest = '';
let cachedAscii = true;
const cachedState: State = [0, 0, 0, 0];

/** Writes the ASCII text into scratch at `at`; -1 when it holds a character beyond ASCII or does not fit. */
function putAscii(text: string, at: number): number {
  if (at + text.length > scratch.length) return -1;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return -1;
    scratch[at + i] = code;
  }
  return at + text.length;
}

/** The event_id of a line (see the definition at the top of this file): 16 lower-case hex digits. */
export function eventId(containerId: string, timestamp: string, stream: 'stdout' | 'stderr', ordinal: number): string {
  // Fast path: ASCII text (Docker's ids and canonical timestamps are), the id's whole blocks
  // hashed once per container; scratch holds the bytes after them.
  if (containerId !== cachedId) {
    const idBytes = Buffer.from(containerId, 'utf8');
    cachedId = containerId;
    cachedBlocks = idBytes.length - (idBytes.length & 15);
    cachedState.fill(0);
    mixBlocks(cachedState, idBytes, 0, cachedBlocks);
    cachedRest = idBytes.toString('latin1', cachedBlocks);
    cachedAscii = idBytes.length === containerId.length;
  }
  let at = cachedAscii ? putAscii(cachedRest, 0) : -1;
  if (at >= 0) at = putAscii('\n', at);
  if (at >= 0) at = putAscii(timestamp, at);
  if (at >= 0) at = putAscii(stream === 'stderr' ? '\nstderr\n' : '\nstdout\n', at);
  if (at >= 0) at = putAscii(ordinal === 0 ? '0' : String(ordinal), at);
  if (at >= 0) {
    const [h1, h2] = finish([cachedState[0], cachedState[1], cachedState[2], cachedState[3]], scratch, 0, at, cachedBlocks + at);
    return hex8(h1) + hex8(h2);
  }
  const bytes = Buffer.from(`${containerId}\n${timestamp}\n${stream}\n${ordinal}`, 'utf8');
  const [h1, h2] = murmur3x86(bytes, bytes.length);
  return hex8(h1) + hex8(h2);
}
