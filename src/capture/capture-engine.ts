// The capture engine: which containers to read, one follow stream each through a bounded pool,
// rotated on a timer, reattached at the exact position across restarts, daemon hiccups and
// backpressure. It only READS from Docker.
//
// Each selected container has at most one "runner": an async loop that takes a pool slot, opens
// a stream at the container's in-memory position, waits for that stream to be over (fully gone),
// and decides what comes next:
//   rotated    reopen at the position; if others wait for a slot, give it up and queue again
//   ended      the daemon ended it: the container stopped (done until it starts again) or, if it
//              still runs, a hiccup (reopen)
//   error      connection trouble: release the slot, back off (exponential + jitter), retry
//   404 / 501  gone (state dropped, consumer told) / unreadable (reported once, never retried)
import type { CapturerConfig } from '../config/capturer-config.js';
import type { ContainerInfo } from '../docker/container-info.js';
import { ContainerEvents } from '../docker/container-events.js';
import type { ContainerEvent } from '../docker/container-events.js';
import { DockerApiError } from '../docker/docker-reader.js';
import type { DockerReader } from '../docker/docker-reader.js';
import type { CapturerMetrics } from '../server/metrics.js';
import type { Logger } from '../utils/logger.js';
import type { CaptureFlow, LineConsumer } from './captured-line.js';
import type { CaptureStatus, ContainerCaptureState, ContainerCaptureStatus } from './capture-status.js';
import { ContainerSelector, detectOwnContainerId } from './container-selector.js';
import { ContainerStream } from './container-stream.js';
import { BEGINNING } from './position.js';
import type { Position } from './position.js';
import type { PositionSource } from './position-source.js';
import { RetryBackoff } from './retry-backoff.js';
import type { BackoffOptions } from './retry-backoff.js';
import { AcquireCancelledError, StreamPool } from './stream-pool.js';
import type { PoolSlot } from './stream-pool.js';

/**
 * Containers are found through the events stream; a listing this often catches any container
 * whose event never arrived (one GET /containers/json a minute is cheap).
 */
const RELIST_INTERVAL_MS = 60_000;

export interface CaptureEngineDeps {
  config: CapturerConfig;
  reader: DockerReader;
  consumer: LineConsumer;
  positions: PositionSource;
  metrics: CapturerMetrics;
  logger: Logger;
  /** undefined = detect it (see detectOwnContainerId), null = we are not in a container. */
  selfContainerId?: string | null;
  /** Reconnect pacing for streams and events (default 250ms doubling to 30s). */
  backoff?: BackoffOptions;
}

export interface DockerHealthReport {
  ok: boolean;
  lastSuccessAt: number;
  error?: string;
}

interface TrackedContainer {
  info: ContainerInfo;
  state: ContainerCaptureState;
  /** Position after the last line handed to the consumer by a finished stream. */
  position: Position;
  stream: ContainerStream | undefined;
  runner: Promise<void> | undefined;
  rotations: number;
  lines: number;
  bytes: number;
  lastTimestamp: string | undefined;
  lastError: string | undefined;
  /** Counts start/restart/unpause events, so a runner can tell one came while it looked away. */
  startSignals: number;
  destroyed: boolean;
  rotateDue: boolean;
  /** Ends the runner's current sleep or pause wait early. */
  wake: (() => void) | undefined;
}

const WATCHED: ReadonlySet<ContainerCaptureState> = new Set(['streaming', 'waiting', 'paused', 'backoff']);

export class CaptureEngine implements CaptureFlow {
  private readonly config: CapturerConfig;
  private readonly reader: DockerReader;
  private readonly consumer: LineConsumer;
  private readonly positions: PositionSource;
  private readonly metrics: CapturerMetrics;
  private readonly logger: Logger;
  private readonly backoffOptions: BackoffOptions | undefined;
  private readonly selector: ContainerSelector;
  private readonly pool: StreamPool;
  private readonly events: ContainerEvents;

