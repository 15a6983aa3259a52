// Turns a captured line into one NDJSON record with the field names of Vector's `docker_logs`
// source, so users' existing VRL keeps working:
//
//   {"timestamp":"…","message":"…","stream":"stdout","container_id":…,"source_type":"log_capturer"}\n
//
// This runs once per log line, so it writes bytes straight into the caller's buffer: no string
// is built, no Buffer is allocated per line. Everything that depends only on the container (id,
// name, image, labels, host) is encoded to bytes once per container and copied.
//
// The bytes are exactly those of the straightforward encoding, which is the definition:
//   '{"timestamp":' + JSON.stringify(timestamp) + ',"message":' + JSON.stringify(message.toString('utf8'))
//   + (eventIds ? ',"event_id":"' + <16 hex digits: event-id.ts> + '"' : '')
//   + <constant part> + (truncated ? ',"truncated":true}\n' : '}\n')
// encoded as UTF-8 (`toString('utf8')` is the lossy decode: every invalid sequence becomes U+FFFD).
// For a message that is valid UTF-8 that encoding keeps every byte except the ones JSON.stringify
// escapes (`"`, `\` and the controls below 0x20), so the fast path copies the bytes and escapes
// those; a message with invalid UTF-8 (or an unusual timestamp) takes the definition itself.
// JSON.stringify escapes every control character (NUL included) and `\n`, so the single `\n` at
// the end is the only line break in a record whatever bytes the container wrote.
import { isUtf8 } from 'node:buffer';
import type { CapturedLine } from '../capture/captured-line.js';
import type { ContainerInfo } from '../docker/container-info.js';
import { eventId } from './event-id.js';

interface ContainerPart {
  name: string;
  /** `,"stream":"stdout",<constant fields>` for each stream, as UTF-8 bytes ready to copy. */
  stdout: Buffer;
  stderr: Buffer;
  /** The same as text, for the slow path. */
  stdoutText: string;
  stderrText: string;
}

const HEAD = Buffer.from('{"timestamp":"', 'latin1');
const MIDDLE = Buffer.from('","message":"', 'latin1');
const END = Buffer.from('}\n', 'latin1');
const EVENT_ID_HEAD = Buffer.from(',"event_id":"', 'latin1');
/** `,"event_id":"` + 16 hex digits + `"`. */
const EVENT_ID_BYTES = EVENT_ID_HEAD.length + 16 + 1;
const END_TRUNCATED = Buffer.from(',"truncated":true}\n', 'latin1');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * What JSON.stringify writes for each byte below 0x80 inside a string: 0 = the byte itself, a
 * letter = backslash + that letter (`\n`, `\"`), UNICODE_ESCAPE = `\u00XX`. Bytes from 0x80 up
 * are copied (valid UTF-8 is checked separately).
 */
const ESCAPE = new Uint8Array(256);
const UNICODE_ESCAPE = 0xff;
for (let byte = 0; byte < 0x20; byte += 1) ESCAPE[byte] = UNICODE_ESCAPE;
ESCAPE[0x08] = 0x62; // \b
ESCAPE[0x09] = 0x74; // \t
ESCAPE[0x0a] = 0x6e; // \n
ESCAPE[0x0c] = 0x66; // \f
ESCAPE[0x0d] = 0x72; // \r
ESCAPE[QUOTE] = QUOTE;
ESCAPE[BACKSLASH] = BACKSLASH;
/** JSON.stringify writes `\u001f`, lower case. */
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** The most bytes one input unit (a message byte, a timestamp UTF-16 unit) can become: `\u00XX`. */
const MAX_EXPANSION = 6;

/** A record joined by a multiline rule: how many lines it holds, and whether its group was cut at the limits (ASCII). */
function multilineFields(multiline: NonNullable<CapturedLine['multiline']>): string {
  return `,"multiline_lines":${multiline.lines}${multiline.cut ? ',"multiline_cut":true' : ''}`;
}

const multilineBytes = (c: CapturedLine): number => (c.multiline === undefined ? 0 : multilineFields(c.multiline).length);

export class RecordEncoder {
  private readonly parts = new Map<string, ContainerPart>();
  private lastContainer: ContainerInfo | undefined;
  private lastPart: ContainerPart | undefined;

  /** eventIds: give every record its `event_id` (see event-id.ts). */
  constructor(
    private readonly hostName: string,
    private readonly eventIds = true,
  ) {}

