// What the two readers of a log stream (multiplexed-stream-reader.ts, tty-stream-reader.ts)
// share: the timestamp reader, line assembly, a timestamp cut by a chunk boundary, and the
// resynchronisation after undecodable bytes.
//
// Bytes are processed as they arrive: a frame or line is never waited for whole, so a hostile
// length header or a line of megabytes costs at most `maxLineBytes` of memory.
import { LineAssembler } from './line-assembler.js';
import type { LogLine } from './log-line.js';
import { MAX_STAMP_BYTES, NOT_A_REAL_TIME, TimestampReader, excerpt } from './log-timestamp.js';

export interface LogStreamReaderOptions {
  /** Longer lines are cut to this many bytes and marked `truncated: true`. */
  maxLineBytes: number;
  /** Lines end in `\r\n` (the container has a TTY). */
  crlf: boolean;
  onLine: (line: LogLine) => void;
  /** The daemon's own errors and undecodable bytes: reported, never a log line. */
  onDaemonError: (message: string) => void;
}

/** The 8-byte header of a multiplexed frame (a TTY stream has none). */
export const HEADER_BYTES = 8;
const EMPTY = Buffer.alloc(0);

export abstract class LogStreamReader {
  protected readonly lines: LineAssembler;
  protected readonly stamps = new TimestampReader();
  protected readonly onDaemonError: (message: string) => void;
  /** A frame header and/or timestamp cut by a chunk boundary: its first `headFill` bytes. */
  protected readonly head = Buffer.alloc(HEADER_BYTES + MAX_STAMP_BYTES);
  protected headFill = 0;
  /** Set by continueStamp(): how many bytes of the chunk it used. */
  protected taken = 0;

  /**
   * Bytes dropped as undecodable since this reader was made (kept across end() and discard()):
   * a stream whose bytes all end up here yields nothing, and must not look healthy.
   */
  undecodableBytes = 0;

  /** Resynchronising: bytes kept from earlier chunks that may start the next frame or entry. */
  private resyncCarry: Buffer = EMPTY;
  private resyncSkipped = 0;

  constructor(
    options: LogStreamReaderOptions,
    /** What is searched for after undecodable bytes, for messages: 'frame' or 'entry'. */
    private readonly unit: string,
  ) {
    this.lines = new LineAssembler(Math.max(0, Math.floor(options.maxLineBytes)), options.crlf, options.onLine);
    this.onDaemonError = options.onDaemonError;
  }

  /** Feeds the next bytes of the stream, split anywhere (views of it may be kept: see LogFrameParser.push). */
  push(chunk: Buffer): void {
    this.consume(chunk);
    this.stamps.release();
  }

  /** push(): reads the chunk. */
  protected abstract consume(chunk: Buffer): void;

  /** The stream ended naturally: pending partial lines are emitted, then the reader is reset. */
  end(): void {
    this.endUnfinished();
    this.lines.finishAll();
    this.reset();
  }

  /** Forget everything (we closed the stream): pending lines are dropped unseen. */
  discard(): void {
    this.reset();
  }

  /** end(): report (or keep) what the end of the stream cut off, before pending lines are emitted. */
  protected abstract endUnfinished(): void;

  /** Bytes held for incomplete frames and lines. */
  get pendingBytes(): number {
    return this.headFill + this.lines.pendingBytes + this.resyncCarry.length;
  }

  get oldestPendingTimestamp(): string | undefined {
    return this.lines.oldestPendingTimestamp;
  }

  get timestampResolutionNs(): number {
    return this.stamps.coarsestResolutionNs;
  }

  /** Back to the start of a stream. */
  protected reset(): void {
    this.headFill = 0;
    this.lines.reset();
    this.resyncCarry = EMPTY;
    this.resyncSkipped = 0;
  }

  // --- a timestamp cut by a chunk boundary ---------------------------------------------------

  /**
   * Continues a stamp that starts at head[stampAt] but not all of which was in earlier chunks:
   * moves bytes of chunk[i, n) into `head`, never beyond head[limit) (the end of a frame's
   * payload), and reads the stamp. Bytes moved beyond the stamp's end are given back: `taken`
   * says how many bytes of the chunk were used. Returns TimestampReader.read()'s result.
   */
  protected continueStamp(chunk: Buffer, i: number, n: number, stampAt: number, limit: number): number {
    const take = Math.min(Math.min(stampAt + MAX_STAMP_BYTES, limit) - this.headFill, n - i);
    chunk.copy(this.head, this.headFill, i, i + take);
    this.headFill += take;
    const result = this.stamps.read(this.head, stampAt, this.headFill);
    // The previous call read NEED_MORE, so the stamp ends in the bytes taken now.
    const excess = result > 0 ? this.headFill - (stampAt + result) : 0;
    this.headFill -= excess;
    this.taken = take - excess;
    return result;
  }

  /**
   * Why the stamp at buffer[at] was refused (read() returned NOT_A_STAMP or NOT_A_REAL_TIME): a
   * stamp with the right shape but no real time in it is quoted, escaped, so it can be found.
   */
  protected stampRefused(result: number, buffer: Buffer, at: number, end: number, notAStamp: string): string {
    if (result !== NOT_A_REAL_TIME) return notAStamp;
    const space = buffer.indexOf(0x20, at);
    return `log entry with a timestamp that is not a real time: ${excerpt(buffer, at, space >= at && space < end ? space : end, MAX_STAMP_BYTES)}`;
  }

  // --- resynchronisation ---------------------------------------------------------------------

  /** Lost our place: report, keep `carry` (bytes that may start the next frame or entry), and search. */
  protected enterResync(reason: string, carry: Buffer): void {
    // Every caller drops the first byte of what it could not decode (the rest is carried, or
    // searched next): that byte is counted here, the ones skipped while searching in reportSkipped.
    this.undecodableBytes += 1;
    this.onDaemonError(`undecodable log stream data: ${reason}; searching for the next ${this.unit}`);
    this.resyncCarry = Buffer.from(carry);
    this.resyncSkipped = 0;
    this.headFill = 0;
  }

  /**
   * Searches the carried bytes and chunk[i, ...) with `find` (offset of the next frame or entry
   * in a buffer, or -1 when none can be seen yet). Returns the buffer to go on with and where in
   * it, or undefined when the whole chunk was searched (its last `keep` bytes are carried).
   */
  protected resync(chunk: Buffer, i: number, keep: number, find: (data: Buffer) => number): { data: Buffer; at: number } | undefined {
    // Rare: the carried bytes and the rest of this chunk become one buffer to search.
    const data = this.resyncCarry.length > 0 ? Buffer.concat([this.resyncCarry, chunk.subarray(i)]) : chunk.subarray(i);
    const found = find(data);
    if (found < 0) {
      const kept = Math.min(data.length, keep);
      this.resyncSkipped += data.length - kept;
      this.resyncCarry = Buffer.from(data.subarray(data.length - kept));
      return undefined;
    }
    this.resyncSkipped += found;
    this.reportSkipped(`before the next ${this.unit}`);
    this.resyncCarry = EMPTY;
    return { data, at: found };
  }

  /** The stream ended while resynchronising. */
  protected endResync(): void {
    this.resyncSkipped += this.resyncCarry.length;
    this.reportSkipped('at the end of the stream');
  }

  private reportSkipped(where: string): void {
    this.undecodableBytes += this.resyncSkipped;
    if (this.resyncSkipped > 0) this.onDaemonError(`skipped ${this.resyncSkipped} undecodable bytes ${where}`);
    this.resyncSkipped = 0;
  }
}
