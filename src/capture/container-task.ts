// One container's capture task. It owns everything about reading that container: its position,
// its stream, its pool slot, its backoff and its counters. The engine only sends it signals
// (the container started, stopped, was destroyed or renamed; capture is paused or resumed; stop)
// and reads its status; nothing else writes its state.
//
// The task is a loop. With a follow slot it opens a stream at the position and waits for that
// stream to be over (fully gone), then decides what comes next:
//   closed     we closed it (rotation, or the slot was wanted): reopen at the position, or give
//              the slot up and queue again when others wait
//   ended      the daemon ended it: the container stopped (done until it starts again) or, if it
//              still runs, a hiccup (reopen)
//   unproven   its tail window did not reach back to the position: ask again, wider
//   error      connection trouble: give the slot back, back off, retry
//   404 / 501  gone (the engine drops the task) / unreadable (reported once, never retried)
// Without a follow slot (more containers run than the pool has slots, see stream-pool.ts) it
// polls instead: every poll interval it reads from its position to the end of the log without
// follow, so its lines still arrive within about that interval; when a poll finds lines, the
// task queues for a follow slot, and a follower that stays quiet while others queue gives its
// slot back.
//
// Route: each read goes through the Docker log API (ContainerStream) or, when the engine found
// docker.containers_dir readable and the container logs to json-file, straight from its log file
// (FileContainerStream). Both hand on the same lines with positions either route can resume
// from, so when the file route cannot go on (the file is unreadable, or was rotated away and
// deleted or compressed before we got to it) the task logs why once and reads on through the API
// from the position reached: nothing lost, nothing repeated. It stays on the API for the rest of
// its life (a restart of the capturer tries the file again).
import type { CaptureConfig } from '../config/capturer-config.js';
import type { ContainerInfo } from '../docker/container-info.js';
import type { DockerApi } from '../docker/docker-api.js';
import { isNoSuchContainer, isUnreadableLogDriver } from '../docker/docker-error.js';
import { JsonFileError } from '../docker/json-file/json-file-error.js';
import { jsonLogLocation } from '../docker/json-file/log-location.js';
import type { JsonLogLocation } from '../docker/json-file/log-location.js';
import { Backoff } from '../utils/backoff.js';
import type { BackoffOptions } from '../utils/backoff.js';
import type { CaptureTelemetry, ReopenKind } from './capture-telemetry.js';
import type { CaptureRoute, ContainerCaptureState, ContainerCaptureStatus } from './capture-status.js';
import type { LineConsumer } from './captured-line.js';
import { ContainerStream } from './container-stream.js';
import { FileContainerStream, fileRouteError } from './file-container-stream.js';
import { MultilineJoiner } from './multiline-joiner.js';
import { containerRule } from './multiline-rule.js';
import type { StreamOutcome } from './container-stream.js';
import { timestampMs } from './position.js';
import type { Position } from './position.js';
import type { LogOpening, WindowVerdict } from './positioned-line-reader.js';
import { AcquireCancelledError } from './stream-pool.js';
import type { PoolSlot, StreamPool } from './stream-pool.js';
import { TailWindowPlanner } from './tail-window.js';
import { logDialect, logRotates } from './daemon-profile.js';
import { StreamSilence } from './silence.js';
import type { DaemonProfile } from './daemon-profile.js';

/** What every task shares, given by the engine. */
export interface TaskServices {
  docker: Pick<DockerApi, 'openLogs' | 'inspect'>;
  consumer: LineConsumer;
  pool: StreamPool;
  telemetry: CaptureTelemetry;
  capture: Pick<CaptureConfig, 'rotationIntervalMs' | 'maxLineBytes' | 'pollIntervalMs' | 'multiline'>;
  backoff: BackoffOptions;
  /** What the daemon can do (tail windows; follow streams across log rotation). */
  daemon(): DaemonProfile;
  /**
   * Where the daemon's containers directory is mounted, when the file route may be used
   * (docker.containers_dir set and readable, capture.route not api); `explain`: say once why a
   * container is read through the API (capture.route: file).
   */
  fileRoute(): { containersDir: string; explain: boolean } | undefined;
  /** Engine-wide backpressure: while true no stream is read and none is opened. */
  isPaused(): boolean;
  /** A stream's consumer said it is full. */
  onBackpressure(): void;
  /** The task's state changed (the engine keeps the count of watched containers). */
  onStateChange(task: ContainerTask, from: ContainerCaptureState, to: ContainerCaptureState): void;
  /** The container was destroyed and its task has handed on its last line: drop it. */
  onDestroyed(task: ContainerTask): void;
}

