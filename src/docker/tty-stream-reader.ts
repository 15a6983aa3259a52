// A raw TTY log stream (Docker's, and Podman's Docker-compatible endpoint): no headers, only log
// entries `TIMESTAMP SPACE bytes` one after the other. Every line ends in `\r\n`; the `\r\n` is the
// line's ending, not part of its message.
//
// Where does an entry end? Both daemons cut the terminal's output at every `\n`, so an entry
// holds at most one `\n`, as its last byte: an entry that has one completes a line. An entry
// without one is a part of a longer line, and the next entry directly follows its last byte.
// Where that is depends on the daemon (`cut`):
//
// 'docker-16k': Docker's log copier buffers up to 16 KiB and flushes a part only when that
//   buffer is full, so a part holds exactly 16384 bytes and the next timestamp follows the 16384th.
//   The `\r` of a line whose `\r\n` straddles a 16 KiB boundary ends one entry, and the `\n` is the
//   whole next one. (One exception Docker cannot mark: a container run whose output ended without
//   a newline leaves a shorter last part, and the next run's first entry follows it; that entry is
//   then read as part of the same line, timestamp included, as before this reader existed.)
//
// 'podman': conmon writes an entry for every read() of the terminal (measured with Podman 4.3:
//   4095 bytes for a long line, `abc` when a program wrote `abc` and paused), so a part may hold
//   any number of bytes, and a read can end between the `\r` and the `\n` of a line (the `\n`
//   then comes alone in an entry of its own, as with Docker). Nothing but the next timestamp marks
//   where such a part ends, so: a part ends where a timestamp begins that has the same number of
//   fraction digits as the part's own (one Podman writes all its stamps in one layout), is a real
//   time, is followed by a space, and is not the part's first byte (conmon never writes an empty
//   part). This is exact unless the terminal output itself holds, after the first byte of a
//   line, text of exactly that form: that text then ends a part, and disappears from the line.
//   Podman's /libpod/containers/{id}/logs frames TTY streams (multiplexed-stream-reader.ts) and
//   has no such ambiguity.
import { LF } from './line-assembler.js';
import { LogStreamReader } from './log-stream-reader.js';
import type { LogStreamReaderOptions } from './log-stream-reader.js';
import { MAX_STAMP_BYTES, NEED_MORE } from './log-timestamp.js';

/** How the daemon cuts a line into entries (see above). */
export type TtyCut = 'docker-16k' | 'podman';

/** Docker's log copier cuts lines into entries of this many bytes. */
const DOCKER_ENTRY_BYTES = 16 * 1024;
const UPPER_T = 0x54;
/** Where the `T` is in a timestamp. */
const T_AT = 10;
const EMPTY = Buffer.alloc(0);

const enum State {
  /** Reading the timestamp that starts an entry. */
  Stamp,
  /** The bytes of an entry, up to its end. */
  Content,
  /** Lost our place in the byte stream: searching for the next timestamp. */
  Resync,
}

export class TtyStreamReader extends LogStreamReader {
  private state = State.Stamp;
  /** Bytes of the current entry read so far (after its timestamp). */
  private entryBytes = 0;
  /** Fraction digits of the current entry's timestamp. */
  private entryDigits = 0;
  /** 'podman': the last bytes of the previous chunk, which may begin the next entry's timestamp. */
  private undecided: Buffer = EMPTY;
  private readonly cutAtStamps: boolean;
  /** Set by wholeLines(): the next `\n` at or after where it stopped (-1 none, -2 not searched). */
  private stoppedAtLf = -2;

  constructor(options: LogStreamReaderOptions, cut: TtyCut) {
    super(options, 'entry');
    this.cutAtStamps = cut === 'podman';
  }

  override get pendingBytes(): number {
    return super.pendingBytes + this.undecided.length;
  }

