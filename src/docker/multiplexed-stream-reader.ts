// A multiplexed log stream: frames of an 8-byte header [type, 0, 0, 0, uint32 BE length] and a
// payload `TIMESTAMP SPACE message`. Docker and Podman send it for containers without a TTY;
// Podman's /libpod/ endpoint sends it for every container (lines of a TTY then end in `\r\n`).
//
// A payload not ending in `\n` is a part of a longer line (Docker cuts at 16 KiB; Podman at each
// read of the container's pipe, 8 KiB at most, and a `\n` written on its own comes as a frame of
// its own); parts of one stream are merged until one ends in `\n` (stdout and stderr parts may
// interleave, so each stream has its own pending line). Type 3 carries an error text from the
// daemon itself: it is reported, never turned into a log line.
import { LF } from './line-assembler.js';
import type { PendingLine } from './line-assembler.js';
import { HEADER_BYTES, LogStreamReader } from './log-stream-reader.js';
import type { LogStreamReaderOptions } from './log-stream-reader.js';
import { MAX_STAMP_BYTES, MIN_STAMP_BYTES, NEED_MORE, NOT_A_STAMP } from './log-timestamp.js';

/** A daemon error text longer than this is cut: it is a message for a human, not data. */
const MAX_DAEMON_ERROR_BYTES = 64 * 1024;
// Type 0 (stdin) and 1 (stdout) are both read as stdout.
const TYPE_STDERR = 2;
const TYPE_SYSTEM_ERROR = 3;
const ZERO_TRIPLE = Buffer.from([0, 0, 0]);

const enum State {
  /** Collecting the 8 header bytes. */
  Header,
  /** The header is in `head`: collecting the timestamp after it. */
  Stamp,
  /** The message bytes of a log frame. */
  Content,
  /** The payload of a type 3 frame. */
  DaemonError,
  /** Lost our place in the byte stream: searching for the next plausible frame. */
  Resync,
}

export class MultiplexedStreamReader extends LogStreamReader {
  private state = State.Header;
  /** Payload bytes of the current frame not yet consumed. */
  private frameRemaining = 0;
  /** The line the current frame belongs to. */
  private current: PendingLine;
  private errorParts: Buffer[] = [];
  private errorBytes = 0;

  constructor(options: LogStreamReaderOptions) {
    super(options, 'frame');
    this.current = this.lines.stdout;
  }

  override get pendingBytes(): number {
    return super.pendingBytes + this.errorBytes;
  }

