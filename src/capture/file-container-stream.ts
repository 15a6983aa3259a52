// ONE read of one container's json-file log straight from disk (the file route), with the same
// surface as ContainerStream (the API route), so ContainerTask, the stream pool and rotation treat
// both alike: a follow read holds one open file (and a directory watch) against max_streams, a
// read without follow is a poll, and a turn reopens at the position.
//
// Positions carry both routes' forms of the same point (see Position.file): the byte offset the
// JsonFileReader gives (exact, O(1) to resume) and the time position a PositionTracker keeps
// exactly as the API route does, so the API route can take over at any line. Where the read
// starts:
//   position with `file`     at that byte offset (O(1)); the tracker is told the lines before
//                            it were not observed here (PositionTracker's resumedAfterStart)
//   position without `file`  (first read on this route, or after the API route) the log is
//                            read from its oldest file and the time position applied as the
//                            daemon's `since` and our `skip` would: lines older than since are
//                            dropped, then the first `skip` ones. The cost is one local scan;
//                            from the first line handed on, positions carry `file`.
//
// Lines are the reader's LogLines, handed to the consumer exactly as ContainerStream hands the
// API route's: the same CapturedLine, so the same records byte for byte.
import type { ContainerInfo } from '../docker/container-info.js';
import { JsonFileError } from '../docker/json-file/json-file-error.js';
import { JsonFileReader } from '../docker/json-file/json-file-reader.js';
import type { JsonFileOutcome, JsonFileStart } from '../docker/json-file/json-file-reader.js';
import type { FilePosition } from '../docker/json-file/file-position.js';
import type { JsonLogLocation } from '../docker/json-file/log-location.js';
import type { LogLine } from '../docker/log-line.js';
import type { CaptureTelemetry } from './capture-telemetry.js';
import type { LineConsumer } from './captured-line.js';
import type { StreamOutcome } from './container-stream.js';
import { HandedLines } from './handed-lines.js';
import { PositionTracker, newestConsumedMs, timestampText } from './position.js';
import type { Position } from './position.js';
import { LineOrdinals } from './positioned-line-reader.js';

export interface FileContainerStreamOptions {
  container: ContainerInfo;
  location: JsonLogLocation;
  position: Position;
  /** Follow the file as it grows and rotates (until closed, or containerStopped()), or read to its current end. */
  follow: boolean;
  /** Where its lines go: the task's consumer, or its multiline joiner in front of it. */
  consumer: Pick<LineConsumer, 'accept'>;
  telemetry: CaptureTelemetry;
  maxLineBytes: number;
  onBackpressure: () => void;
  /** Longest wait between two looks at an idle file when no watch event comes (the reader's default otherwise). */
  maxPollMs?: number;
}

/** Why the file route gave up: `unavailable` outcomes carry it, and the task falls back to the API. */
export function fileRouteError(outcome: StreamOutcome): JsonFileError | undefined {
  return outcome.kind === 'error' && outcome.error instanceof JsonFileError ? outcome.error : undefined;
}

export class FileContainerStream {
  container: ContainerInfo;
  bytes = 0;
  /**
   * For the silence check (see silence.ts): the file route decodes json-file entries itself, and
   * a damaged entry is a logged warning, not undecodable stream data; every entry read counts.
   */
  readonly undecodableBytes = 0;
  decodedLines = 0;
  /** Lines read again to get back to the position (the scan, or the offset's skip). */
  reread = 0;
  readonly done: Promise<StreamOutcome>;
  /** File streams have no tail window. */
  readonly windowVerdict = undefined;

  private readonly start: Position;
  private readonly reader: JsonFileReader;
  private readonly tracker: PositionTracker;
  /** event_id's ordinals, counted as the API route counts them (resumed from the position's counters at a byte offset). */
  private readonly ordinals: LineOrdinals;
  /** Scanning for a time position: lines older than this are dropped, as the daemon's `since` would. */
  private readonly sinceText: string | undefined;
  private readonly neverConsumedFrom: string | undefined;
  private toSkip: number;
  private handedAny = false;
  /** Counted in the open-streams gauge (from a successful open until the end). */
  private counted = false;
  private finished = false;
  private readonly handed: HandedLines;

