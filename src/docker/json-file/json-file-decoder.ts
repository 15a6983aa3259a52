// json-file entries -> the SAME LogLines the API route makes of them, each with its FilePosition.
//
// The API route is dockerd decoding each entry and sending it as one frame `TIME SP log`, then
// our LogFrameParser merging frames; so an entry here plays the part of a frame, and the line
// rules are the parser's own code (LineAssembler, line-assembler.ts), applied to the same bytes:
//   - a `log` without a trailing `\n` is a piece of a longer line; pieces of one stream merge
//     until one ends in `\n`; stdout and stderr pieces may interleave (one pending line each);
//     the line takes its first piece's time and counts its pieces in `chunks`;
//   - the `\n` is not part of the message; on a TTY the `\r` before it is not either (even when
//     it ended the previous piece), and nowhere else is a `\r` removed;
//   - a message longer than maxLineBytes is cut to it and marked `truncated`;
//   - flush() (the read ended: the container stopped) hands on a pending piece as a whole line,
//     as the parser's end() does.
// The timestamp goes through the parser's TimestampReader (entry-time.ts) and the bytes are
// decoded exactly as Go does (json-string.ts).
//
// Speed: dockerd writes every entry as `{"log":"…","stream":"stdxxx","time":"…"}`, so the
// decoder finds `stream` and `time` from the END of the line (a fixed suffix) and never scans
// the message for a quote. If the message holds no backslash but its final `\n` (one memchr,
// shared by the lines it passes over) the message IS the file's bytes: the line is a view of
// the read buffer, no copy. Raw bytes are UTF-8-checked once per read (isUtf8), not per line.
// Anything unusual (escapes, `attrs`, another key order) takes the slow, general path.
//
// Positions: see file-position.ts. The offset stays at the first entry of the oldest pending
// piece (of either stream, possibly in an older file: a long line may straddle a rotation), and
// `skip` counts the lines completed since; with nothing pending it is the end of the last entry.
import { LineAssembler } from '../line-assembler.js';
import type { PendingLine } from '../line-assembler.js';
import type { LogLine } from '../log-line.js';
import { EntryTimeReader } from './entry-time.js';
import type { FilePosition, LogFileIdentity } from './file-position.js';
import { parseEntry } from './json-file-entry.js';
import { decodeJsonString } from './json-string.js';

export interface JsonFileDecoderOptions {
  /** The container has a TTY: a line's `\r\n` ending is removed whole (as the API route's TTY parser does). */
  tty: boolean;
  /** Longer messages are cut to this many bytes and marked `truncated: true`. */
  maxLineBytes: number;
  /** A line not handed on before, and the position just after it. Returning false stops decode() after it. */
  onLine: (line: LogLine, position: FilePosition) => boolean | void;
  /** An entry that is not a json-file entry (a damaged file): skipped, and said here. */
  onBadEntry: (reason: string, offset: number) => void;
}

const LF = 0x0a;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;
/** From the quote closing `log` to the `std` of the stream value. */
const STREAM_KEY = Buffer.from('","stream":"std', 'latin1');
/** From the quote closing the stream value to the quote opening the time. */
const TIME_KEY = Buffer.from('","time":"', 'latin1');
/** `{"log":"` + the shortest suffix: `","stream":"stdout","time":"` + 20 + `"}`. */
const MIN_FAST_ENTRY = 8 + 27 + 20 + 2;

function matchesAt(buf: Buffer, at: number, expected: Buffer): boolean {
  for (let i = 0; i < expected.length; i += 1) if (buf[at + i] !== expected[i]) return false;
  return true;
}

/** Where the first piece of a pending line starts: the position may not pass it. */
interface Anchor {
  file: LogFileIdentity;
  offset: number;
  /** Lines completed before its first piece: `skip` counts from here. */
  completedAtStart: number;
}

export class JsonFileDecoder {
  private readonly tty: boolean;
  private readonly onLine: JsonFileDecoderOptions['onLine'];
  private readonly onBadEntry: JsonFileDecoderOptions['onBadEntry'];
  private readonly lines: LineAssembler;
  private readonly times = new EntryTimeReader();
  private readonly anchors: { stdout: Anchor; stderr: Anchor };
  /** Lines completed since the start position (handed on, or dropped as already handed on). */
  private completed = 0;
  /** Lines still to drop because the start position says they were handed on before. */
  private toSkip = 0;
  private start: FilePosition | undefined;
  private consumedFile: LogFileIdentity | undefined;
  private consumedOffset = 0;
  private stopped = false;
  /** Lines handed on. */
  handed = 0;
  /** Lines read again and dropped (the start position's `skip`). */
  reread = 0;
  /** Entries that were not json-file entries. */
  badEntries = 0;
  /** Canonical time of the last entry decoded ('' before any): finds a rotated file again once it is gzipped. */
  lastEntryTime = '';