/** A poll that found nothing makes the next one wait longer, up to this many poll intervals. */
const IDLE_POLL_FACTOR = 10;
/** A follower quiet for this many poll intervals gives its slot to a container that waits. */
const IDLE_YIELD_FACTOR = 20;
/** A poll that handed on this many lines is followed by the next one at once. */
const CATCH_UP_LINES = 1000;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** How one stream went, as the loop needs to know it. */
interface StreamResult {
  outcome: StreamOutcome;
  /** How its tail window was judged, if it had one. */
  verdict: WindowVerdict | undefined;
  /** We closed it because its rotation interval was over. */
  rotated: boolean;
  /** We closed it because the slot was wanted elsewhere. */
  yielded: boolean;
  /** Lines it handed on. */
  lines: number;
}

export class ContainerTask {
  private currentInfo: ContainerInfo;
  private currentState: ContainerCaptureState = 'waiting';
  /** Position after the last line handed to the consumer by a finished stream. */
  private position: Position;
  private stream: ContainerStream | FileContainerStream | undefined;
  /** Where this container's json-file log is (null: read through the API; undefined: not decided yet). */
  private fileLocation: JsonLogLocation | null | undefined;
  /** Why the file route was given up for this container (it is read through the API since). */
  private fileRouteFailure: JsonFileError | undefined;
  /** The open stream follows (as opposed to a read to the current end). */
  private streamFollows = false;
  private slot: PoolSlot | undefined;
  private runner: Promise<void> | undefined;
  private readonly planner: TailWindowPlanner;
  /** Whether its streams deliver only undecodable bytes (see silence.ts). */
  private readonly silence = new StreamSilence();
  private rotations = 0;
  private lines = 0;
  private bytes = 0;
  private lastTimestamp: string | undefined;
  private lastError: string | undefined;
  /** Date.now() of the last line handed on (0 = none yet): who is quiet gives up a shared slot. */
  private lastLineAt = 0;
  /** Counts start/restart/unpause signals, so the loop can tell one came while it looked away. */
  private startSignals = 0;
  /** What the events say: the container runs. A stopped container is not polled. */
  private containerRunning: boolean;
  private destroyed = false;
  private stopping = false;
  private rotateDue = false;
  private yieldDue = false;
  /** Why the next stream is opened. */
  private nextOpenKind: ReopenKind = 'start';
  /** Date.now() when the current stream was opened. */
  private streamOpenedAt = 0;
  /** Ends the loop's current sleep or pause wait early. */
  private wake: (() => void) | undefined;
  /**
   * Joins lines into records when the container has a multiline rule; it outlives the streams,
   * so a group open when a stream is reopened keeps growing (see multiline-joiner.ts).
   */
  private readonly joiner: MultilineJoiner | undefined;

  constructor(info: ContainerInfo, position: Position, private readonly services: TaskServices) {
    this.currentInfo = info;
    this.containerRunning = info.running;
    this.position = { ...position };
    // The daemon's `since` is not trusted on logs it rotates where its follow is not trusted either.
    this.planner = new TailWindowPlanner(() => services.daemon().tailWindows, () => !this.pollOnly);
    const multiline = services.capture.multiline;
    const { rule, problems } = containerRule(info.labels, multiline);
    // A task lives as long as its container, whose labels never change: reported once.
    if (problems.length > 0) services.telemetry.multilineLabelsInvalid(info, problems, rule ? 'the configured rule' : 'no grouping');
    this.joiner = rule === undefined ? undefined : new MultilineJoiner({
      rule,
      limits: { maxLines: multiline.maxLines, maxBytes: multiline.maxBytes },
      consumer: services.consumer,
      start: position,
      onBackpressure: () => services.onBackpressure(),
      telemetry: services.telemetry,
    });
  }

