// Turns the bytes of `GET /containers/{id}/logs?timestamps=1` into LogLines.
//
// Multiplexed (non-TTY) stream: frames of an 8-byte header [type, 0, 0, 0, uint32 BE length] and
// a payload `TIMESTAMP SPACE message`. A payload not ending in `\n` is a 16 KiB part of a longer
// line; parts of one stream are merged until one ends in `\n` (stdout and stderr parts may
// interleave, so each stream has its own pending line). Type 3 carries an error text from the
// daemon itself: it is reported, never turned into a log line.
//
// TTY stream: no headers. Each log entry is `TIMESTAMP SPACE bytes`; a complete entry ends with
// `\n` (its line ends in `\r\n`) and holds at most 16383 bytes before it; a partial entry is
// exactly 16384 bytes with no `\n` and the next timestamp follows it directly. The `\r` of a line
// whose `\r\n` straddles a 16 KiB boundary ends one entry, and the `\n` is the whole next one.
//
// Bytes are processed as they arrive: a frame or line is never waited for whole, so a hostile
// length header or a line of megabytes costs at most `maxLineBytes` of memory.
import type { LogLine, LogStreamName } from './log-line.js';

export interface LogFrameParserOptions {
  /** Raw TTY stream (no headers) instead of multiplexed frames. */
  tty: boolean;
  /** Longer lines are cut to this many bytes and marked `truncated: true`. */
  maxLineBytes: number;
  onLine: (line: LogLine) => void;
  /** Type 3 frames (the daemon's own errors) and undecodable bytes: reported, never a log line. */
  onDaemonError: (message: string) => void;
}

const HEADER_BYTES = 8;
/** `2026-11-28T01:43:21.152000367Z` */
const TIMESTAMP_CHARS = 30;
/** The timestamp and the space after it. */
const PREFIX_BYTES = TIMESTAMP_CHARS + 1;
/** Docker's log copier cuts lines into entries of this many bytes. */
const TTY_ENTRY_BYTES = 16 * 1024;
/** A daemon error text longer than this is cut: it is a message for a human, not data. */
const MAX_DAEMON_ERROR_BYTES = 64 * 1024;
const LF = 0x0a;
const CR = 0x0d;
// Type 0 (stdin) and 1 (stdout) are both read as stdout.
const TYPE_STDERR = 2;
const TYPE_SYSTEM_ERROR = 3;
const ZERO_TRIPLE = Buffer.from([0, 0, 0]);

const enum State {
  /** Multiplexed: collecting the 8 header bytes. */
  Header,
  /** Collecting the 31 timestamp bytes (after a header, or at the start of a TTY entry). */
  Prefix,
  /** Multiplexed: the message bytes of a log frame. */
  FrameContent,
  /** Multiplexed: the payload of a type 3 frame. */
  ErrorContent,
  /** TTY: the bytes of an entry, up to its `\n` or its 16384th byte. */
  TtyContent,
  /** Lost our place in the byte stream: searching for the next plausible frame or timestamp. */
  Resync,
}