  private readonly tracked = new Map<string, TrackedContainer>();
  /** Inspected and not selected (value: the name it was judged by). */
  private readonly ignored = new Map<string, string>();
  private readonly discovering = new Map<string, Promise<void>>();
  private readonly existedAtStart = new Set<string>();
  private startedAtMs = 0;
  private initialListDone = false;
  private started = false;
  private stopping = false;
  /** The periodic listing: a safety net under the events stream (see RELIST_INTERVAL_MS). */
  private relistTimer: NodeJS.Timeout | undefined;
  private paused = false;
  private eventsConnected = false;
  private dockerError: string | undefined;
  private watchedCount = 0;

  constructor(deps: CaptureEngineDeps) {
    this.config = deps.config;
    this.reader = deps.reader;
    this.consumer = deps.consumer;
    this.positions = deps.positions;
    this.metrics = deps.metrics;
    this.logger = deps.logger;
    this.backoffOptions = deps.backoff;
    const selfId = deps.selfContainerId === undefined ? detectOwnContainerId() : (deps.selfContainerId ?? undefined);
    this.selector = new ContainerSelector(deps.config.filters, selfId);
    this.pool = new StreamPool(deps.config.capture.maxStreams);
    this.events = new ContainerEvents({
      reader: deps.reader,
      logger: deps.logger,
      ...(deps.backoff ? { initialBackoffMs: deps.backoff.initialMs, maxBackoffMs: deps.backoff.maxMs } : {}),
    });
    if (selfId) this.logger.info({ selfContainerId: selfId }, 'capture: not reading our own container');
  }

  /** Lists every container (running or not), starts reading the selected ones, follows events. */
  async start(): Promise<void> {
    if (this.started) throw new Error('CaptureEngine.start() called twice');
    this.started = true;
    this.startedAtMs = Date.now();
    try {
      await this.relist();
    } catch (error) {
      // The events stream keeps retrying; its first connection lists again.
      this.dockerError = messageOf(error);
      this.logger.warn({ err: this.dockerError }, 'capture: could not list containers at start; will retry');
    }
    this.events.start({
      onEvent: (event) => this.handleEvent(event),
      onConnected: () => {
        this.eventsConnected = true;
        this.dockerError = undefined;
        // Also on the first connection: it closes the gap between the list above and the events.
        this.relist().catch((error: unknown) => {
          this.logger.warn({ err: messageOf(error) }, 'capture: listing containers failed');
        });
      },
      onDisconnected: (error) => {
        this.eventsConnected = false;
        this.dockerError = error.message;
      },
    });
    this.relistTimer = setInterval(() => {
      this.relist(true).catch((error: unknown) => {
        this.logger.warn({ err: messageOf(error) }, 'capture: periodic listing of containers failed');
      });
    }, RELIST_INTERVAL_MS);
    this.relistTimer.unref();
  }

  /** Stops following events and closes every stream fully; resolves when all are gone. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.relistTimer);
    const eventsStopped = this.events.stop();
    this.pool.cancelAll();
    const runners: Promise<void>[] = [];
    for (const c of this.tracked.values()) {
      c.wake?.();
      if (c.stream) void c.stream.close();
      if (c.runner) runners.push(c.runner);
    }
    await Promise.all([eventsStopped, ...runners, ...this.discovering.values()]);
    this.metrics.streamsPaused.set(0);
  }

  /** Backpressure from ship: stop reading every open stream and open no new ones. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.metrics.streamsPaused.set(1);
    for (const c of this.tracked.values()) {
      if (c.stream) {
        c.stream.pause();
        if (c.state === 'streaming') this.setState(c, 'paused');
      }
    }
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.metrics.streamsPaused.set(0);
    for (const c of this.tracked.values()) {
      if (c.stream) {
        c.stream.resume();
        if (c.state === 'paused') this.setState(c, 'streaming');
      } else if (c.state === 'paused') {
        c.wake?.();
      }
    }
  }

  /**
   * Rotates every open stream now (as the rotation timer would). Resolves when the old streams
   * are fully gone; the runners then reopen them. For tests and operators.
   */
  async rotateNow(): Promise<number> {
    const closing: Promise<unknown>[] = [];
    for (const c of this.tracked.values()) {
      if (c.stream?.isOpen) {
        c.rotateDue = true;
        closing.push(c.stream.close());
      }
    }
    await Promise.all(closing);
    return closing.length;
  }

