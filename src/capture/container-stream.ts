// ONE stream of one container's log (a follow stream, or a bounded read without follow), from an
// exact position until it ends or is closed.
//
// close() is the fix the product was born from: a reader blocked on a follow stream whose
// container writes nothing would otherwise live forever. Closing destroys the HTTP response and
// its socket at once, drops the parser's partial lines (they are re-read from the position),
// removes every listener this object added and resolves only once the response (and its socket)
// have emitted 'close': nothing of the old stream outlives it.
import type { Socket } from 'node:net';
import type { ContainerInfo } from '../docker/container-info.js';
import type { ApiStream, DockerApi } from '../docker/docker-api.js';
import type { CaptureTelemetry } from './capture-telemetry.js';
import type { LineConsumer } from './captured-line.js';
import type { LogDialect } from './daemon-profile.js';
import { HandedLines } from './handed-lines.js';
import { sinceParam } from './position.js';
import type { Position } from './position.js';
import { PositionedLineReader } from './positioned-line-reader.js';
import type { LogOpening, WindowVerdict } from './positioned-line-reader.js';

/**
 * How a stream finished. `ended`: the daemon ended it (the container stopped, or a read without
 * follow reached the end). `closed`: we closed it. `unproven`: its tail window could not be shown
 * to reach back to the position; nothing was handed on and it was closed (ask again wider).
 */
export type StreamOutcome =
  | { kind: 'ended' }
  | { kind: 'closed' }
  | { kind: 'unproven' }
  | { kind: 'error'; error: Error };

/**
 * A stream counts as quiet after this long without a byte: a rotation that was waiting for the
 * stream to make progress closes it then, and a tail window still unjudged is given up.
 */
export const QUIET_MS = 100;

export interface ContainerStreamOptions {
  docker: Pick<DockerApi, 'openLogs'>;
  container: ContainerInfo;
  /** Where to start: lines before it, and the first `skip` lines at or after `since`, are not handed on. */
  position: Position;
  /** How to ask the daemon (default: `since` the position). */
  opening?: LogOpening;
  /** Follow new lines (default) or read to the current end and stop. */
  follow?: boolean;
  /** Where its lines go: the task's consumer, or its multiline joiner in front of it. */
  consumer: Pick<LineConsumer, 'accept'>;
  telemetry: CaptureTelemetry;
  /** How to ask this daemon and read its answer (default: Docker's, for the container's TTY). */
  dialect?: LogDialect;
  maxLineBytes: number;
  /** The consumer said it is full (accept() returned false): stop reading until it drains. */
  onBackpressure: () => void;
}

export class ContainerStream {
  /** Mutable so a rename applies to the lines that follow it. */
  container: ContainerInfo;
  bytes = 0;
  /** Resolves once the stream is over and its response is fully gone. Never rejects. */
  readonly done: Promise<StreamOutcome>;

  private readonly start: Position;
  private readonly reader: PositionedLineReader;
  /** Undecodable bytes already reported to telemetry. */
  private undecodableReported = 0;
  private response: ApiStream | undefined;
  private socket: Socket | undefined;
  private outcome: StreamOutcome | undefined;
  private closing = false;
  private openCalled = false;
  private opened = false;
  private finished = false;
  private paused = false;
  /** A rotation is due: close once the stream has made progress (see requestRotation). */
  private rotationRequested = false;
  private lastDataAt = 0;
  private quietTimer: NodeJS.Timeout | undefined;
  private pendingCloses = 0;
  private waitingForSocket = false;
  private resolveDone!: (outcome: StreamOutcome) => void;

  private readonly handed: HandedLines;
  // Per-stream, not per-line: the hot path must not allocate closures or label objects.
  private readonly onData = (chunk: Buffer): void => this.handleData(chunk);
  private readonly onEnd = (): void => this.handleEnd();
  private readonly onError = (error: Error): void => this.handleError(error);
  private readonly onClose = (): void => this.handleClose();