  constructor(options: JsonFileDecoderOptions) {
    this.tty = options.tty;
    this.onLine = options.onLine;
    this.onBadEntry = options.onBadEntry;
    this.lines = new LineAssembler(Math.max(0, Math.floor(options.maxLineBytes)), options.tty, (line) => this.completeLine(line));
    const none: LogFileIdentity = { dev: '', ino: '', firstEntryTime: '' };
    this.anchors = { stdout: { file: none, offset: 0, completedAtStart: 0 }, stderr: { file: none, offset: 0, completedAtStart: 0 } };
  }

  /** Reading starts in `file` at `offset`; the first `skip` lines completed from there were handed on before. */
  begin(file: LogFileIdentity, offset: number, skip: number): void {
    this.start = { dev: file.dev, ino: file.ino, firstEntryTime: file.firstEntryTime, offset, skip };
    this.toSkip = skip;
    this.consumedFile = file;
    this.consumedOffset = offset;
  }

  /** Reading goes on at the start of the file rotated after the last one (pending pieces carry over). */
  nextFile(file: LogFileIdentity): void {
    this.consumedFile = file;
    this.consumedOffset = 0;
  }

  /** Stops decode() after the line being handed on (backpressure). */
  stop(): void {
    this.stopped = true;
  }

  /** Bytes held in pending pieces. */
  get pendingBytes(): number {
    return this.lines.pendingBytes;
  }

  /** Time of the first piece of the oldest line begun but not complete (undefined: none pending). */
  get oldestPendingTimestamp(): string | undefined {
    return this.lines.oldestPendingTimestamp;
  }

  /**
   * Decodes the complete entries (lines ending in `\n`) of buf[start, end), which holds the bytes
   * of `file` from offset `fileOffset` on. Returns the index after the last entry consumed: the
   * rest (an entry still being written, or what follows a stop) is the caller's to keep.
   * `rawIsUtf8`: buf[start, end) is known to be valid UTF-8.
   */
  decode(buf: Buffer, start: number, end: number, file: LogFileIdentity, fileOffset: number, rawIsUtf8: boolean): number {
    this.stopped = false;
    const base = fileOffset - start;
    /** The next backslash at or after the last search (-1: none in buf; -2: not searched). */
    let backslash = -2;
    let i = start;
    while (i < end && !this.stopped) {
      const nl = buf.indexOf(LF, i);
      if (nl < 0 || nl >= end) break;
      const s = i;
      const e = nl;
      i = nl + 1;
      this.consumedFile = file;
      this.consumedOffset = base + i;
      const offset = base + s;
      if (e - s >= MIN_FAST_ENTRY && buf[s] === 0x7b && buf[s + 1] === QUOTE && buf[s + 2] === 0x6c && buf[s + 3] === 0x6f && buf[s + 4] === 0x67 &&
          buf[s + 5] === QUOTE && buf[s + 6] === 0x3a && buf[s + 7] === QUOTE && buf[e - 1] === 0x7d && buf[e - 2] === QUOTE) {
        let tq = e - 3;
        while (tq > e - 34 && buf[tq] !== QUOTE) tq -= 1;
        const q = tq - 27;
        const cs = s + 8;
        if (q >= cs && matchesAt(buf, tq - 9, TIME_KEY) && matchesAt(buf, q, STREAM_KEY)) {
          const a = buf[tq - 12];
          const b = buf[tq - 11];
          const c = buf[tq - 10];
          const pending = a === 0x6f && b === 0x75 && c === 0x74 ? this.lines.stdout : a === 0x65 && b === 0x72 && c === 0x72 ? this.lines.stderr : undefined;
          const timestamp = pending && this.times.read(buf, tq + 1, e - 2);
          if (pending && timestamp !== undefined) {
            this.lastEntryTime = timestamp;
            if (offset === 0 && file.firstEntryTime === '') file.firstEntryTime = timestamp;
            if (rawIsUtf8) {
              if (backslash !== -1 && backslash < cs) backslash = buf.indexOf(BACKSLASH, cs);
              if (backslash === -1 || backslash >= q) {
                // No escape at all: a piece of a longer line.
                this.piece(pending, timestamp, buf, cs, q, -1, file, offset);
                continue;
              }
              if (backslash === q - 2 && buf[q - 1] === 0x6e) {
                // Its only escape is the final `\n`: the message is the file's bytes.
                this.piece(pending, timestamp, buf, cs, q - 2, q - 2, file, offset);
                continue;
              }
              if (this.tty && pending.chunks === 0 && backslash === q - 4 && buf[q - 3] === 0x72 && buf[q - 2] === BACKSLASH && buf[q - 1] === 0x6e) {
                // A TTY's whole line: its only escapes are the final `\r\n`, which is not part of it.
                this.lines.emitWhole(pending, timestamp, buf, cs, q - 4);
                continue;
              }
            }
            // Escapes in the message: decode it, if the quote at q really closes it.
            let run = 0;
            for (let k = q - 1; k >= cs && buf[k] === BACKSLASH; k -= 1) run += 1;
            if (run % 2 === 0) {
              const bytes = decodeJsonString(buf, cs, q, rawIsUtf8);
              const complete = bytes.length > 0 && bytes[bytes.length - 1] === LF;
              this.piece(pending, timestamp, bytes, 0, complete ? bytes.length - 1 : bytes.length, complete ? bytes.length - 1 : -1, file, offset);
              continue;
            }
          }
        }
      }
      const entry = parseEntry(buf, s, e);
      if (typeof entry === 'string') {
        this.badEntries += 1;
        this.onBadEntry(entry, offset);
        continue;
      }
      this.lastEntryTime = entry.timestamp;
      if (offset === 0 && file.firstEntryTime === '') file.firstEntryTime = entry.timestamp;
      const log = entry.log;
      const complete = log.length > 0 && log[log.length - 1] === LF;
      this.piece(entry.stream === 0 ? this.lines.stdout : this.lines.stderr, entry.timestamp, log, 0, complete ? log.length - 1 : log.length, complete ? log.length - 1 : -1, file, offset);
    }
    return i;
  }