  status(): CaptureStatus {
    const containers: ContainerCaptureStatus[] = [];
    for (const c of this.tracked.values()) {
      const stream = c.stream;
      const entry: ContainerCaptureStatus = {
        id: c.info.id,
        name: c.info.name,
        image: c.info.image,
        state: c.state,
        position: stream ? stream.position() : { ...c.position },
        lastTimestamp: stream?.lastTimestamp ?? c.lastTimestamp ?? null,
        rotations: c.rotations,
        lines: c.lines + (stream?.lines ?? 0),
        bytes: c.bytes + (stream?.bytes ?? 0),
      };
      if (c.lastError !== undefined) entry.lastError = c.lastError;
      containers.push(entry);
    }
    return {
      paused: this.paused,
      pool: { capacity: this.pool.capacity, inUse: this.pool.inUse, waiting: this.pool.waiting },
      containers,
    };
  }

  dockerHealth(): DockerHealthReport {
    const report: DockerHealthReport = { ok: this.eventsConnected, lastSuccessAt: this.reader.lastSuccessAt };
    if (!this.eventsConnected) report.error = this.dockerError ?? 'not connected to the Docker events stream yet';
    return report;
  }

  // ---- discovery -------------------------------------------------------------------------

  /**
   * @param periodic the safety-net listing: only containers running unseen are reattached (a
   * stopped one is read again only after a disconnect, when it may have run unseen meanwhile).
   */
  private async relist(periodic = false): Promise<void> {
    const summaries = await this.reader.listContainers();
    const atStart = !this.initialListDone;
    this.initialListDone = true;
    const discoveries: Promise<void>[] = [];
    for (const summary of summaries) {
      if (this.stopping) return;
      if (atStart) this.existedAtStart.add(summary.id);
      const c = this.tracked.get(summary.id);
      if (c) {
        // After a disconnect it may have started (and stopped) unseen: read whatever is new.
        if (!c.runner && c.state === 'stopped' && (summary.running || !periodic)) this.ensureRunner(c);
      } else if (!this.ignored.has(summary.id)) {
        discoveries.push(this.discover(summary.id));
      }
    }
    await Promise.all(discoveries);
  }

  private discover(id: string): Promise<void> {
    const pending = this.discovering.get(id);
    if (pending) return pending;
    const discovery = this.inspectAndTrack(id).finally(() => this.discovering.delete(id));
    this.discovering.set(id, discovery);
    return discovery;
  }

  private async inspectAndTrack(id: string): Promise<void> {
    let info: ContainerInfo;
    try {
      info = await this.reader.inspect(id);
    } catch (error) {
      if (error instanceof DockerApiError && error.statusCode === 404) return; // gone already
      this.logger.warn({ containerId: id, err: messageOf(error) }, 'capture: inspecting a container failed; will retry on the next listing');
      return;
    }
    if (this.stopping || this.tracked.has(id)) return;
    const selection = this.selector.select(info);
    if (!selection.selected) {
      this.ignored.set(id, info.name);
      this.logger.debug({ containerId: id, container_name: info.name, reason: selection.reason }, 'capture: container not selected');
      return;
    }
    const c: TrackedContainer = {
      info,
      state: 'waiting',
      position: this.initialPosition(id),
      stream: undefined,
      runner: undefined,
      rotations: 0,
      lines: 0,
      bytes: 0,
      lastTimestamp: undefined,
      lastError: undefined,
      startSignals: 0,
      destroyed: false,
      rotateDue: false,
      wake: undefined,
    };
    this.tracked.set(id, c);
    this.watchedCount += 1;
    this.metrics.containersWatched.set(this.watchedCount);
    this.logger.info({ containerId: id, container_name: info.name, position: c.position }, 'capture: following container');
    this.ensureRunner(c);
  }

  private initialPosition(id: string): Position {
    const saved = this.positions.get(id);
    if (saved) return { sinceMs: saved.sinceMs, skip: saved.skip };
    if (this.positions.firstRun && this.config.capture.initialPosition === 'end' && this.existedAtStart.has(id)) {
      return { sinceMs: this.startedAtMs, skip: 0 };
    }
    return BEGINNING;
  }