  /**
   * At least the size of this line's record (usually about twice it): a buffer with this much
   * room is never too small for encodeInto. O(1).
   */
  maxRecordBytes(c: CapturedLine): number {
    const part = this.partOf(c.container);
    return HEAD.length + MIDDLE.length + 1 + END_TRUNCATED.length + part.stdout.length + (this.eventIds ? EVENT_ID_BYTES : 0) + multilineBytes(c) +
      MAX_EXPANSION * (c.line.timestamp.length + c.line.message.length);
  }

  /** The exact size of this line's record. O(length of the line): for lines too long to reserve maxRecordBytes for. */
  recordBytes(c: CapturedLine): number {
    const fixed = HEAD.length + MIDDLE.length + 1 + (c.line.truncated ? END_TRUNCATED : END).length + this.partOf(c.container).stdout.length + (this.eventIds ? EVENT_ID_BYTES : 0) + multilineBytes(c);
    const timestamp = plainTimestamp(c.line.timestamp);
    const message = escapedLength(c.line.message);
    if (timestamp && message >= 0) return fixed + c.line.timestamp.length + message;
    return Buffer.byteLength(this.definition(c), 'utf8');
  }

  /**
   * Writes the record (one JSON object and its `\n`) into `target` at `offset` and returns the
   * offset after it. `target` must have at least recordBytes(c) (or maxRecordBytes(c)) bytes of
   * room there (bytes of that room after the returned offset may have been written to).
   */
  encodeInto(c: CapturedLine, target: Buffer, offset: number): number {
    const part = this.partOf(c.container);
    const { timestamp, message } = c.line;
    let at = offset;
    target.set(HEAD, at);
    at += HEAD.length;
    // The timestamp, checked as it is copied: Docker's is plain ASCII that needs no escape.
    let unusual = 0;
    for (let i = 0; i < timestamp.length; i += 1) {
      const code = timestamp.charCodeAt(i);
      unusual |= (code >> 7) | (ESCAPE[code & 0x7f] as number);
      target[at + i] = code;
    }
    if (unusual === 0) {
      at += timestamp.length;
      target.set(MIDDLE, at);
      at += MIDDLE.length;
      at = writeEscaped(message, target, at);
      if (at >= 0) {
        target[at] = QUOTE;
        at += 1;
        if (this.eventIds) at = this.writeEventId(c, target, at);
        const constant = c.line.stream === 'stderr' ? part.stderr : part.stdout;
        target.set(constant, at);
        at += constant.length;
        if (c.multiline !== undefined) at += target.write(multilineFields(c.multiline), at, 'latin1');
        const end = c.line.truncated ? END_TRUNCATED : END;
        target.set(end, at);
        return at + end.length;
      }
    }
    // Invalid UTF-8 in the message, or a timestamp that is not plain ASCII: the definition itself.
    const text = this.definition(c);
    const length = Buffer.byteLength(text, 'utf8');
    if (target.length - offset < length) throw new RangeError(`record of ${length} bytes does not fit in ${target.length - offset}`);
    return offset + target.write(text, offset, length, 'utf8');
  }

  /** One record in a Buffer of its own (tests, and callers that need no batch buffer). */
  encodeRecord(c: CapturedLine): Buffer {
    const target = Buffer.allocUnsafe(this.recordBytes(c));
    const end = this.encodeInto(c, target, 0);
    return end === target.length ? target : target.subarray(0, end);
  }

  /** Drops the cached part of a container that is gone. */
  forget(containerId: string): void {
    this.parts.delete(containerId);
    if (this.lastContainer?.id === containerId) {
      this.lastContainer = undefined;
      this.lastPart = undefined;
    }
  }

  private partOf(container: ContainerInfo): ContainerPart {
    // Consecutive lines usually come from the same container object: skip the map then.
    let part = container === this.lastContainer ? this.lastPart : this.parts.get(container.id);
    // A rename is the only change a live container's identity fields can see.
    if (part === undefined || part.name !== container.name) part = this.buildPart(container);
    this.lastContainer = container;
    this.lastPart = part;
    return part;
  }

  /** `,"event_id":"<16 hex digits>"` at `at`; returns the offset after it. */
  private writeEventId(c: CapturedLine, target: Buffer, at: number): number {
    target.set(EVENT_ID_HEAD, at);
    at += EVENT_ID_HEAD.length;
    const id = eventId(c.container.id, c.line.timestamp, c.line.stream, c.ordinal);
    // 16 ASCII hex digits.
    for (let i = 0; i < 16; i += 1) target[at + i] = id.charCodeAt(i);
    target[at + 16] = QUOTE;
    return at + 17;
  }