  get id(): string {
    return this.currentInfo.id;
  }

  get info(): ContainerInfo {
    return this.currentInfo;
  }

  get state(): ContainerCaptureState {
    return this.currentState;
  }

  get running(): boolean {
    return this.runner !== undefined;
  }

  // ---- signals from the engine ----------------------------------------------------------

  /** Starts the loop unless it runs already, the container is unreadable, or the task stopped. */
  start(): void {
    if (this.runner || this.stopping || this.currentState === 'unreadable') return;
    this.runner = this.run()
      .catch((error: unknown) => {
        // Nothing in run() should throw; if it does, record it rather than crash or spin.
        this.lastError = messageOf(error);
        this.setState('backoff');
        this.services.telemetry.taskFailed(this.currentInfo, error);
      })
      .finally(() => {
        this.runner = undefined;
        if (this.destroyed && !this.stopping) this.services.onDestroyed(this);
      });
  }

  /** start, restart or unpause: whatever the loop is doing, the container runs (again). */
  containerStarted(): void {
    this.startSignals += 1;
    this.containerRunning = true;
    this.nextOpenKind = 'start';
    this.wake?.();
    this.start();
  }

  /** die: the stream ends by itself (a file read is told to end); a task that polls reads once more and then rests. */
  containerStopped(): void {
    this.containerRunning = false;
    this.stream?.containerStopped();
    this.wake?.();
    // The rest is read without follow (see run() and DaemonProfile.followDropsAtExit).
    if (this.stream?.isOpen && this.streamFollows) void this.stream.close();
  }

  /** destroy: its log is gone with it. A loop still draining the stream finishes that first. */
  containerDestroyed(): void {
    this.destroyed = true;
    if (!this.runner) this.services.onDestroyed(this);
    else if (this.currentState === 'waiting') this.services.pool.cancel(this.id);
    if (this.currentState === 'backoff' || this.currentState === 'waiting') this.wake?.();
  }

  /** A new object: lines already handed on keep the name they were read under. */
  renamed(name: string): void {
    this.currentInfo = { ...this.currentInfo, name };
    if (this.stream) this.stream.container = this.currentInfo;
  }

  pause(): void {
    if (!this.stream) return;
    this.joiner?.suspend(); // waiting for room is not waiting for the container
    this.stream.pause();
    if (this.currentState === 'streaming') this.setState('paused');
  }

  resume(): void {
    if (this.stream) {
      this.stream.resume();
      if (this.stream.isOpen) this.joiner?.resume();
      if (this.currentState === 'paused') this.setState('streaming');
    } else if (this.currentState === 'paused') {
      this.wake?.();
    }
  }

  /** Rotates the open stream now, as the timer would; resolves once the old stream is fully gone. */
  async rotateNow(): Promise<boolean> {
    const stream = this.stream;
    if (!stream?.isOpen) return false;
    this.rotateDue = true;
    await stream.close();
    return true;
  }

  /**
   * The pool is shared and someone waits for a follow slot: give ours back if we have been quiet
   * long enough, or at once if the pool has to shrink the follow slots.
   */
  offerSlot(now: number): void {
    const stream = this.stream;
    if (!stream?.isOpen || this.slot?.kind !== 'follow' || this.yieldDue) return;
    const pool = this.services.pool;
    const quiet = now - Math.max(this.lastLineAt, this.streamOpenedAt) >= IDLE_YIELD_FACTOR * this.services.capture.pollIntervalMs;
    if (pool.overCommitted || (pool.hasWaiters() && quiet)) {
      this.yieldDue = true;
      stream.requestRotation();
    }
  }

