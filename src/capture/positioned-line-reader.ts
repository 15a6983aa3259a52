// The bytes of one opened log stream -> complete lines, each with the exact position after it.
//
// It joins the frame parser (docker/) to the position tracker: it skips the `skip` lines that
// a reopened stream returns first (they were consumed before), while still observing them, and
// it holds the position back while a partial line is pending (PositionTracker.pin), so a
// stream closed at ANY byte can be reopened at position() without losing or repeating a line.
// This is the part of ContainerStream that has no socket in it, so it is tested on its own.
//
// A stream is opened one of four ways (see tail-window.ts for why):
//   since      Docker filters by `since` itself: every line it sends is at or after it.
//   beginning  the position is the start of the log: nothing to filter.
//   all        the whole log, unfiltered: lines older than `since` are dropped here, exactly as
//              Docker's `since` would (used where the daemon's own `since` filter is not to be
//              trusted: dockerd 20.10 skips compressed rotated files by a timestamp in their
//              header, and was seen to leave out lines a read without since returns).
//   tail       Docker sends the last N entries of the log (then new ones), unfiltered. Reading
//              them as `since` would is exact only if the window reaches back far enough: no
//              line before the window may carry a timestamp at or after `since`. That is proven
//              from the lines themselves (see TailProof) before any line is handed on; a window
//              that cannot be proven ends the stream with nothing handed on (`onUnproven`), and
//              the caller asks again with a wider window. Lines older than `since` are then
//              dropped here, exactly as Docker's own `since` filter would drop them.
import { LogFrameParser } from '../docker/log-frame-parser.js';
import type { LogFraming } from '../docker/log-frame-parser.js';
import type { LogLine } from '../docker/log-line.js';
import { LATE_WRITE_WINDOW_MS, PositionTracker, newestConsumedMs, timestampText } from './position.js';
import type { LineOrdinalState, Position, StampResolutionMs } from './position.js';

/** How a tail window was judged (see TailProof). */
export type WindowVerdict = 'pending' | 'counting' | 'proven' | 'whole' | 'unproven';

export type LogOpening =
  | { kind: 'since' }
  | { kind: 'beginning' }
  | { kind: 'all' }
  | { kind: 'tail'; tail: number };

export interface PositionedLineReaderOptions {
  /** Where the stream was opened: the daemon was asked for `since` (or a tail window), and `skip` lines follow. */
  start: Position;
  /** How the stream was asked for (default `since`). */
  opening?: LogOpening;
  /** The stream ends by itself (a read without follow): a tail window can then be judged by its count. */
  bounded?: boolean;
  tty: boolean;
  /** How the stream is framed (default: the parser's default for `tty`). */
  framing?: LogFraming;
  /** How fine the daemon's stamps are (default 1 ms; Podman 4: 1000). See position.ts. */
  resolutionMs?: StampResolutionMs;
  maxLineBytes: number;
  /**
   * A line not read before, the position just after it, and its ordinal: how many lines of the
   * same stream with the very same timestamp came before it (0 for most lines). The ordinal is
   * the same however often the line is read again (see LineOrdinals), so an id built from
   * (container, timestamp, stream, ordinal) names the line, not the reading.
   */
  onLine: (line: LogLine, position: Position, ordinal: number) => void;
  onDaemonError: (message: string) => void;
  /** A tail window that does not reach back to the position: the stream must be closed and nothing was handed on. */
  onUnproven?: () => void;
  /**
   * Lines the position counts as consumed are no longer in the log: the daemon rotated its files
   * away meanwhile. `missing` of the `skip` lines were not there; reading goes on from the first
   * line that was never consumed.
   */
  onPositionRotatedAway?: (missing: number) => void;
}

/**
 * Whether a tail window reaches back to `since`. A line whose first frame came right after a
 * complete line of the same stream is a true start of a line, so its timestamp is when it was
 * written, give or take the daemon's late-write skew (a continuation frame of a long line carries
 * its first frame's older timestamp, and the first line of each stream in a window may be one).
 * Every line before it in the file was written before it, so carries a timestamp no later than
 * its own plus that skew: if its own is older than `since` by more than the skew, no line before
 * the window can be at or after `since`, and the window holds every line Docker's `since` would
 * return. Until such a line is seen the lines are held (at most one per stream, so two).
 */
class TailProof {
  private readonly provenBefore: string;
  private readonly seenStreams = new Set<string>();
  held: LogLine[] = [];
  /** Entries (frames) the daemon sent, counted once the lines themselves could not prove the window. */
  private counted = 0;
  /**
   * pending   no verdict yet; lines are held
   * counting  (bounded reads only) the lines proved nothing, but the read ends by itself: the count
   *           of entries at its end still tells whether the window was the whole log
   */
  state: WindowVerdict = 'pending';