  /** The record as the definition in the header says, as a string. */
  private definition(c: CapturedLine): string {
    const part = this.partOf(c.container);
    return '{"timestamp":' + JSON.stringify(c.line.timestamp) +
      ',"message":' + JSON.stringify(c.line.message.toString('utf8')) +
      (this.eventIds ? ',"event_id":"' + eventId(c.container.id, c.line.timestamp, c.line.stream, c.ordinal) + '"' : '') +
      (c.line.stream === 'stderr' ? part.stderrText : part.stdoutText) +
      (c.multiline === undefined ? '' : multilineFields(c.multiline)) +
      (c.line.truncated ? ',"truncated":true}\n' : '}\n');
  }

  private buildPart(container: ContainerInfo): ContainerPart {
    const constant =
      ',"container_id":' + JSON.stringify(container.id) +
      ',"container_name":' + JSON.stringify(container.name) +
      ',"container_created_at":' + JSON.stringify(container.createdAt) +
      ',"image":' + JSON.stringify(container.image) +
      ',"label":' + JSON.stringify(container.labels) +
      ',"host":' + JSON.stringify(this.hostName) +
      ',"source_type":"log_capturer"';
    const stdoutText = ',"stream":"stdout"' + constant;
    const stderrText = ',"stream":"stderr"' + constant;
    const part = { name: container.name, stdout: Buffer.from(stdoutText, 'utf8'), stderr: Buffer.from(stderrText, 'utf8'), stdoutText, stderrText };
    this.parts.set(container.id, part);
    return part;
  }
}

/** Docker's timestamps are plain ASCII that JSON.stringify leaves alone; anything else takes the slow path. */
function plainTimestamp(timestamp: string): boolean {
  for (let i = 0; i < timestamp.length; i += 1) {
    const code = timestamp.charCodeAt(i);
    if (code >= 0x80 || ESCAPE[code] !== 0) return false;
  }
  return true;
}

/**
 * Writes the message as JSON.stringify(message.toString('utf8')) would (without the quotes) and
 * returns the offset after it, or -1 when the message is not valid UTF-8 (then the bytes written
 * are garbage for the caller to overwrite). Room: MAX_EXPANSION bytes per message byte.
 */
function writeEscaped(message: Buffer, target: Buffer, offset: number): number {
  // Most lines need no escape at all: find out by reading only (four bytes a step), then copy
  // them in one go. Reading is about twice as fast as copying byte by byte.
  const length = message.length;
  let seen = 0;
  let i = 0;
  for (const last = length - 3; i < last; i += 4) {
    const b0 = message[i] as number;
    const b1 = message[i + 1] as number;
    const b2 = message[i + 2] as number;
    const b3 = message[i + 3] as number;
    if (((ESCAPE[b0] as number) | (ESCAPE[b1] as number) | (ESCAPE[b2] as number) | (ESCAPE[b3] as number)) !== 0) break;
    seen |= b0 | b1 | b2 | b3;
  }
  for (; i < length; i += 1) {
    const byte = message[i] as number;
    if (ESCAPE[byte] !== 0) break;
    seen |= byte;
  }
  if (i < length) return writeEscapedBytes(message, target, offset);
  // Bytes from 0x80 up are copied: right only if they form valid UTF-8 (no U+FFFD to put in).
  if (seen >= 0x80 && !isUtf8(message)) return -1;
  target.set(message, offset);
  return offset + length;
}

/** writeEscaped for a message with something to escape: byte by byte. */
function writeEscapedBytes(message: Buffer, target: Buffer, offset: number): number {
  let at = offset;
  let seen = 0;
  const length = message.length;
  for (let i = 0; i < length; i += 1) {
    const byte = message[i] as number;
    const escape = ESCAPE[byte] as number;
    if (escape === 0) {
      target[at] = byte;
      at += 1;
      seen |= byte;
      continue;
    }
    target[at] = BACKSLASH;
    if (escape !== UNICODE_ESCAPE) {
      target[at + 1] = escape;
      at += 2;
      continue;
    }
    target[at + 1] = 0x75; // u
    target[at + 2] = 0x30;
    target[at + 3] = 0x30;
    target[at + 4] = HEX[byte >> 4] as number;
    target[at + 5] = HEX[byte & 0x0f] as number;
    at += 6;
  }
  if (seen >= 0x80 && !isUtf8(message)) return -1;
  return at;
}

/** The length writeEscaped would write, or -1 when the message is not valid UTF-8. */
function escapedLength(message: Buffer): number {
  let length = message.length;
  let seen = 0;
  for (let i = 0; i < message.length; i += 1) {
    const byte = message[i] as number;
    const escape = ESCAPE[byte] as number;
    seen |= byte;
    if (escape !== 0) length += escape === UNICODE_ESCAPE ? 5 : 1;
  }
  if (seen >= 0x80 && !isUtf8(message)) return -1;
  return length;
}