  /** Closes the stream and ends the loop; resolves when both are gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    if (this.stream) void this.stream.close();
    await this.runner;
    this.joiner?.close();
  }

  status(): ContainerCaptureStatus {
    const stream = this.stream;
    const entry: ContainerCaptureStatus = {
      id: this.id,
      name: this.currentInfo.name,
      image: this.currentInfo.image,
      state: this.currentState,
      position: stream ? stream.position() : { ...this.position },
      lastTimestamp: stream?.lastTimestamp ?? this.lastTimestamp ?? null,
      rotations: this.rotations,
      lines: this.lines + (stream?.lines ?? 0),
      bytes: this.bytes + (stream?.bytes ?? 0),
      route: this.route,
      undecodableBytes: this.silence.undecodableBytes + (stream?.undecodableBytes ?? 0),
    };
    const silent = this.silence.current(stream);
    if (silent !== undefined) entry.silent = silent;
    if (this.lastError !== undefined) entry.lastError = this.lastError;
    if (this.fileRouteFailure !== undefined) entry.fileRouteError = `${this.fileRouteFailure.code}: ${this.fileRouteFailure.message}`;
    return entry;
  }

  /** The task's state as the engine counts it, before it is dropped. */
  markStopped(): void {
    this.setState('stopped');
  }

  /**
   * Read only by polls, never by a follow stream: the daemon rotates this container's log and its
   * follow streams repeat lines across a rotation (see DaemonProfile.followsRotation).
   */
  private get pollOnly(): boolean {
    return !this.services.daemon().followsRotation && logRotates(this.currentInfo) && this.route === 'api';
  }

  /** The route the next read takes (the file route follows json-file's rotation itself). */
  private get route(): CaptureRoute {
    if (this.fileLocation === undefined) this.fileLocation = this.locateFile();
    return this.fileLocation !== null && this.fileLocation !== undefined && this.fileRouteFailure === undefined ? 'file' : 'api';
  }

  /** The container's log file under the mount, null when it is read through the API, undefined: not known yet. */
  private locateFile(): JsonLogLocation | null | undefined {
    const settings = this.services.fileRoute();
    if (settings === undefined) return null;
    const info = this.currentInfo;
    // Created but never started: json-file gives it a LogPath when it starts (the task learns it
    // from the inspect after its stream ends); read through the API until then.
    if (info.logDriver === 'json-file' && info.logPath === '') return undefined;
    if (info.logDriver !== 'json-file') {
      if (settings.explain) this.giveUpFileRoute(new JsonFileError('JSON_FILE_NOT_FOUND', `the container logs to ${info.logDriver || 'an unknown driver'}, not json-file`), undefined);
      return null;
    }
    if (info.logOptions.compress === 'true' && !this.services.daemon().gzipReadsExact) {
      // json-file gzips its rotated files, which this route does not read: a reader that falls one
      // file behind hands over to the API, which must then read gzipped files while our earlier
      // reads may still be open; before Docker 23 that can return another file's lines (see
      // DaemonProfile.gzipReadsExact). Such logs are read through the API from the start.
      this.giveUpFileRoute(new JsonFileError('JSON_FILE_COMPRESSED', 'its json-file log uses compress=true, and this dockerd (before 23.0) may mix up gzipped rotated files between overlapping reads: read through the API'), undefined);
      return null;
    }
    try {
      return jsonLogLocation(settings.containersDir, info.id, info.logPath);
    } catch (error) {
      this.giveUpFileRoute(error instanceof JsonFileError ? error : new JsonFileError('JSON_FILE_BAD_PATH', messageOf(error)), undefined);
      return null;
    }
  }

  /** The file route cannot read this container: said once; reads go through the API from the same position. */
  private giveUpFileRoute(error: JsonFileError, path: string | undefined): void {
    if (this.fileRouteFailure !== undefined) return;
    this.fileRouteFailure = error;
    this.services.telemetry.fileRouteFallback(this.currentInfo, path ?? error.path, error);
  }