  constructor(sinceMs: number, readonly tail: number, private readonly bounded: boolean) {
    this.provenBefore = timestampText(sinceMs - LATE_WRITE_WINDOW_MS);
  }

  /**
   * The stream ended with no verdict yet: if the daemon sent fewer entries than the window asked
   * for, the window is the whole log (nothing lies before it); otherwise it cannot be told.
   */
  settleAtEnd(): 'whole' | 'unproven' {
    let entries = this.counted;
    for (const line of this.held) entries += line.chunks;
    this.state = entries < this.tail ? 'whole' : 'unproven';
    return this.state;
  }

  /** Judges a line: the lines to process now (in order; none while pending), or `unproven`. */
  offer(line: LogLine): LogLine[] | 'unproven' {
    if (this.state === 'counting') {
      this.counted += line.chunks;
      return [];
    }
    if (!this.seenStreams.has(line.stream)) {
      this.seenStreams.add(line.stream);
      this.held.push(line);
      return [];
    }
    if (line.timestamp < this.provenBefore) {
      const lines = [...this.held, line];
      this.held = [];
      this.state = 'proven';
      return lines;
    }
    if (this.bounded) {
      // Not proven by its lines; a window that ends with fewer entries than asked is the whole
      // log, though, and a bounded read does end: count. Its lines are not kept (a whole log
      // read this way is read again by `since`, which is cheap for a log that small).
      for (const held of this.held) this.counted += held.chunks;
      this.counted += line.chunks;
      this.held = [];
      this.state = 'counting';
      return [];
    }
    this.held = [];
    this.state = 'unproven';
    return 'unproven';
  }
}

/**
 * Counts lines sharing a timestamp, per stream. A reopened stream returns every line with a
 * timestamp at or after `since` (those sharing one timestamp share its millisecond, so they come
 * back all or none) and they are counted here before the skipped ones are dropped: a line gets
 * the same ordinal on every reading.
 */
export class LineOrdinals {
  private stdoutTimestamp = '';
  private stdoutCount = 0;
  private stderrTimestamp = '';
  private stderrCount = 0;

  /** Counting goes on from `state` (a reading resumed where another left off: the file route's byte offsets). */
  constructor(state?: LineOrdinalState) {
    if (state === undefined) return;
    this.stdoutTimestamp = state.stdout;
    this.stdoutCount = state.stdoutCount;
    this.stderrTimestamp = state.stderr;
    this.stderrCount = state.stderrCount;
  }

  /** The counters now, to go on from after a resumed reading. */
  state(): LineOrdinalState {
    return { stdout: this.stdoutTimestamp, stdoutCount: this.stdoutCount, stderr: this.stderrTimestamp, stderrCount: this.stderrCount };
  }

  next(line: LogLine): number {
    if (line.stream === 'stdout') {
      if (line.timestamp === this.stdoutTimestamp) return ++this.stdoutCount;
      this.stdoutTimestamp = line.timestamp;
      this.stdoutCount = 0;
      return 0;
    }
    if (line.timestamp === this.stderrTimestamp) return ++this.stderrCount;
    this.stderrTimestamp = line.timestamp;
    this.stderrCount = 0;
    return 0;
  }
}

export class PositionedLineReader {
  private readonly tracker: PositionTracker;
  private readonly parser: LogFrameParser;
  private readonly start: Position;
  /** Lines older than this are dropped as Docker's `since` filter would (tail windows only). */
  private readonly sinceText: string | undefined;
  private proof: TailProof | undefined;
  private readonly ordinals = new LineOrdinals();
  private toSkip: number;
  /** No consumed line is newer than newestConsumedMs(start): a line after it was never consumed, so skipping ends there. */
  private readonly neverConsumedFrom: string | undefined;
  /** Lines read again (skipped, or older than `since` in a tail window): the cost of reopening. */
  reread = 0;
  /** Every line the bytes made, handed on or not (skipped, held, dropped): the stream is decodable. */
  decodedLines = 0;

  constructor(private readonly options: PositionedLineReaderOptions) {
    this.start = { ...options.start };
    this.toSkip = options.start.skip;
    this.neverConsumedFrom = this.start.sinceMs > 0 && this.toSkip > 0 ? timestampText(newestConsumedMs(this.start) + 1) : undefined;
    this.tracker = new PositionTracker(this.start, LATE_WRITE_WINDOW_MS, options.resolutionMs ?? 1);
    const tailed = options.opening?.kind === 'tail' && this.start.sinceMs > 0;
    const filtered = (tailed || options.opening?.kind === 'all') && this.start.sinceMs > 0;
    this.sinceText = filtered ? timestampText(this.start.sinceMs) : undefined;
    this.proof = tailed && options.opening?.kind === 'tail' ? new TailProof(this.start.sinceMs, options.opening.tail, options.bounded === true) : undefined;
    this.parser = new LogFrameParser({
      tty: options.tty,
      ...(options.framing ? { framing: options.framing } : {}),
      maxLineBytes: options.maxLineBytes,
      onLine: (line) => this.handleLine(line),
      onDaemonError: options.onDaemonError,
    });
  }