  constructor(private readonly options: ContainerStreamOptions) {
    this.container = options.container;
    this.start = { ...options.position };
    this.handed = new HandedLines(options.telemetry, options.telemetry.apiRouteLines, options.consumer, options.onBackpressure);
    this.reader = new PositionedLineReader({
      start: this.start,
      opening: options.opening ?? { kind: 'since' },
      bounded: options.follow === false,
      tty: options.container.tty,
      ...(options.dialect ? { framing: options.dialect.framing, resolutionMs: options.dialect.resolutionMs } : {}),
      maxLineBytes: options.maxLineBytes,
      onLine: (line, position, ordinal) => this.handed.handOn({ container: this.container, line, position, ordinal }),
      onDaemonError: (message) => options.telemetry.daemonError(this.container, message),
      onUnproven: () => this.handleUnproven(),
      onPositionRotatedAway: (missing) => options.telemetry.positionRotatedAway(this.container, missing),
    });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
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

  /** Lines read again to get back to the position (skipped, or older than it in a tail window). */
  get reread(): number {
    return this.reader.reread;
  }

  /** Bytes of this stream dropped as undecodable: a stream of nothing else yields nothing (see silence-watch.ts). */
  get undecodableBytes(): number {
    return this.reader.undecodableBytes;
  }

  /** Lines its bytes made, handed on or not (the ones skipped to get back to the position too). */
  get decodedLines(): number {
    return this.reader.decodedLines;
  }

  /** How its tail window was judged (undefined when it was not opened with one). */
  get windowVerdict(): WindowVerdict | undefined {
    return this.reader.windowVerdict;
  }

  /**
   * Opens the stream. Rejects (DockerError: 404, 501, or a connection error) when the daemon
   * refuses; then nothing needs closing (and `done` settles only if close() was called).
   */
  async open(): Promise<void> {
    this.openCalled = true;
    const opening = this.options.opening ?? { kind: 'since' };
    const follow = this.options.follow ?? true;
    let response: ApiStream;
    try {
      const dialect = this.options.dialect;
      const libpod = dialect?.libpodApiVersion !== undefined ? { libpodApiVersion: dialect.libpodApiVersion } : {};
      response = await this.options.docker.openLogs(
        this.container.id,
        opening.kind === 'since' ? { follow, since: sinceParam(this.start, dialect?.since), ...libpod } : opening.kind === 'tail' ? { follow, tail: opening.tail, ...libpod } : { follow, ...libpod }, // beginning, all
      );
    } catch (error) {
      if (this.closing) this.finish();
      throw error;
    }
    this.attach(response);
    if (this.closing) {
      // close() came while we were connecting: the response must not outlive it.
      this.destroyResponse();
      return;
    }
    if (this.paused) response.pause();
    this.lastDataAt = performance.now();
    // A tail window is judged by its lines; a follow stream that goes quiet first is given up.
    if (this.reader.windowVerdict === 'pending' && follow) this.armQuietCheck();
  }

  /**
   * The rotation interval is over: close the stream once it has made progress, so that every
   * turn does more than read again what the last one read (a 30,000-line burst under a 100 ms
   * rotation was read at 100 lines/s: each turn re-read the lines its position skips and was cut
   * before it got past them). Progress is at least one new line, and at least as many as the
   * position skipped: the lines a reopening reads again are then paid for by as many new ones.
   * A stream that goes quiet is caught up, and closes too.
   */
  requestRotation(): void {
    if (this.closing || this.finished) return;
    this.rotationRequested = true;
    if (this.madeProgress()) void this.close();
    else this.armQuietCheck();
  }

  private madeProgress(): boolean {
    return this.lines >= Math.max(1, this.start.skip);
  }

  /** Checks, after QUIET_MS (at least minWaitMs), whether no byte came meanwhile; re-arms for the remaining time if one did. */
  private armQuietCheck(minWaitMs = 1): void {
    if (this.quietTimer !== undefined || this.closing || this.finished) return;
    const wait = Math.max(minWaitMs, QUIET_MS - (performance.now() - this.lastDataAt));
    this.quietTimer = setTimeout(() => {
      this.quietTimer = undefined;
      if (this.closing || this.finished) return;
      if (performance.now() - this.lastDataAt < QUIET_MS) {
        this.armQuietCheck();
        return;
      }
      if (this.reader.windowVerdict === 'pending') this.reader.giveUpPendingWindow();
      // Quiet means caught up only past the position: before it the daemon still owes the lines
      // the position skips, and a loaded daemon answering `since` on a long log may take longer
      // than QUIET_MS to send the first of them. Closing then would reopen (and pay for the same
      // scan) forever; the stream closes once it makes progress or goes quiet past its position.
      else if (this.rotationRequested && this.reader.reachedPosition) void this.close();
      else if (this.rotationRequested) this.armQuietCheck(QUIET_MS);
    }, wait);
    this.quietTimer.unref();
  }

  private attach(response: ApiStream): void {
    this.opened = true;
    this.response = response;
    this.socket = response.socket ?? undefined;
    this.pendingCloses = 1;
    this.options.telemetry.streamOpened();
    response.on('data', this.onData);
    response.on('end', this.onEnd);
    response.on('error', this.onError);
    response.on('close', this.onClose);
  }

  /** The position just after the last line this stream consumed (or where it started). */
  position(): Position {
    return this.reader.position();
  }

  /** TCP backpressure to dockerd: stop reading (the daemon keeps the lines in its log file). */
  pause(): void {
    this.paused = true;
    this.response?.pause();
  }

  resume(): void {
    this.paused = false;
    this.response?.resume();
  }

  get isOpen(): boolean {
    return this.opened && !this.finished;
  }

  /** The container stopped: the daemon ends a follow stream by itself. */
  containerStopped(): void {}

  /** Closes at once; resolves when the response and its socket are fully gone. */
  close(): Promise<StreamOutcome> {
    if (!this.closing && !this.finished) {
      this.closing = true;
      this.outcome ??= { kind: 'closed' };
      this.reader.discard();
      this.destroyResponse();
    }
    // Never asked to open: nothing to wait for. (While open() is connecting, it settles `done`.)
    if (!this.openCalled) this.finish();
    return this.done;
  }

  private destroyResponse(): void {
    const response = this.response;
    if (!response) return;
    if (response.readableEnded) return; // ended naturally: its 'close' follows by itself
    const socket = this.socket;
    if (socket && !socket.closed && !this.waitingForSocket) {
      // The socket is ours to wait for only when we destroy it; after a natural end it may be
      // back in the agent's keep-alive pool, serving someone else.
      this.waitingForSocket = true;
      this.pendingCloses += 1;
      socket.once('close', this.onClose);
    }
    response.pause();
    response.destroy();
    socket?.destroy();
  }

  private handleData(chunk: Buffer): void {
    if (this.closing) return;
    this.lastDataAt = performance.now();
    this.options.telemetry.bytes(chunk.length);
    this.bytes += chunk.length;
    this.reader.push(chunk);
    this.handed.addToTallies();
    if (this.reader.undecodableBytes !== this.undecodableReported) this.reportUndecodable();
    if (this.rotationRequested && !this.closing && this.madeProgress()) void this.close();
  }

  /** The tail window does not reach back to the position: nothing was handed on; close. */
  private handleUnproven(): void {
    if (this.outcome) return;
    // Called from inside the parser: it is not reset here (the reader ignores what follows an
    // unproven verdict, and no more bytes are pushed once closing).
    this.outcome = { kind: 'unproven' };
    this.closing = true;
    this.destroyResponse();
  }

  private reportUndecodable(): void {
    this.options.telemetry.undecodable(this.container, this.reader.undecodableBytes - this.undecodableReported);
    this.undecodableReported = this.reader.undecodableBytes;
  }

  private handleEnd(): void {
    if (this.closing || this.outcome) return;
    this.reader.end(); // the final line may lack its `\n`; an unjudged window is judged now
    this.handed.addToTallies();
    if (this.reader.undecodableBytes !== this.undecodableReported) this.reportUndecodable();
    this.outcome ??= { kind: 'ended' };
  }

  private handleError(error: Error): void {
    if (this.closing || this.outcome) return;
    this.outcome = { kind: 'error', error };
    this.destroyResponse();
  }

  private handleClose(): void {
    this.pendingCloses -= 1;
    if (!this.outcome) {
      // Closed under us without 'end' or 'error' (e.g. the daemon dropped the connection).
      this.outcome = { kind: 'error', error: new Error('log stream closed before its end') };
      this.destroyResponse();
    }
    if (this.pendingCloses <= 0) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.quietTimer !== undefined) clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    const response = this.response;
    if (response) {
      response.off('data', this.onData);
      response.off('end', this.onEnd);
      response.off('error', this.onError);
      response.off('close', this.onClose);
      this.options.telemetry.streamClosed();
    }
    if (this.socket && this.waitingForSocket) this.socket.off('close', this.onClose);
    this.response = undefined;
    this.socket = undefined;
    this.resolveDone(this.outcome ?? { kind: 'closed' });
  }
}