  // ---- the loop -------------------------------------------------------------------------

  private async run(): Promise<void> {
    const backoff = new Backoff(this.services.backoff);
    // dockerd (seen on 20.10) may end a follow stream when the container stops BEFORE sending its
    // last entry (e.g. the unfinished text of a killed container), and Podman 4.3 ends the follow
    // stream of a container that is not running anywhere in its log (measured: 8 of 12 follow
    // reads of an exited container's 587 KB log were cut short, at 230-549 KB; reads without
    // follow were whole). So a container known to be stopped is read WITHOUT follow, and counts as
    // read to the end only after a read opened once it was stopped found nothing new.
    let drainedAfterStop = false;
    try {
      for (;;) {
        if (this.stopping || this.destroyed) return; // a destroyed container's log is gone with it
        if (this.services.isPaused()) {
          this.setState('paused');
          await this.sleep(undefined);
          continue;
        }
        if (!this.slot) {
          const got = await this.waitForFollowSlot();
          if (got === 'gone') return;
          if (got === 'stopped') {
            this.setState('stopped');
            return;
          }
          continue; // check stopping and pause again
        }

        if (this.pollOnly) {
          // The file route was given up for a log this daemon's follow streams cannot follow
          // across its rotation: the API reads it by polls only (see pollOnly).
          this.releaseSlot();
          continue;
        }

        const signalsAtOpen = this.startSignals;
        let result: StreamResult;
        try {
          result = await this.read(this.containerRunning);
        } catch (error) {
          if (isUnreadableLogDriver(error)) {
            this.markUnreadable(error instanceof Error ? error : new Error(messageOf(error)));
            return;
          }
          if (isNoSuchContainer(error)) {
            this.destroyed = true; // its log is gone with it
            return;
          }
          this.lastError = messageOf(error);
          if (this.stopping) return;
          this.nextOpenKind = 'reconnect';
          await this.giveUpSlotAndWait(backoff.next());
          continue;
        }
        if (this.stopping) return;
        const { outcome } = result;

        if (outcome.kind === 'closed') {
          if (result.rotated) {
            this.rotations += 1;
            this.services.telemetry.rotated();
          }
          this.nextOpenKind = 'rotation';
          // The old stream is fully gone: only now may its slot go to someone else.
          if (result.yielded || this.services.pool.hasWaiters() || this.services.pool.overCommitted) {
            this.releaseSlot();
            this.nextOpenKind = 'turn';
          }
          backoff.reset();
          continue;
        }
        if (outcome.kind === 'error') {
          this.lastError = outcome.error.message;
          if (this.destroyed) return;
          this.nextOpenKind = 'reconnect';
          await this.giveUpSlotAndWait(backoff.next());
          continue;
        }
        // Ended by the daemon: drained to its last line. Stopped, or a hiccup while it runs?
        if (this.destroyed) return;
        let running: boolean;
        try {
          running = (await this.services.docker.inspect(this.id)).running;
        } catch (error) {
          if (isNoSuchContainer(error)) {
            this.destroyed = true;
            return;
          }
          this.lastError = messageOf(error);
          this.nextOpenKind = 'reconnect';
          await this.giveUpSlotAndWait(backoff.next());
          continue;
        }
        this.containerRunning = running || this.startSignals !== signalsAtOpen;
        if (this.containerRunning) {
          drainedAfterStop = false;
          this.nextOpenKind = 'reconnect';
          // Still running: the daemon hiccupped. Back off only if it keeps ending with nothing new.
          if (result.lines === 0) await this.giveUpSlotAndWait(backoff.next());
          else backoff.reset();
          continue;
        }
        if (!drainedAfterStop || result.lines > 0) {
          drainedAfterStop = true;
          this.nextOpenKind = 'reconnect';
          continue;
        }
        this.setState('stopped');
        return;
      }
    } finally {
      this.releaseSlot();
      this.wake = undefined;
      // Stopped, destroyed, unreadable or shutting down: no more lines come for the open groups
      // (a container that starts again starts a new loop). Emitted now, they are acknowledged
      // like any record; on SIGKILL instead they are read again from their first line.
      if (this.joiner !== undefined && !this.joiner.flush()) this.services.onBackpressure();
    }
  }