  push(chunk: Buffer): void {
    this.parser.push(chunk);
    this.pinAtPendingLine();
  }

  /** The stream ended naturally: a pending partial line is emitted as a line. */
  end(): void {
    this.parser.end();
    this.tracker.unpin();
    const proof = this.proof;
    if (proof?.state !== 'pending' && proof?.state !== 'counting') return;
    const counting = proof.state === 'counting';
    const verdict = proof.settleAtEnd();
    // A whole log whose lines were only counted is read again by `since` (see TailProof.offer).
    if (verdict === 'whole' && !counting) this.releaseHeld();
    else this.options.onUnproven?.();
  }

  /**
   * How a tail window was judged: `pending` until a line proves it (or the stream ends), then
   * `proven` (it reaches back to the position), `whole` (it is the whole log) or `unproven`.
   * Undefined for streams opened by `since` or from the beginning.
   */
  get windowVerdict(): WindowVerdict | undefined {
    return this.proof?.state;
  }

  /**
   * A follow stream went quiet with its window still unjudged: only a count of what the daemon
   * sent could tell whether it was the whole log, and a quiet moment proves nothing about that,
   * so the window counts as unproven (the caller asks again another way).
   */
  giveUpPendingWindow(): void {
    const proof = this.proof;
    if (proof?.state !== 'pending') return;
    proof.state = 'unproven';
    proof.held = [];
    this.options.onUnproven?.();
  }

  /** We closed the stream: partial lines are dropped; position() still accounts for them. */
  discard(): void {
    this.parser.discard();
    if (this.proof) this.proof.held = [];
  }

  /** Bytes the parser dropped as undecodable (see LogFrameParser.undecodableBytes). */
  get undecodableBytes(): number {
    return this.parser.undecodableBytes;
  }

  /**
   * Whether the stream has passed its position: every line the position skips came back (or
   * turned out to be rotated away). Until then the daemon still owes us lines.
   */
  get reachedPosition(): boolean {
    return this.toSkip === 0;
  }

  /** Where to reopen so that the next line is the first one not handed on. */
  position(): Position {
    // While still skipping, the tracker has seen only part of what was consumed before.
    return this.toSkip > 0 ? { ...this.start } : this.tracker.position();
  }

  /** A partial line holds the position back until it completes (see PositionTracker.pin). */
  private pinAtPendingLine(): void {
    const pending = this.parser.oldestPendingTimestamp;
    if (pending === undefined || (this.sinceText !== undefined && pending < this.sinceText)) this.tracker.unpin();
    else this.tracker.pin(pending);
  }

  private handleLine(line: LogLine): void {
    this.decodedLines += 1;
    const proof = this.proof;
    if (proof === undefined || proof.state === 'proven' || proof.state === 'whole') {
      this.consume(line);
      return;
    }
    if (proof.state === 'counting') {
      proof.offer(line);
      return;
    }
    if (proof.state === 'unproven') return; // the stream is being closed; nothing more is handed on
    const ready = proof.offer(line);
    if (ready === 'unproven') {
      this.options.onUnproven?.();
      return;
    }
    for (const held of ready) this.consume(held);
  }

  /** The window is the whole log: the lines held while it was judged stand. */
  private releaseHeld(): void {
    const proof = this.proof;
    if (!proof) return;
    const held = proof.held;
    proof.held = [];
    for (const line of held) this.consume(line);
  }

  private consume(line: LogLine): void {
    // A line is where its last part is (see position.ts): the same stamp on Docker.
    const stamp = line.lastPartTimestamp ?? line.timestamp;
    if (this.sinceText !== undefined && stamp < this.sinceText) {
      this.reread += 1; // Docker's `since` would not have sent it
      return;
    }
    this.pinAtPendingLine(); // before observing: the pin must count from when the partial began
    this.tracker.observe(stamp);
    const ordinal = this.ordinals.next(line);
    if (this.toSkip > 0) {
      if (this.neverConsumedFrom !== undefined && stamp >= this.neverConsumedFrom) {
        // Some of the lines to skip are gone (log files rotated away); this one is new.
        const missing = this.toSkip;
        this.toSkip = 0;
        this.options.onPositionRotatedAway?.(missing);
      } else {
        this.toSkip -= 1; // consumed before this stream was opened
        this.reread += 1;
        return;
      }
    }
    this.options.onLine(line, this.tracker.position(), ordinal);
  }
}
