// Line assembly shared by both stream formats: a daemon cuts a long line into parts (Docker at
// 16 KiB, Podman at every read of the container's pipe or terminal), each part with its own
// timestamp; a part not ending in `\n` is continued by the next part of the same stream. This
// joins the parts, cuts lines at maxLineBytes, drops the line ending, and emits LogLines.
import type { LogLine, LogStreamName } from './log-line.js';

const LF = 0x0a;
const CR = 0x0d;

/** The line being assembled from parts, one per stream. */
class PendingLine {
  timestamp = '';
  /** The stamp of the part read last (Podman stamps each part; Docker repeats the first's). */
  lastTimestamp = '';
  parts: Buffer[] = [];
  /** Bytes kept in `parts` (at most maxLineBytes; `totalBytes` tells whether the line was longer). */
  keptBytes = 0;
  /** Bytes seen, kept or not. */
  totalBytes = 0;
  /** Parts (frames or entries) so far; 0 = no pending line. */
  chunks = 0;
  /** Order in which pending lines were started, so end() emits them in stream order. */
  startedAt = 0;
  /** The last byte seen was `\r` (a TTY's `\r\n` may be cut between two parts). */
  endsWithCr = false;

  constructor(readonly stream: LogStreamName) {}

  reset(): void {
    this.timestamp = '';
    this.lastTimestamp = '';
    this.parts = [];
    this.keptBytes = 0;
    this.totalBytes = 0;
    this.chunks = 0;
    this.endsWithCr = false;
  }
}

export class LineAssembler {
  readonly stdout = new PendingLine('stdout');
  readonly stderr = new PendingLine('stderr');
  private lineCounter = 0;

  /**
   * @param crlf lines end in `\r\n` (a TTY): the `\r` is part of the ending, not of the message.
   */
  constructor(
    private readonly maxLineBytes: number,
    private readonly crlf: boolean,
    private readonly onLine: (line: LogLine) => void,
  ) {}

  get pendingBytes(): number {
    return this.stdout.keptBytes + this.stderr.keptBytes;
  }

  /** Timestamp of the oldest line begun but not yet emitted, or undefined. */
  get oldestPendingTimestamp(): string | undefined {
    const out = this.stdout.chunks > 0 ? this.stdout : undefined;
    const err = this.stderr.chunks > 0 ? this.stderr : undefined;
    if (out && err) return out.startedAt <= err.startedAt ? out.timestamp : err.timestamp;
    return (out ?? err)?.timestamp;
  }

  /**
   * A part whose whole message is `chunk[start, lfAt)` followed by `\n` at `lfAt`, when no line of
   * its stream is pending: emitted as a view of the chunk, no copy (the hot path).
   */
  emitWhole(pending: PendingLine, timestamp: string, chunk: Buffer, start: number, lfAt: number): void {
    const end = this.crlf && lfAt > start && chunk[lfAt - 1] === CR ? lfAt - 1 : lfAt;
    const messageEnd = Math.min(end, start + this.maxLineBytes);
    this.onLine({ timestamp, stream: pending.stream, message: chunk.subarray(start, messageEnd), truncated: messageEnd < end, chunks: 1 });
  }

  /** A new part of `pending`'s line begins (the first part sets the line's timestamp). */
  beginPart(pending: PendingLine, timestamp: string): void {
    if (pending.chunks === 0) {
      pending.timestamp = timestamp;
      this.lineCounter += 1;
      pending.startedAt = this.lineCounter;
    }
    pending.lastTimestamp = timestamp;
    pending.chunks += 1;
  }

  /** Adds message bytes to a pending line, keeping at most maxLineBytes of them. */
  append(pending: PendingLine, chunk: Buffer, start: number, end: number): void {
    if (end <= start) return;
    pending.totalBytes += end - start;
    pending.endsWithCr = chunk[end - 1] === CR;
    const room = this.maxLineBytes - pending.keptBytes;
    if (room <= 0) return;
    const part = chunk.subarray(start, Math.min(end, start + room));
    pending.parts.push(part);
    pending.keptBytes += part.length;
  }

  /** The part ends with the `\n` at `lfAt`: appends `chunk[start, lfAt)` and emits the line. */
  finishAt(pending: PendingLine, chunk: Buffer, start: number, lfAt: number): void {
    if (pending.chunks === 1 && pending.totalBytes === 0) {
      this.emitWhole(pending, pending.timestamp, chunk, start, lfAt);
      pending.reset();
      return;
    }
    this.append(pending, chunk, start, lfAt);
    this.finish(pending, this.crlf && pending.endsWithCr);
  }

  /** The stream ended naturally: pending lines are lines of the log, emitted in stream order. */
  finishAll(): void {
    const first = this.stdout.startedAt <= this.stderr.startedAt ? this.stdout : this.stderr;
    const second = first === this.stdout ? this.stderr : this.stdout;
    if (first.chunks > 0) this.finish(first, false);
    if (second.chunks > 0) this.finish(second, false);
  }

  reset(): void {
    this.stdout.reset();
    this.stderr.reset();
  }

  /** Emits a pending line; with `dropCr` its last byte is the `\r` of its `\r\n`. */
  private finish(pending: PendingLine, dropCr: boolean): void {
    const length = pending.totalBytes - (dropCr ? 1 : 0);
    const keep = Math.min(length, this.maxLineBytes);
    const joined = pending.parts.length === 1 ? (pending.parts[0] as Buffer) : Buffer.concat(pending.parts, pending.keptBytes);
    const complete: LogLine = { timestamp: pending.timestamp, stream: pending.stream, message: joined.subarray(0, keep), truncated: length > keep, chunks: pending.chunks };
    if (pending.lastTimestamp !== pending.timestamp) complete.lastPartTimestamp = pending.lastTimestamp;
    pending.reset(); // before onLine: a complete line is no longer pending (oldestPendingTimestamp)
    this.onLine(complete);
  }
}

export type { PendingLine };
export { LF };