  /**
   * One read at the position: opens a stream as the planner says (a tail window when it can),
   * widens a window that does not reach back, and returns how the stream that did read went.
   * Throws the DockerError of an open the daemon refused.
   */
  private async read(wantFollow: boolean): Promise<StreamResult> {
    let follow = wantFollow;
    if (follow && this.services.daemon().followDropsAtExit && !(await this.services.docker.inspect(this.id)).running) {
      this.containerRunning = false; // not followed: see DaemonProfile.followDropsAtExit
      follow = false;
    }
    if (this.fileLocation === undefined && this.currentInfo.logDriver === 'json-file' && !this.currentInfo.logPath && this.services.fileRoute() !== undefined) {
      // Inspected before it ever started: its LogPath may be known now.
      const fresh = await this.services.docker.inspect(this.id).catch(() => undefined);
      if (fresh?.logPath) this.currentInfo = { ...this.currentInfo, logPath: fresh.logPath };
    }
    if (this.route === 'file') {
      const location = this.fileLocation as JsonLogLocation;
      let result: StreamResult;
      try {
        result = await this.runStream(undefined, follow);
      } catch (error) {
        if (!(error instanceof JsonFileError)) throw error;
        this.giveUpFileRoute(error, location.path);
        // Through the API, from the same position: a poll reads on now; a follow read goes back to
        // the loop, which polls instead where this daemon's follow streams cannot be trusted.
        if (!follow || !this.pollOnly) return this.read(follow);
        return { outcome: { kind: 'closed' }, verdict: undefined, rotated: false, yielded: false, lines: 0 };
      }
      const failure = fileRouteError(result.outcome);
      if (failure === undefined) return result;
      // Gave up mid-read (the lines handed on are in the position): the API takes over from there.
      this.giveUpFileRoute(failure, location.path);
      return { ...result, outcome: { kind: 'closed' }, rotated: false, yielded: false };
    }
    let opening = this.planner.plan(this.position, Date.now());
    for (;;) {
      const result = await this.runStream(opening, follow);
      if (result.outcome.kind !== 'unproven' || this.stopping) return result;
      // The planner learned from a whole-log verdict (it reads by `since` next).
      if (result.verdict === 'whole') {
        opening = this.planner.plan(this.position, Date.now());
        continue;
      }
      if (follow && opening.kind === 'tail') {
        // A follow stream cannot tell a window that is the whole log from one that is too short;
        // a read without follow of the same window can (it ends, and its entries can be counted).
        const probe = await this.runStream(opening, false);
        if (probe.outcome.kind !== 'unproven' || probe.verdict === 'whole') {
          opening = this.planner.plan(this.position, Date.now());
          continue;
        }
      }
      this.services.telemetry.tailWidenedOnce();
      const widened = this.planner.widen(opening);
      if (widened.fallback) this.services.telemetry.tailFallback(widened.fallback);
      opening = widened.opening;
    }
  }