  /**
   * The read ended for good (follow off, or the container stopped): a pending piece is a line
   * of the log (killed mid-line, or no final newline), as the frame parser's end() has it.
   */
  flush(): void {
    this.lines.finishAll();
  }

  /** Where to resume so that the next line handed on is the first one not handed on yet. */
  position(): FilePosition {
    const start = this.start;
    if (start === undefined) throw new Error('JsonFileDecoder.position() before begin()');
    if (this.toSkip > 0) return { dev: start.dev, ino: start.ino, firstEntryTime: start.firstEntryTime, offset: start.offset, skip: start.skip };
    const out = this.lines.stdout.chunks > 0 ? this.lines.stdout : undefined;
    const err = this.lines.stderr.chunks > 0 ? this.lines.stderr : undefined;
    const oldest = out && err ? (out.startedAt <= err.startedAt ? out : err) : (out ?? err);
    if (oldest !== undefined) {
      const anchor = oldest === this.lines.stdout ? this.anchors.stdout : this.anchors.stderr;
      const file = anchor.file;
      return { dev: file.dev, ino: file.ino, firstEntryTime: file.firstEntryTime, offset: anchor.offset, skip: this.completed - anchor.completedAtStart };
    }
    const file = this.consumedFile as LogFileIdentity;
    return { dev: file.dev, ino: file.ino, firstEntryTime: file.firstEntryTime, offset: this.consumedOffset, skip: 0 };
  }

  /**
   * One entry's message bytes bytes[start, end); `lfAt` is where its `\n` was (>= end), or -1 for
   * a piece without one. The anchor of a line is set when its first piece begins.
   */
  private piece(pending: PendingLine, timestamp: string, bytes: Buffer, start: number, end: number, lfAt: number, file: LogFileIdentity, offset: number): void {
    if (pending.chunks === 0) {
      if (lfAt >= 0) {
        // The common case: a whole line in one entry, handed on as a view of `bytes`.
        this.lines.emitWhole(pending, timestamp, bytes, start, end);
        return;
      }
      const anchor = pending === this.lines.stdout ? this.anchors.stdout : this.anchors.stderr;
      anchor.file = file;
      anchor.offset = offset;
      anchor.completedAtStart = this.completed;
    }
    this.lines.beginPart(pending, timestamp);
    if (lfAt >= 0) this.lines.finishAt(pending, bytes, start, end);
    else this.lines.append(pending, bytes, start, end);
  }

  /** Every line the assembler completes comes here: counted, then dropped (already handed on) or handed on. */
  private completeLine(line: LogLine): void {
    this.completed += 1;
    if (this.toSkip > 0) {
      this.toSkip -= 1;
      this.reread += 1;
      return;
    }
    this.handed += 1;
    if (this.onLine(line, this.position()) === false) this.stopped = true;
  }
}