  private handleEvent(event: ContainerEvent): void {
    if (this.stopping) return;
    switch (event.action) {
      case 'start':
      case 'restart':
      case 'unpause': {
        const c = this.tracked.get(event.id);
        if (c) {
          c.startSignals += 1;
          if (!c.runner && c.state !== 'unreadable') this.ensureRunner(c);
        } else if (!this.ignored.has(event.id)) {
          void this.discover(event.id);
        }
        break;
      }
      case 'destroy': {
        this.ignored.delete(event.id);
        const c = this.tracked.get(event.id);
        if (!c) break;
        c.destroyed = true;
        // A runner still draining the stream drops the state when the last line is handed on.
        if (!c.runner) this.drop(c);
        else if (c.state === 'waiting') this.pool.cancel(c.info.id);
        else if (c.state === 'backoff') c.wake?.();
        break;
      }
      case 'rename': {
        const name = (event.name ?? event.attributes.name ?? '').replace(/^\//, '');
        if (!name) break;
        const c = this.tracked.get(event.id);
        if (c) {
          // New object: lines already handed on keep the name they were read under.
          c.info = { ...c.info, name };
          if (c.stream) c.stream.container = c.info;
        } else if (this.ignored.has(event.id)) {
          // The name may select it now.
          this.ignored.delete(event.id);
          void this.discover(event.id);
        }
        break;
      }
      default:
        break; // die/stop: the stream ends by itself, drained to its last line
    }
  }

  private drop(c: TrackedContainer): void {
    if (this.tracked.get(c.info.id) !== c) return;
    this.setState(c, 'stopped'); // while still tracked, so the watched count drops
    this.tracked.delete(c.info.id);
    this.consumer.containerGone(c.info.id);
  }

  // ---- one container's runner -----------------------------------------------------------

  private ensureRunner(c: TrackedContainer): void {
    if (c.runner || this.stopping) return;
    const runner = this.run(c)
      .catch((error: unknown) => {
        // Nothing in run() should throw; if it does, record it rather than crash or spin.
        c.lastError = messageOf(error);
        this.setState(c, 'backoff');
        this.logger.error({ containerId: c.info.id, err: c.lastError }, 'capture: container runner failed');
      })
      .finally(() => {
        c.runner = undefined;
        if (c.destroyed && !this.stopping) this.drop(c);
      });
    c.runner = runner;
  }

  private async run(c: TrackedContainer): Promise<void> {
    const backoff = new RetryBackoff(this.backoffOptions);
    let slot: PoolSlot | undefined;
    // dockerd (seen on 20.10) may end a follow stream when the container stops BEFORE sending its
    // last entry (e.g. the unfinished text of a killed container): a stopped container counts as
    // read to the end only after one more stream, opened once it was stopped, ended too.
    let drainedAfterStop = false;
    try {
      for (;;) {
        if (this.stopping || c.destroyed) return; // a destroyed container's log is gone with it
        if (this.paused) {
          this.setState(c, 'paused');
          await this.waitForWake(c, undefined);
          continue;
        }
        if (!slot) {
          this.setState(c, 'waiting');
          try {
            slot = await this.pool.acquire(c.info.id);
          } catch (error) {
            if (error instanceof AcquireCancelledError) return;
            throw error;
          }
          continue; // check stopping and pause again
        }

        const signalsAtOpen = c.startSignals;
        const stream = new ContainerStream({
          reader: this.reader,
          container: c.info,
          position: c.position,
          consumer: this.consumer,
          metrics: this.metrics,
          maxLineBytes: this.config.capture.maxLineBytes,
          onDaemonError: (message) => this.logger.warn({ containerId: c.info.id, container_name: c.info.name, daemonError: message }, 'capture: the daemon reported an error in a log stream'),
        });
        c.stream = stream;
        try {
          await stream.open();
        } catch (error) {
          c.stream = undefined;
          if (error instanceof DockerApiError && error.statusCode === 501) {
            this.markUnreadable(c, error);
            return;
          }
          if (error instanceof DockerApiError && error.statusCode === 404) {
            c.destroyed = true; // its log is gone with it
            return;
          }
          c.lastError = messageOf(error);
          if (this.stopping) return;
          this.pool.release(slot);
          slot = undefined;
          await this.backOff(c, backoff);
          continue;
        }
        this.setState(c, this.paused ? 'paused' : 'streaming');
        if (this.paused) stream.pause();
        const rotation = setTimeout(() => {
          c.rotateDue = true;
          void stream.close();
        }, this.config.capture.rotationIntervalMs);
        rotation.unref();
        const outcome = await stream.done;
        clearTimeout(rotation);
        c.position = stream.position();
        c.lines += stream.lines;
        c.bytes += stream.bytes;
        if (stream.lastTimestamp !== undefined) c.lastTimestamp = stream.lastTimestamp;
        c.stream = undefined;
        const rotated = c.rotateDue;
        c.rotateDue = false;
        if (this.stopping) return;

        if (outcome.kind === 'closed') {
          if (rotated) {
            c.rotations += 1;
            this.metrics.streamRotations.inc();
          }
          // The old stream is fully gone: only now may its slot go to someone else.
          if (this.pool.hasWaiters()) {
            this.pool.release(slot);
            slot = undefined;
          }
          backoff.reset();
          continue;
        }
        if (outcome.kind === 'error') {
          c.lastError = outcome.error.message;
          if (c.destroyed) return;
          this.pool.release(slot);
          slot = undefined;
          await this.backOff(c, backoff);
          continue;
        }
        // Ended by the daemon: drained to its last line. Stopped, or a hiccup while it runs?
        if (c.destroyed) return;
        let running: boolean;
        try {
          running = (await this.reader.inspect(c.info.id)).running;
        } catch (error) {
          if (error instanceof DockerApiError && error.statusCode === 404) {
            c.destroyed = true;
            return;
          }
          c.lastError = messageOf(error);
          this.pool.release(slot);
          slot = undefined;
          await this.backOff(c, backoff);
          continue;
        }
        if (running || c.startSignals !== signalsAtOpen) {
          drainedAfterStop = false;
          // Still running: the daemon hiccupped. Back off only if it keeps ending with nothing new.
          if (stream.lines === 0) {
            this.pool.release(slot);
            slot = undefined;
            await this.backOff(c, backoff);
          } else {
            backoff.reset();
          }
          continue;
        }
        if (!drainedAfterStop) {
          drainedAfterStop = true;
          continue;
        }
        this.setState(c, 'stopped');
        return;
      }
    } finally {
      if (slot) this.pool.release(slot);
      c.wake = undefined;
    }
  }

  private markUnreadable(c: TrackedContainer, error: Error): void {
    c.lastError = error.message;
    this.setState(c, 'unreadable');
    this.metrics.unreadableContainers.inc();
    this.logger.warn(
      { containerId: c.info.id, container_name: c.info.name, logDriver: c.info.logDriver, err: error.message },
      'capture: this container\'s log driver cannot be read; it will not be captured (use json-file, local, or enable dual logging)',
    );
  }

  private async backOff(c: TrackedContainer, backoff: RetryBackoff): Promise<void> {
    this.setState(c, 'backoff');
    await this.waitForWake(c, backoff.next());
  }

  /** Sleeps for `ms` (or until woken, if undefined) unless stop(), resume() or destroy wakes it. */
  private waitForWake(c: TrackedContainer, ms: number | undefined): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = (): void => {
        if (timer) clearTimeout(timer);
        if (c.wake === wake) c.wake = undefined;
        resolve();
      };
      if (ms !== undefined) {
        timer = setTimeout(wake, ms);
        timer.unref();
      }
      c.wake = wake;
    });
  }

  private setState(c: TrackedContainer, state: ContainerCaptureState): void {
    if (c.state === state) return;
    const wasWatched = WATCHED.has(c.state) && this.tracked.get(c.info.id) === c;
    c.state = state;
    const isWatched = WATCHED.has(state) && this.tracked.get(c.info.id) === c;
    if (wasWatched !== isWatched) {
      this.watchedCount += isWatched ? 1 : -1;
      this.metrics.containersWatched.set(this.watchedCount);
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