  /**
   * Opens one stream (through the API with `opening`, or from the log file when it is undefined)
   * and reads it until it is over; folds its counters and position in.
   */
  private async runStream(opening: LogOpening | undefined, follow: boolean): Promise<StreamResult> {
    const common = {
      container: this.currentInfo,
      position: this.position,
      follow,
      consumer: this.joiner ?? this.services.consumer,
      telemetry: this.services.telemetry,
      dialect: logDialect(this.services.daemon(), this.currentInfo.tty),
      maxLineBytes: this.services.capture.maxLineBytes,
      onBackpressure: () => this.services.onBackpressure(),
    };
    const stream = opening === undefined
      ? new FileContainerStream({ ...common, location: this.fileLocation as JsonLogLocation, maxPollMs: this.services.capture.pollIntervalMs })
      : new ContainerStream({ ...common, docker: this.services.docker, opening });
    this.stream = stream;
    this.streamFollows = follow;
    const kind: ReopenKind = follow ? this.nextOpenKind : 'poll';
    const asked = performance.now();
    this.joiner?.suspend(); // until the daemon answers, no line can come
    try {
      await stream.open();
    } catch (error) {
      this.stream = undefined;
      this.joiner?.resume();
      throw error;
    }
    this.streamOpenedAt = Date.now();
    this.services.telemetry.streamRequested(kind, (performance.now() - asked) / 1000, opening?.kind === 'tail' ? opening.tail : undefined);
    // A file has no end of its own: a stopped container's is read to its end and the read ends.
    if (follow && !this.containerRunning) stream.containerStopped();
    if (follow) {
      const paused = this.services.isPaused();
      this.setState(paused ? 'paused' : 'streaming');
      if (paused) stream.pause();
    } else if (this.services.isPaused()) {
      stream.pause();
    }
    if (!this.services.isPaused()) this.joiner?.resume();
    const rotation = follow
      ? setTimeout(() => {
          this.rotateDue = true;
          stream.requestRotation();
        }, this.services.capture.rotationIntervalMs)
      : undefined;
    rotation?.unref();
    const outcome = await stream.done;
    clearTimeout(rotation);
    this.silence.streamEnded(stream);
    // We closed it to reopen it: the time until the next stream answers is not the container's.
    // (A stream the daemon ended, or that failed, leaves the clock running: the container may be done.)
    if (outcome.kind === 'closed' && !this.stopping) this.joiner?.suspend();
    this.position = stream.position();
    this.lines += stream.lines;
    this.bytes += stream.bytes;
    if (stream.lines > 0) this.lastLineAt = Date.now();
    if (stream.lastTimestamp !== undefined) this.lastTimestamp = stream.lastTimestamp;
    this.stream = undefined;
    const now = Date.now();
    const logSpanMs = stream.firstTimestamp !== undefined && stream.lastTimestamp !== undefined ? timestampMs(stream.lastTimestamp) - timestampMs(stream.firstTimestamp) : 0;
    if (opening !== undefined) {
      const fallback = this.planner.learn({ verdict: stream.windowVerdict, tail: opening.kind === 'tail' ? opening.tail : undefined, lines: stream.lines, logSpanMs, now });
      if (fallback) this.services.telemetry.tailFallback(fallback);
    }
    const result: StreamResult = { outcome, verdict: stream.windowVerdict, rotated: this.rotateDue && !this.yieldDue, yielded: this.yieldDue, lines: stream.lines };
    this.rotateDue = false;
    this.yieldDue = false;
    return result;
  }