  protected consume(input: Buffer): void {
    // Rare ('podman' only, and only when a chunk ended in what may begin a timestamp).
    let chunk = this.undecided.length > 0 ? Buffer.concat([this.undecided, input]) : input;
    this.undecided = EMPTY;
    let i = 0;
    let n = chunk.length;
    // Where the next `\n` at or after `i` is in this chunk (-1 none, -2 not searched yet): one
    // search serves several entries of a long line.
    let nextLf = -2;
    while (i < n) {
      switch (this.state) {
        case State.Stamp: {
          if (this.headFill === 0 && this.lines.stdout.chunks === 0) {
            i = this.wholeLines(chunk, i, n);
            nextLf = this.stoppedAtLf;
            if (i === n) break;
          }
          let result: number;
          if (this.headFill === 0 && n - i >= MAX_STAMP_BYTES) {
            result = this.stamps.read(chunk, i, n);
            if (result > 0) {
              this.startEntry();
              i += result;
              break;
            }
            this.enterResync(this.stampRefused(result, chunk, i, n, 'TTY log entry without a timestamp'), EMPTY);
            i += 1;
          } else {
            result = this.continueStamp(chunk, i, n, 0, MAX_STAMP_BYTES);
            i += this.taken;
            if (result === NEED_MORE) break; // the chunk is used up
            if (result > 0) {
              this.headFill = 0;
              this.startEntry();
              break;
            }
            this.enterResync(this.stampRefused(result, this.head, 0, this.headFill, 'TTY log entry without a timestamp'), this.head.subarray(1, this.headFill));
          }
          this.state = State.Resync;
          break;
        }
        case State.Content: {
          if (nextLf === -2 || (nextLf >= 0 && nextLf < i)) nextLf = chunk.indexOf(LF, i);
          const line = this.lines.stdout;
          if (this.cutAtStamps) {
            const limit = nextLf >= 0 ? nextLf : n;
            const from = this.entryBytes === 0 ? i + 1 : i;
            const next = this.findEntryStamp(chunk, from, limit, this.entryDigits);
            if (next >= 0) {
              this.lines.append(line, chunk, i, next);
              i = next;
              this.state = State.Stamp;
              break;
            }
            if (nextLf < 0) {
              // The chunk ends inside the entry; its last bytes may begin the next timestamp.
              const keep = this.possibleStampStart(chunk, Math.max(from, n - MAX_STAMP_BYTES + 1), n);
              this.lines.append(line, chunk, i, keep);
              this.entryBytes += keep - i;
              this.undecided = Buffer.from(chunk.subarray(keep, n));
              return;
            }
          } else {
            const entryEnd = i + (DOCKER_ENTRY_BYTES - this.entryBytes); // exclusive bound of this entry
            if (nextLf < 0 || nextLf >= entryEnd) {
              const end = Math.min(n, entryEnd);
              this.lines.append(line, chunk, i, end);
              this.entryBytes += end - i;
              i = end;
              if (this.entryBytes === DOCKER_ENTRY_BYTES) this.state = State.Stamp; // a 16 KiB part: the next entry continues the line
              break;
            }
          }
          this.lines.finishAt(line, chunk, i, nextLf);
          i = nextLf + 1;
          this.state = State.Stamp;
          break;
        }
        case State.Resync: {
          const found = this.resync(chunk, i, MAX_STAMP_BYTES - 1, (data) => this.findAnyStamp(data));
          if (found === undefined) return;
          this.state = State.Stamp;
          chunk = found.data;
          i = found.at;
          n = chunk.length;
          nextLf = -2;
          break;
        }
      }
    }
  }

  protected endUnfinished(): void {
    if (this.state === State.Resync) this.endResync();
    else if (this.headFill > 0) this.onDaemonError(`log stream ended inside a timestamp (${this.headFill} bytes dropped)`);
    // Undecided bytes were not a timestamp after all: nothing follows them.
    if (this.undecided.length > 0) this.lines.append(this.lines.stdout, this.undecided, 0, this.undecided.length);
  }

  protected override reset(): void {
    super.reset();
    this.state = State.Stamp;
    this.entryBytes = 0;
    this.undecided = EMPTY;
  }

  /**
   * The hot path: emits the entries that are each a whole line inside chunk[i, n) as views of the
   * chunk (no copy), from an entry start at `i` while no line is pending. Returns where the first
   * other entry starts (a part of a longer line, or one cut by the chunk's end).
   */
  private wholeLines(chunk: Buffer, i: number, n: number): number {
    const { lines, stamps } = this;
    this.stoppedAtLf = -2;
    while (n - i >= MAX_STAMP_BYTES) {
      const stampBytes = stamps.read(chunk, i, n);
      if (stampBytes <= 0) return i;
      // Taken now: findEntryStamp() reads with the same reader.
      const timestamp = stamps.accept();
      const start = i + stampBytes;
      const lf = chunk.indexOf(LF, start);
      // Not a whole line: no `\n` here, or the entry ends before it (see the top of this file).
      if (lf < 0 || (this.cutAtStamps ? this.findEntryStamp(chunk, start + 1, lf, stamps.fractionDigits) >= 0 : lf - start >= DOCKER_ENTRY_BYTES)) {
        this.stoppedAtLf = lf; // the next `\n` after `i` (its stamp holds none): not searched twice
        return i;
      }
      lines.emitWhole(lines.stdout, timestamp, chunk, start, lf);
      i = lf + 1;
    }
    return i;
  }

  private startEntry(): void {
    this.lines.beginPart(this.lines.stdout, this.stamps.accept());
    this.entryDigits = this.stamps.fractionDigits;
    this.entryBytes = 0;
    this.state = State.Content;
  }

  /**
   * 'podman': the first offset in [from, limit) where a timestamp with `digits` fraction digits
   * (the layout of the entry's own) begins, complete before `limit`; or -1.
   */
  private findEntryStamp(chunk: Buffer, from: number, limit: number, digits: number): number {
    for (let t = chunk.indexOf(UPPER_T, from + T_AT); t >= 0 && t < limit; t = chunk.indexOf(UPPER_T, t + 1)) {
      if (this.stamps.read(chunk, t - T_AT, limit) > 0 && this.stamps.fractionDigits === digits) return t - T_AT;
    }
    return -1;
  }

  /** 'podman': the first offset in [from, n) where the bytes to the chunk's end may begin a timestamp; or n. */
  private possibleStampStart(chunk: Buffer, from: number, n: number): number {
    for (let at = from; at < n; at += 1) {
      if (this.stamps.read(chunk, at, n) === NEED_MORE) return at;
    }
    return n;
  }

  /** Resync: the first timestamp in `data` (any layout), or -1 when none can be seen yet. */
  private findAnyStamp(data: Buffer): number {
    for (let t = data.indexOf(UPPER_T, T_AT); t >= 0; t = data.indexOf(UPPER_T, t + 1)) {
      const result = this.stamps.read(data, t - T_AT, data.length);
      if (result > 0) return t - T_AT;
      if (result === NEED_MORE) return -1; // decided by bytes not here yet
    }
    return -1;
  }
}
