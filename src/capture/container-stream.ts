// ONE follow stream of one container's log, from an exact position until it ends or is closed.
//
// close() is the fix the product was born from: a reader blocked on a follow stream whose
// container writes nothing would otherwise live forever. Closing destroys the HTTP response and
// its socket at once, drops the parser's partial lines (they are re-read from the position),
// removes every listener this object added and resolves only once the response (and its socket)
// have emitted 'close': nothing of the old stream outlives it.
import type { Socket } from 'node:net';
import type { ContainerInfo } from '../docker/container-info.js';
import type { ApiStream, DockerApi } from '../docker/docker-api.js';
import type { LogLine } from '../docker/log-line.js';
import type { CaptureTelemetry } from './capture-telemetry.js';
import type { LineConsumer } from './captured-line.js';
import { sinceParam } from './position.js';
import type { Position } from './position.js';
import { PositionedLineReader } from './positioned-line-reader.js';

/** How a stream finished. `ended`: the daemon ended it (container stopped). `closed`: we closed it. */
export type StreamOutcome =
  | { kind: 'ended' }
  | { kind: 'closed' }
  | { kind: 'error'; error: Error };

export interface ContainerStreamOptions {
  docker: Pick<DockerApi, 'openLogs'>;
  container: ContainerInfo;
  /** Where to start: lines before it, and the first `skip` lines at or after `since`, are not handed on. */
  position: Position;
  consumer: LineConsumer;
  telemetry: CaptureTelemetry;
  maxLineBytes: number;
  /** The consumer said it is full (accept() returned false): stop reading until it drains. */
  onBackpressure: () => void;
}

export class ContainerStream {
  /** Mutable so a rename applies to the lines that follow it. */
  container: ContainerInfo;
  /** Lines handed to the consumer by this stream (not counting the skipped ones). */
  lines = 0;
  bytes = 0;
  lastTimestamp: string | undefined;
  /** Resolves once the stream is over and its response is fully gone. Never rejects. */
  readonly done: Promise<StreamOutcome>;

  private readonly start: Position;
  private readonly reader: PositionedLineReader;
  private response: ApiStream | undefined;
  private socket: Socket | undefined;
  private outcome: StreamOutcome | undefined;
  private closing = false;
  private openCalled = false;
  private opened = false;
  private finished = false;
  private paused = false;
  private pendingCloses = 0;
  private waitingForSocket = false;
  private resolveDone!: (outcome: StreamOutcome) => void;

  // Per-stream, not per-line: the hot path must not allocate closures or label objects.
  private uncountedStdout = 0;
  private uncountedStderr = 0;
  private readonly onData = (chunk: Buffer): void => this.handleData(chunk);
  private readonly onEnd = (): void => this.handleEnd();
  private readonly onError = (error: Error): void => this.handleError(error);
  private readonly onClose = (): void => this.handleClose();

  constructor(private readonly options: ContainerStreamOptions) {
    this.container = options.container;
    this.start = { sinceMs: options.position.sinceMs, skip: options.position.skip };
    this.reader = new PositionedLineReader({
      start: this.start,
      tty: options.container.tty,
      maxLineBytes: options.maxLineBytes,
      onLine: (line, position) => this.handleLine(line, position),
      onDaemonError: (message) => options.telemetry.daemonError(this.container, message),
    });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /**
   * Opens the follow stream. Rejects (DockerError: 404, 501, or a connection error) when the
   * daemon refuses; then nothing needs closing (and `done` settles only if close() was called).
   */
  async open(): Promise<void> {
    this.openCalled = true;
    let response: ApiStream;
    try {
      response = await this.options.docker.openLogs(this.container.id, { follow: true, since: sinceParam(this.start) });
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
    this.options.telemetry.bytes(chunk.length);
    this.bytes += chunk.length;
    this.reader.push(chunk);
    this.countLines();
  }

  // prom-client hashes the labels on every inc(): the line counters are added once per chunk
  // (hundreds of lines) instead of once per line.
  private countLines(): void {
    if (this.uncountedStdout > 0) this.options.telemetry.stdoutLines.inc(this.uncountedStdout);
    if (this.uncountedStderr > 0) this.options.telemetry.stderrLines.inc(this.uncountedStderr);
    this.uncountedStdout = 0;
    this.uncountedStderr = 0;
  }

  private handleLine(line: LogLine, position: Position): void {
    this.lines += 1;
    this.lastTimestamp = line.timestamp;
    if (line.stream === 'stdout') this.uncountedStdout += 1;
    else this.uncountedStderr += 1;
    if (line.chunks > 1) this.options.telemetry.partialLineMerged();
    if (line.truncated) this.options.telemetry.lineTruncated();
    if (!this.options.consumer.accept({ container: this.container, line, position })) this.options.onBackpressure();
  }

  private handleEnd(): void {
    if (this.closing || this.outcome) return;
    this.reader.end(); // the final line may lack its `\n`
    this.countLines();
    this.outcome = { kind: 'ended' };
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