  /**
   * Until a follow slot is ours: take one at once if the pool has one; otherwise (the pool is
   * shared) poll the container, queueing for a follow slot while it writes. Returns `slot`,
   * `stopped` (the container stopped and its log was read to the end) or `gone` (stopping,
   * destroyed, unreadable).
   */
  private async waitForFollowSlot(): Promise<'slot' | 'stopped' | 'gone'> {
    const pool = this.services.pool;
    const pollOnly = this.pollOnly;
    const immediate = pollOnly ? undefined : pool.tryAcquire(this.id, 'follow');
    if (immediate) {
      this.slot = immediate;
      return 'slot';
    }
    this.setState('waiting');
    const interval = this.services.capture.pollIntervalMs;
    // A container that just started, or whose last poll found lines, queues for a follow slot.
    let request: Promise<PoolSlot> | undefined;
    let granted: PoolSlot | undefined;
    const queue = (): void => {
      if (request || pollOnly) return;
      request = pool.acquire(this.id, 'follow');
      request.then((slot) => {
        granted = slot;
        this.wake?.();
      }, () => {});
    };
    const unqueue = (): void => {
      if (request && !granted) pool.cancel(this.id, 'follow');
      request = undefined;
    };
    if (this.nextOpenKind === 'start' || Date.now() - this.lastLineAt < IDLE_YIELD_FACTOR * interval) queue();
    let wait = 0; // the first read at once: a container may have lines waiting
    let drainedAfterStop = false;
    const backoff = new Backoff(this.services.backoff);
    try {
      for (;;) {
        await this.sleep(wait);
        if (this.stopping || this.destroyed) return 'gone';
        if (granted) {
          this.slot = granted;
          granted = undefined;
          request = undefined;
          this.nextOpenKind = 'turn';
          return 'slot';
        }
        if (this.services.isPaused()) {
          wait = interval;
          continue;
        }
        const stoppedBefore = !this.containerRunning;
        const polled = await this.poll();
        if (polled === 'gone') return 'gone';
        if (polled === 'failed') {
          wait = backoff.next();
          continue;
        }
        backoff.reset();
        if (stoppedBefore && !this.containerRunning) {
          // Read once more after it stopped (polls never follow), until a read finds nothing (see run()), then rest until it starts again.
          if (drainedAfterStop && polled === 0) return 'stopped';
          drainedAfterStop = true;
          wait = 0;
          continue;
        }
        drainedAfterStop = false;
        if (polled > 0) {
          queue();
          // A poll that read a lot is catching up with a busy container: read on at once.
          wait = polled >= CATCH_UP_LINES ? 0 : interval;
        } else {
          if (Date.now() - this.lastLineAt >= IDLE_YIELD_FACTOR * interval) unqueue();
          wait = Math.min(IDLE_POLL_FACTOR * interval, Math.max(interval, Math.ceil(wait * 1.5)));
        }
      }
    } finally {
      if (granted && !this.slot) pool.release(granted);
      unqueue();
    }
  }

  /** One read without follow, from the position to the end of the log, on a poll slot. */
  private async poll(): Promise<number | 'failed' | 'gone'> {
    let slot: PoolSlot;
    try {
      slot = await this.services.pool.acquire(this.id, 'poll');
    } catch (error) {
      if (error instanceof AcquireCancelledError) return 'gone';
      throw error;
    }
    try {
      if (this.stopping || this.destroyed) return 'gone';
      const result = await this.read(false);
      if (result.outcome.kind === 'error') {
        this.lastError = result.outcome.error.message;
        return 'failed';
      }
      return result.lines;
    } catch (error) {
      if (isUnreadableLogDriver(error)) {
        this.markUnreadable(error instanceof Error ? error : new Error(messageOf(error)));
        return 'gone';
      }
      if (isNoSuchContainer(error)) {
        this.destroyed = true;
        return 'gone';
      }
      this.lastError = messageOf(error);
      return 'failed';
    } finally {
      this.services.pool.release(slot);
      if (this.currentState !== 'unreadable') this.setState('waiting');
    }
  }

  private releaseSlot(): void {
    if (!this.slot) return;
    this.services.pool.release(this.slot);
    this.slot = undefined;
  }

  /** After a failure: the slot goes to someone else while we wait, and we queue again after. */
  private async giveUpSlotAndWait(ms: number): Promise<void> {
    this.releaseSlot();
    this.setState('backoff');
    await this.sleep(ms);
  }

  private markUnreadable(error: Error): void {
    this.lastError = error.message;
    this.setState('unreadable');
    this.services.telemetry.unreadable(this.currentInfo, error);
  }

  /** Sleeps for `ms` (or until woken, if undefined) unless stop(), resume() or destroy wakes it. */
  private sleep(ms: number | undefined): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = (): void => {
        if (timer) clearTimeout(timer);
        if (this.wake === wake) this.wake = undefined;
        resolve();
      };
      if (ms !== undefined) {
        timer = setTimeout(wake, ms);
        timer.unref();
      }
      this.wake = wake;
    });
  }

  private setState(state: ContainerCaptureState): void {
    const from = this.currentState;
    if (from === state) return;
    this.currentState = state;
    this.services.onStateChange(this, from, state);
  }
}