  constructor(private readonly options: FileContainerStreamOptions) {
    this.container = options.container;
    this.handed = new HandedLines(options.telemetry, options.telemetry.fileRouteLines, options.consumer, options.onBackpressure);
    const start = { ...options.position };
    this.start = start;
    const file = start.file;
    const resumed = file !== undefined;
    this.tracker = new PositionTracker(start, undefined, 1, resumed);
    this.ordinals = new LineOrdinals(resumed ? start.ordinals : undefined);
    this.toSkip = resumed ? 0 : start.skip;
    this.sinceText = !resumed && start.sinceMs > 0 ? timestampText(start.sinceMs) : undefined;
    this.neverConsumedFrom = !resumed && start.sinceMs > 0 && start.skip > 0 ? timestampText(newestConsumedMs(start) + 1) : undefined;
    const readerStart: JsonFileStart = file !== undefined ? { kind: 'position', position: { ...file } } : { kind: 'beginning' };
    this.reader = new JsonFileReader({
      location: options.location,
      start: readerStart,
      tty: options.container.tty,
      maxLineBytes: options.maxLineBytes,
      follow: options.follow,
      onLine: (line, position) => this.handleLine(line, position),
      onWarning: (message) => options.telemetry.fileWarning(this.container, options.location.path, message),
      onRead: (n) => this.handleRead(n),
      ...(options.maxPollMs !== undefined ? { maxPollMs: options.maxPollMs } : {}),
    });
    this.done = this.reader.done.then((outcome) => this.finish(outcome));
  }

  get isOpen(): boolean {
    return this.reader.isOpen;
  }

  /** Lines handed to the consumer by this stream (not counting the skipped ones). */
  get lines(): number {
    return this.handed.count;
  }

  get firstTimestamp(): string | undefined {
    return this.handed.first;
  }

  get lastTimestamp(): string | undefined {
    return this.handed.last;
  }

  /** Opens the file. Rejects with a JsonFileError when the file route cannot read this log (nothing to close then). */
  async open(): Promise<void> {
    await this.reader.open();
    if (this.finished || !this.reader.isOpen) return; // closed while opening
    this.counted = true;
    this.options.telemetry.streamOpened();
  }

  /** The position just after the last line handed on (or where the read started). */
  position(): Position {
    if (!this.handedAny) return { ...this.start };
    this.pinAtPendingLine();
    const file = this.reader.position();
    return file === undefined ? this.tracker.position() : { ...this.tracker.position(), file, ordinals: this.ordinals.state() };
  }

  pause(): void {
    this.reader.pause();
  }

  resume(): void {
    this.reader.resume();
  }

  /** A turn is due: a file reopens at its offset in O(1), so there is nothing to wait for. */
  requestRotation(): void {
    void this.close();
  }

  /** The container stopped: read what is left (a pending partial line becomes a line) and end. */
  containerStopped(): void {
    this.reader.end();
  }

  close(): Promise<StreamOutcome> {
    void this.reader.close();
    return this.done;
  }

  private handleRead(n: number): void {
    this.bytes += n;
    this.options.telemetry.bytes(n);
    this.handed.addToTallies();
  }

  /** A partial line holds the time position back until it completes (see PositionTracker.pin). */
  private pinAtPendingLine(): void {
    const pending = this.reader.oldestPendingTimestamp;
    if (pending === undefined || (this.sinceText !== undefined && pending < this.sinceText)) this.tracker.unpin();
    else this.tracker.pin(pending);
  }

  private handleLine(line: LogLine, file: FilePosition): boolean {
    this.decodedLines += 1;
    if (this.sinceText !== undefined && line.timestamp < this.sinceText) {
      this.reread += 1; // the daemon's `since` would not have sent it: read before
      return true;
    }
    this.pinAtPendingLine(); // before observing: the pin must count from when the partial began
    this.tracker.observe(line.timestamp);
    const ordinal = this.ordinals.next(line);
    if (this.toSkip > 0) {
      if (this.neverConsumedFrom !== undefined && line.timestamp >= this.neverConsumedFrom) {
        // Some of the lines to skip are gone (rotated away); this one is new.
        const missing = this.toSkip;
        this.toSkip = 0;
        this.options.telemetry.positionRotatedAway(this.container, missing);
      } else {
        this.toSkip -= 1;
        this.reread += 1;
        return true;
      }
    }
    this.handedAny = true;
    const position = this.tracker.position(); // a fresh object: completed in place, no copy per line
    position.file = file;
    position.ordinals = this.ordinals.state();
    this.handed.handOn({ container: this.container, line, position, ordinal });
    return true;
  }

  private finish(outcome: JsonFileOutcome): StreamOutcome {
    this.finished = true;
    this.handed.addToTallies();
    this.reread += this.reader.reread;
    if (this.counted) this.options.telemetry.streamClosed();
    this.counted = false;
    switch (outcome.kind) {
      case 'ended':
      case 'removed': // the container's directory went away (docker rm) after everything was read
        return { kind: 'ended' };
      case 'closed':
        return { kind: 'closed' };
      case 'unavailable':
        return { kind: 'error', error: outcome.error };
    }
  }
}