  protected consume(input: Buffer): void {
    let chunk = input;
    let i = 0;
    let n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case State.Header: {
          if (this.headFill === 0) {
            i = this.wholeLines(chunk, i, n);
            if (i === n) break;
          }
          const take = Math.min(HEADER_BYTES - this.headFill, n - i);
          chunk.copy(this.head, this.headFill, i, i + take);
          this.headFill += take;
          i += take;
          if (this.headFill === HEADER_BYTES) this.startFrame();
          break;
        }
        case State.Stamp: {
          const limit = HEADER_BYTES + Math.min(this.frameRemaining, MAX_STAMP_BYTES);
          let result = this.continueStamp(chunk, i, n, HEADER_BYTES, limit);
          i += this.taken;
          // The payload ended before the stamp did.
          if (result === NEED_MORE && this.headFill === limit) result = NOT_A_STAMP;
          if (result > 0) this.startLogFrame(result);
          else if (result < 0) {
            const reason = `frame without a timestamp (header ${this.head.subarray(0, HEADER_BYTES).toString('hex')})`;
            this.enterResync(this.stampRefused(result, this.head, HEADER_BYTES, this.headFill, reason), this.head.subarray(1, this.headFill));
            this.state = State.Resync;
          }
          break;
        }
        case State.Content: {
          const take = Math.min(this.frameRemaining, n - i);
          this.frameRemaining -= take;
          if (this.frameRemaining > 0) {
            this.lines.append(this.current, chunk, i, i + take);
          } else {
            if (chunk[i + take - 1] === LF) this.lines.finishAt(this.current, chunk, i, i + take - 1);
            else this.lines.append(this.current, chunk, i, i + take);
            this.state = State.Header;
          }
          i += take;
          break;
        }
        case State.DaemonError: {
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
          const found = this.resync(chunk, i, HEADER_BYTES + MAX_STAMP_BYTES - 1, (data) => this.findFrameStart(data));
          if (found === undefined) return;
          this.state = State.Header;
          chunk = found.data;
          i = found.at;
          n = chunk.length;
          break;
        }
      }
    }
  }

  /**
   * The hot path: emits the lines that are each one whole frame inside chunk[i, n) as views of
   * the chunk (no copy), from a frame start at `i`. Returns where the first other frame starts.
   */
  private wholeLines(chunk: Buffer, i: number, n: number): number {
    const { lines, stamps } = this;
    while (n - i >= HEADER_BYTES + MIN_STAMP_BYTES) {
      const type = chunk[i] as number;
      if (type > TYPE_STDERR || chunk[i + 1] !== 0 || chunk[i + 2] !== 0 || chunk[i + 3] !== 0) return i;
      const end = i + HEADER_BYTES + chunk.readUInt32BE(i + 4);
      const pending = type === TYPE_STDERR ? lines.stderr : lines.stdout;
      if (end > n || chunk[end - 1] !== LF || pending.chunks !== 0) return i;
      const stampBytes = stamps.read(chunk, i + HEADER_BYTES, end - 1);
      if (stampBytes <= 0) return i;
      lines.emitWhole(pending, stamps.accept(), chunk, i + HEADER_BYTES + stampBytes, end - 1);
      i = end;
    }
    return i;
  }

  protected endUnfinished(): void {
    if (this.state === State.Resync) this.endResync();
    else if (this.state === State.DaemonError) this.finishDaemonError();
    else if (this.headFill > 0) this.onDaemonError(`log stream ended inside a frame header or timestamp (${this.headFill} bytes dropped)`);
  }

  protected override reset(): void {
    super.reset();
    this.state = State.Header;
    this.frameRemaining = 0;
    this.current = this.lines.stdout;
    this.errorParts = [];
    this.errorBytes = 0;
  }

  /** The 8 header bytes are in: decide what the payload is. */
  private startFrame(): void {
    const head = this.head;
    const type = head[0] as number;
    const length = head.readUInt32BE(4);
    if (type > TYPE_SYSTEM_ERROR || head[1] !== 0 || head[2] !== 0 || head[3] !== 0) {
      this.enterResync(`invalid frame header ${head.toString('hex', 0, HEADER_BYTES)}`, head.subarray(1, HEADER_BYTES));
      this.state = State.Resync;
      return;
    }
    this.frameRemaining = length;
    if (type === TYPE_SYSTEM_ERROR) {
      this.headFill = 0;
      this.state = length > 0 ? State.DaemonError : State.Header;
      if (length === 0) this.onDaemonError('(empty daemon error frame)');
      return;
    }
    if (length === 0) {
      this.headFill = 0; // an empty frame carries nothing, not even a timestamp
      return;
    }
    if (length < MIN_STAMP_BYTES) {
      // Too short for a timestamp: with timestamps=1 the daemon never sends this. If it is a
      // misread header, searching from its second byte finds the real next frame.
      this.enterResync(`frame of ${length} bytes has no room for a timestamp`, head.subarray(1, HEADER_BYTES));
      this.state = State.Resync;
      return;
    }
    // The header stays in `head`; the timestamp is collected after it.
    this.current = type === TYPE_STDERR ? this.lines.stderr : this.lines.stdout;
    this.state = State.Stamp;
  }

  /** Header and timestamp (`stampBytes` of it, space included) are in `head`: the rest is message. */
  private startLogFrame(stampBytes: number): void {
    this.lines.beginPart(this.current, this.stamps.accept());
    this.frameRemaining -= stampBytes;
    this.headFill = 0;
    // A part with nothing after its timestamp adds nothing to its line.
    this.state = this.frameRemaining > 0 ? State.Content : State.Header;
  }

  private finishDaemonError(): void {
    const text = Buffer.concat(this.errorParts).toString('utf8').trim();
    this.errorParts = [];
    this.errorBytes = 0;
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
      const at = zeros - 1;
      if (zeros < 0 || at + HEADER_BYTES > data.length) return -1;
      const length = data.readUInt32BE(at + 4);
      if ((data[at] as number) <= TYPE_STDERR && length >= MIN_STAMP_BYTES) {
        const payloadEnd = at + HEADER_BYTES + length;
        const result = this.stamps.read(data, at + HEADER_BYTES, Math.min(data.length, payloadEnd));
        if (result > 0) return at;
        if (result === NEED_MORE && payloadEnd > data.length) return -1; // decided by bytes not here yet
      }
      from = zeros + 1;
    }
  }
}
