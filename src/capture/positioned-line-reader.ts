// The bytes of one opened log stream -> complete lines, each with the exact position after it.
//
// It joins the frame parser (docker/) to the position tracker: it skips the `skip` lines that
// a reopened stream returns first (they were consumed before), while still observing them, and
// it holds the position back while a partial line is pending (PositionTracker.pin), so a
// stream closed at ANY byte can be reopened at position() without losing or repeating a line.
// This is the part of ContainerStream that has no socket in it, so it is tested on its own.
import { LogFrameParser } from '../docker/log-frame-parser.js';
import type { LogLine } from '../docker/log-line.js';
import { PositionTracker } from './position.js';
import type { Position } from './position.js';

export interface PositionedLineReaderOptions {
  /** Where the stream was opened: the daemon was asked for `since`, and `skip` lines follow. */
  start: Position;
  tty: boolean;
  maxLineBytes: number;
  /** A line not read before, and the position just after it. */
  onLine: (line: LogLine, position: Position) => void;
  onDaemonError: (message: string) => void;
}

export class PositionedLineReader {
  private readonly tracker: PositionTracker;
  private readonly parser: LogFrameParser;
  private readonly start: Position;
  private toSkip: number;

  constructor(private readonly options: PositionedLineReaderOptions) {
    this.start = { sinceMs: options.start.sinceMs, skip: options.start.skip };
    this.toSkip = options.start.skip;
    this.tracker = new PositionTracker(this.start);
    this.parser = new LogFrameParser({
      tty: options.tty,
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
  }

  /** We closed the stream: partial lines are dropped; position() still accounts for them. */
  discard(): void {
    this.parser.discard();
  }

  /** Where to reopen so that the next line is the first one not handed on. */
  position(): Position {
    // While still skipping, the tracker has seen only part of what was consumed before.
    return this.toSkip > 0 ? { sinceMs: this.start.sinceMs, skip: this.start.skip } : this.tracker.position();
  }

  /** A partial line holds the position back until it completes (see PositionTracker.pin). */
  private pinAtPendingLine(): void {
    const pending = this.parser.oldestPendingTimestamp;
    if (pending === undefined) this.tracker.unpin();
    else this.tracker.pin(pending);
  }

  private handleLine(line: LogLine): void {
    this.pinAtPendingLine(); // before observing: the pin must count from when the partial began
    this.tracker.observe(line.timestamp);
    if (this.toSkip > 0) {
      this.toSkip -= 1; // consumed before this stream was opened
      return;
    }
    this.options.onLine(line, this.tracker.position());
  }
}