/** Whether the 31 bytes at `at` look like Docker's `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ ` (a few fixed characters). */
function isTimestampAt(buffer: Buffer, at: number): boolean {
  return (
    buffer[at + 4] === 0x2d && // -
    buffer[at + 7] === 0x2d && // -
    buffer[at + 10] === 0x54 && // T
    buffer[at + 13] === 0x3a && // :
    buffer[at + 16] === 0x3a && // :
    buffer[at + 19] === 0x2e && // .
    buffer[at + 29] === 0x5a && // Z
    buffer[at + 30] === 0x20 && // space
    isDigit(buffer[at]) &&
    isDigit(buffer[at + 3]) &&
    isDigit(buffer[at + 28])
  );
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

/** The line being assembled from parts, one per stream. */
class PendingLine {
  timestamp = '';
  parts: Buffer[] = [];
  /** Bytes kept in `parts` (at most maxLineBytes; `totalBytes` tells whether the line was longer). */
  keptBytes = 0;
  /** Bytes seen, kept or not. */
  totalBytes = 0;
  /** Frames or entries that made it so far; 0 = no pending line. */
  chunks = 0;
  /** Order in which pending lines were started, so end() emits them in stream order. */
  startedAt = 0;
  /** The last byte seen was `\r` (a TTY `\r\n` may straddle an entry boundary). */
  endsWithCr = false;

  reset(): void {
    this.timestamp = '';
    this.parts = [];
    this.keptBytes = 0;
    this.totalBytes = 0;
    this.chunks = 0;
    this.endsWithCr = false;
  }
}

export class LogFrameParser {
  private readonly tty: boolean;
  private readonly maxLineBytes: number;
  private readonly onLine: (line: LogLine) => void;
  private readonly onDaemonError: (message: string) => void;

  private state: State;
  /** Header, then prefix bytes, of a frame that crosses a chunk boundary. */
  private readonly head = Buffer.alloc(HEADER_BYTES + PREFIX_BYTES);
  private headFill = 0;
  private frameType = 0;
  /** Payload bytes of the current frame not yet consumed. */
  private frameRemaining = 0;
  /** Bytes of the current TTY entry consumed so far (after its timestamp). */
  private entryBytes = 0;
  private readonly stdout = new PendingLine();
  private readonly stderr = new PendingLine();
  /** The line the current frame or TTY entry belongs to. */
  private current: PendingLine;
  private lineCounter = 0;
  private errorParts: Buffer[] = [];
  private errorBytes = 0;
  /** Resync: bytes kept from earlier chunks that may start the next frame. */
  private resyncCarry: Buffer = Buffer.alloc(0);
  private resyncSkipped = 0;

  constructor(options: LogFrameParserOptions) {
    this.tty = options.tty;
    this.maxLineBytes = Math.max(0, Math.floor(options.maxLineBytes));
    this.onLine = options.onLine;
    this.onDaemonError = options.onDaemonError;
    this.state = this.tty ? State.Prefix : State.Header;
    this.current = this.stdout;
  }

  /** Bytes held for incomplete frames and lines. */
  get pendingBytes(): number {
    return this.headFill + this.stdout.keptBytes + this.stderr.keptBytes + this.errorBytes + this.resyncCarry.length;
  }

  /**
   * Timestamp of the oldest line begun but not yet emitted (a partial line, or a frame cut by a
   * chunk boundary), or undefined. Positions must not pass it: see PositionTracker.pin().
   */
  get oldestPendingTimestamp(): string | undefined {
    const out = this.stdout.chunks > 0 ? this.stdout : undefined;
    const err = this.stderr.chunks > 0 ? this.stderr : undefined;
    if (out && err) return out.startedAt <= err.startedAt ? out.timestamp : err.timestamp;
    return (out ?? err)?.timestamp;
  }

  /**
   * Feeds the next bytes of the stream, split anywhere. The parser may keep views into `chunk`
   * (no copy), so the caller must not modify it afterwards (Node's stream chunks are never reused).
   */
  push(chunk: Buffer): void {
    if (this.tty) this.pushTty(chunk);
    else this.pushMultiplexed(chunk);
  }

  /**
   * The stream ended naturally (the container stopped): a pending partial line is a line of the
   * log (killed mid-line, or no final newline) and is emitted whole. Then the parser is reset.
   */
  end(): void {
    if (this.state === State.Resync) {
      this.resyncSkipped += this.resyncCarry.length;
      this.reportResyncEnd('at the end of the stream');
    } else if (this.headFill > 0 && (this.state === State.Header || this.state === State.Prefix)) {
      this.onDaemonError(`log stream ended inside a frame header or timestamp (${this.headFill} bytes dropped)`);
    } else if (this.state === State.ErrorContent) {
      this.finishDaemonError();
    }
    const first = this.stdout.startedAt <= this.stderr.startedAt ? this.stdout : this.stderr;
    const second = first === this.stdout ? this.stderr : this.stdout;
    if (first.chunks > 0) this.finishLine(first, 0, first === this.stderr ? 'stderr' : 'stdout');
    if (second.chunks > 0) this.finishLine(second, 0, second === this.stderr ? 'stderr' : 'stdout');
    this.reset();
  }

  /** The stream was closed by us (rotation): partial lines are dropped unseen; they will be read again. */
  discard(): void {
    this.reset();
  }

  private reset(): void {
    this.state = this.tty ? State.Prefix : State.Header;
    this.headFill = 0;
    this.frameRemaining = 0;
    this.entryBytes = 0;
    this.stdout.reset();
    this.stderr.reset();
    this.current = this.stdout;
    this.errorParts = [];
    this.errorBytes = 0;
    this.resyncCarry = Buffer.alloc(0);
    this.resyncSkipped = 0;
  }

  // --- multiplexed ---------------------------------------------------------------------------

  private pushMultiplexed(input: Buffer): void {
    let chunk = input;
    let i = 0;
    let n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case State.Header: {
          if (this.headFill === 0 && n - i >= HEADER_BYTES + PREFIX_BYTES + 1) {
            // Fast path: a whole single-frame line inside this chunk is emitted as a view of it.
            const type = chunk[i] as number;
            if (type <= TYPE_STDERR && chunk[i + 1] === 0 && chunk[i + 2] === 0 && chunk[i + 3] === 0) {
              const length = chunk.readUInt32BE(i + 4);
              const end = i + HEADER_BYTES + length;
              const pending = type === TYPE_STDERR ? this.stderr : this.stdout;
              if (end <= n && length > PREFIX_BYTES && chunk[end - 1] === LF && pending.chunks === 0 && isTimestampAt(chunk, i + HEADER_BYTES)) {
                const start = i + HEADER_BYTES + PREFIX_BYTES;
                const messageEnd = Math.min(end - 1, start + this.maxLineBytes);
                this.onLine({
                  timestamp: chunk.toString('latin1', i + HEADER_BYTES, i + HEADER_BYTES + TIMESTAMP_CHARS),
                  stream: type === TYPE_STDERR ? 'stderr' : 'stdout',
                  message: chunk.subarray(start, messageEnd),
                  truncated: messageEnd < end - 1,
                  chunks: 1,
                });
                i = end;
                break;
              }
            }
          }
          const take = Math.min(HEADER_BYTES - this.headFill, n - i);
          chunk.copy(this.head, this.headFill, i, i + take);
          this.headFill += take;
          i += take;
          if (this.headFill === HEADER_BYTES) this.startFrame();
          break;
        }
        case State.Prefix: {
          const take = Math.min(HEADER_BYTES + PREFIX_BYTES - this.headFill, n - i);
          chunk.copy(this.head, this.headFill, i, i + take);
          this.headFill += take;
          i += take;
          if (this.headFill === HEADER_BYTES + PREFIX_BYTES) this.startLogFrame();
          break;
        }
        case State.FrameContent: {
          const take = Math.min(this.frameRemaining, n - i);
          this.frameRemaining -= take;
          if (this.frameRemaining === 0) {
            const last = chunk[i + take - 1];
            if (take > 0 && last === LF) {
              this.appendToLine(this.current, chunk, i, i + take - 1);
              this.finishLine(this.current, 0, this.current === this.stderr ? 'stderr' : 'stdout');
            } else {
              this.appendToLine(this.current, chunk, i, i + take);
            }
            this.state = State.Header;
          } else {
            this.appendToLine(this.current, chunk, i, i + take);
          }
          i += take;
          break;
        }
        case State.ErrorContent: {
          const take = Math.min(this.frameRemaining, n - i);
          const room = MAX_DAEMON_ERROR_BYTES - this.errorBytes;
          if (room > 0) {
            const part = chunk.subarray(i, i + Math.min(take, room));
            this.errorParts.push(part);
            this.errorBytes += part.length;
          }
          this.frameRemaining -= take;
          i += take;
          if (this.frameRemaining === 0) {
            this.finishDaemonError();
            this.state = State.Header;
          }
          break;
        }
        case State.Resync: {
          // Rare: the carried bytes and the rest of this chunk become one buffer to search.
          const data = this.resyncCarry.length > 0 ? Buffer.concat([this.resyncCarry, chunk.subarray(i)]) : chunk.subarray(i);
          const found = this.findFrameStart(data);
          if (found < 0) {
            const keep = Math.min(data.length, HEADER_BYTES + PREFIX_BYTES - 1);
            this.resyncSkipped += data.length - keep;
            this.resyncCarry = Buffer.from(data.subarray(data.length - keep));
            return;
          }
          this.resyncSkipped += found;
          this.reportResyncEnd('before the next frame');
          this.resyncCarry = Buffer.alloc(0);
          this.state = State.Header;
          chunk = data;
          i = found;
          n = data.length;
          break;
        }
        case State.TtyContent:
          return; // unreachable in multiplexed mode
      }
    }
  }

  /** The 8 header bytes are in: decide what the payload is. */
  private startFrame(): void {
    const head = this.head;
    const type = head[0] as number;
    const length = head.readUInt32BE(4);
    if (type > TYPE_SYSTEM_ERROR || head[1] !== 0 || head[2] !== 0 || head[3] !== 0) {
      this.enterResync(`invalid frame header ${head.toString('hex')}`, head.subarray(1, HEADER_BYTES));
      return;
    }
    this.frameRemaining = length;
    if (type === TYPE_SYSTEM_ERROR) {
      this.headFill = 0;
      this.state = length > 0 ? State.ErrorContent : State.Header;
      if (length === 0) this.onDaemonError('(empty daemon error frame)');
      return;
    }
    if (length === 0) {
      // An empty frame carries nothing, not even a timestamp: nothing to decode.
      this.headFill = 0;
      this.state = State.Header;
      return;
    }
    if (length <= PREFIX_BYTES) {
      // Too short for a timestamp: with timestamps=1 the daemon never sends this. If it is a
      // misread header, searching from its second byte finds the real next frame.
      this.enterResync(`frame of ${length} bytes has no room for a timestamp`, head.subarray(1, HEADER_BYTES));
      return;
    }
    this.frameType = type;
    this.state = State.Prefix;
  }

  /** Header and timestamp are in `head`: the rest of the frame is message bytes. */
  private startLogFrame(): void {
    const head = this.head;
    if (!isTimestampAt(head, HEADER_BYTES)) {
      this.enterResync(`frame without a timestamp (header ${head.subarray(0, HEADER_BYTES).toString('hex')})`, head.subarray(1, HEADER_BYTES + PREFIX_BYTES));
      return;
    }
    const pending = this.frameType === TYPE_STDERR ? this.stderr : this.stdout;
    if (pending.chunks === 0) this.beginLine(pending, head.toString('latin1', HEADER_BYTES, HEADER_BYTES + TIMESTAMP_CHARS));
    pending.chunks += 1;
    this.current = pending;
    this.frameRemaining -= PREFIX_BYTES;
    this.headFill = 0;
    this.state = State.FrameContent;
  }

  private finishDaemonError(): void {
    const text = Buffer.concat(this.errorParts).toString('utf8').trim();
    this.errorParts = [];
    this.errorBytes = 0;
    this.headFill = 0;
    this.onDaemonError(text.length > 0 ? text : '(empty daemon error frame)');
  }

  /**
   * A plausible frame start in `data`: a log-stream type, three zero bytes, a length with room
   * for a timestamp, and a timestamp. Returns its offset, or -1 when none can be seen yet.
   */
  private findFrameStart(data: Buffer): number {
    let from = 1;
    for (;;) {
      const zeros = data.indexOf(ZERO_TRIPLE, from);
      if (zeros < 0 || zeros - 1 + HEADER_BYTES + PREFIX_BYTES > data.length) return -1;
      const at = zeros - 1;
      const type = data[at] as number;
      if (type <= TYPE_STDERR && data.readUInt32BE(at + 4) > PREFIX_BYTES && isTimestampAt(data, at + HEADER_BYTES)) return at;
      from = zeros + 1;
    }
  }

  // --- TTY -----------------------------------------------------------------------------------

  private pushTty(input: Buffer): void {
    let chunk = input;
    let i = 0;
    let n = chunk.length;
    // Where the next `\n` at or after `i` is in this chunk (-1 none, -2 not searched yet): one
    // search serves several 16 KiB entries of a long line.
    let nextLf = -2;
    while (i < n) {
      switch (this.state) {
        case State.Prefix: {
          if (this.headFill === 0 && n - i >= PREFIX_BYTES) {
            if (!isTimestampAt(chunk, i)) {
              this.enterResync('TTY log entry without a timestamp', Buffer.alloc(0));
              i += 1;
              break;
            }
            this.startTtyEntry(chunk.toString('latin1', i, i + TIMESTAMP_CHARS));
            i += PREFIX_BYTES;
            break;
          }
          const take = Math.min(PREFIX_BYTES - this.headFill, n - i);
          chunk.copy(this.head, this.headFill, i, i + take);
          this.headFill += take;
          i += take;
          if (this.headFill === PREFIX_BYTES) {
            if (isTimestampAt(this.head, 0)) {
              this.headFill = 0;
              this.startTtyEntry(this.head.toString('latin1', 0, TIMESTAMP_CHARS));
            } else {
              this.enterResync('TTY log entry without a timestamp', this.head.subarray(1, PREFIX_BYTES));
            }
          }
          break;
        }
        case State.TtyContent: {
          const line = this.stdout;
          const entryEnd = i + (TTY_ENTRY_BYTES - this.entryBytes); // exclusive bound of this entry
          if (nextLf === -2 || (nextLf >= 0 && nextLf < i)) nextLf = chunk.indexOf(LF, i);
          if (nextLf >= 0 && nextLf < entryEnd) {
            if (line.chunks === 1 && line.totalBytes === 0) {
              // The whole line is in this chunk: hand out a view of it.
              const end = nextLf > i && chunk[nextLf - 1] === CR ? nextLf - 1 : nextLf;
              const messageEnd = Math.min(end, i + this.maxLineBytes);
              this.onLine({ timestamp: line.timestamp, stream: 'stdout', message: chunk.subarray(i, messageEnd), truncated: messageEnd < end, chunks: 1 });
              line.reset();
            } else {
              this.appendToLine(line, chunk, i, nextLf);
              this.finishLine(line, line.endsWithCr ? 1 : 0, 'stdout');
            }
            i = nextLf + 1;
            this.state = State.Prefix;
            break;
          }
          const end = Math.min(n, entryEnd);
          this.appendToLine(line, chunk, i, end);
          this.entryBytes += end - i;
          i = end;
          if (this.entryBytes === TTY_ENTRY_BYTES) this.state = State.Prefix; // a 16 KiB part: the next entry continues the line
          break;
        }
        case State.Resync: {
          const data = this.resyncCarry.length > 0 ? Buffer.concat([this.resyncCarry, chunk.subarray(i)]) : chunk.subarray(i);
          const found = this.findTimestamp(data);
          if (found < 0) {
            const keep = Math.min(data.length, PREFIX_BYTES - 1);
            this.resyncSkipped += data.length - keep;
            this.resyncCarry = Buffer.from(data.subarray(data.length - keep));
            return;
          }
          this.resyncSkipped += found;
          this.reportResyncEnd('before the next entry');
          this.resyncCarry = Buffer.alloc(0);
          this.state = State.Prefix;
          chunk = data;
          i = found;
          n = data.length;
          nextLf = -2;
          break;
        }
        default:
          return; // the multiplexed states never occur in TTY mode
      }
    }
  }

  private startTtyEntry(timestamp: string): void {
    const line = this.stdout;
    if (line.chunks === 0) this.beginLine(line, timestamp);
    line.chunks += 1;
    this.entryBytes = 0;
    this.state = State.TtyContent;
  }

  /** A timestamp in `data` that follows a `\n` (or starts it): the likeliest entry start. */
  private findTimestamp(data: Buffer): number {
    let from = 0;
    for (;;) {
      const z = data.indexOf(0x5a /* Z */, from + 29);
      if (z < 0 || z + 2 > data.length) return -1;
      const at = z - 29;
      if (at >= 0 && isTimestampAt(data, at)) return at;
      from = at + 1;
    }
  }

  // --- lines ---------------------------------------------------------------------------------

  private beginLine(line: PendingLine, timestamp: string): void {
    line.timestamp = timestamp;
    this.lineCounter += 1;
    line.startedAt = this.lineCounter;
  }

  /** Adds message bytes to a pending line, keeping at most maxLineBytes of them. */
  private appendToLine(line: PendingLine, chunk: Buffer, start: number, end: number): void {
    if (end <= start) return;
    line.totalBytes += end - start;
    line.endsWithCr = chunk[end - 1] === CR;
    const room = this.maxLineBytes - line.keptBytes;
    if (room <= 0) return;
    const part = chunk.subarray(start, Math.min(end, start + room));
    line.parts.push(part);
    line.keptBytes += part.length;
  }

  /** Emits a pending line. `dropTail` bytes at its end are its line ending (a TTY `\r`). */
  private finishLine(line: PendingLine, dropTail: number, stream: LogStreamName): void {
    const length = line.totalBytes - dropTail;
    const keep = Math.min(length, this.maxLineBytes);
    const joined = line.parts.length === 1 ? (line.parts[0] as Buffer) : Buffer.concat(line.parts, line.keptBytes);
    const complete: LogLine = { timestamp: line.timestamp, stream, message: joined.subarray(0, keep), truncated: length > keep, chunks: line.chunks };
    line.reset(); // before onLine: a complete line is no longer pending (oldestPendingTimestamp)
    this.onLine(complete);
  }

  // --- resynchronisation ---------------------------------------------------------------------

  private enterResync(reason: string, carry: Buffer): void {
    this.onDaemonError(`undecodable log stream data: ${reason}; searching for the next ${this.tty ? 'entry' : 'frame'}`);
    this.resyncCarry = Buffer.from(carry);
    this.resyncSkipped = 0;
    this.headFill = 0;
    this.state = State.Resync;
  }

  private reportResyncEnd(where: string): void {
    if (this.resyncSkipped > 0) this.onDaemonError(`skipped ${this.resyncSkipped} undecodable bytes ${where}`);
    this.resyncSkipped = 0;
  }
}
