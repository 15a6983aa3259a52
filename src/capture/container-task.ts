// One container's capture task. It owns everything about reading that container: its position,
// its stream, its pool slot, its backoff and its counters. The engine only sends it signals
// (the container started, was destroyed or renamed; capture is paused or resumed; stop) and
// reads its status; nothing else writes its state.
//
// The task is a loop: take a pool slot, open a stream at the position, wait for that stream to
// be over (fully gone), and decide what comes next:
//   closed     we closed it (rotation): reopen at the position; if others wait for a slot, give
//              ours up and queue again
//   ended      the daemon ended it: the container stopped (done until it starts again) or, if it
//              still runs, a hiccup (reopen)
//   error      connection trouble: give the slot back, back off, retry
//   404 / 501  gone (the engine drops the task) / unreadable (reported once, never retried)
import type { CaptureConfig } from '../config/capturer-config.js';
import type { ContainerInfo } from '../docker/container-info.js';
import type { DockerApi } from '../docker/docker-api.js';
import { isNoSuchContainer, isUnreadableLogDriver } from '../docker/docker-error.js';
import { Backoff } from '../utils/backoff.js';
import type { BackoffOptions } from '../utils/backoff.js';
import type { CaptureTelemetry } from './capture-telemetry.js';
import type { ContainerCaptureState, ContainerCaptureStatus } from './capture-status.js';
import type { LineConsumer } from './captured-line.js';
import { ContainerStream } from './container-stream.js';
import type { StreamOutcome } from './container-stream.js';
import type { Position } from './position.js';
import { AcquireCancelledError } from './stream-pool.js';
import type { PoolSlot, StreamPool } from './stream-pool.js';

/** What every task shares, given by the engine. */
export interface TaskServices {
  docker: DockerApi;
  consumer: LineConsumer;
  pool: StreamPool;
  telemetry: CaptureTelemetry;
  capture: Pick<CaptureConfig, 'rotationIntervalMs' | 'maxLineBytes'>;
  backoff: BackoffOptions;
  /** Engine-wide backpressure: while true no stream is read and none is opened. */
  isPaused(): boolean;
  /** A stream's consumer said it is full. */
  onBackpressure(): void;
  /** The task's state changed (the engine keeps the count of watched containers). */
  onStateChange(task: ContainerTask, from: ContainerCaptureState, to: ContainerCaptureState): void;
  /** The container was destroyed and its task has handed on its last line: drop it. */
  onDestroyed(task: ContainerTask): void;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class ContainerTask {
  private currentInfo: ContainerInfo;
  private currentState: ContainerCaptureState = 'waiting';
  /** Position after the last line handed to the consumer by a finished stream. */
  private position: Position;
  private stream: ContainerStream | undefined;
  private slot: PoolSlot | undefined;
  private runner: Promise<void> | undefined;
  private rotations = 0;
  private lines = 0;
  private bytes = 0;
  private lastTimestamp: string | undefined;
  private lastError: string | undefined;
  /** Counts start/restart/unpause signals, so the loop can tell one came while it looked away. */
  private startSignals = 0;
  private destroyed = false;
  private stopping = false;
  private rotateDue = false;
  /** Ends the loop's current sleep or pause wait early. */
  private wake: (() => void) | undefined;

  constructor(info: ContainerInfo, position: Position, private readonly services: TaskServices) {
    this.currentInfo = info;
    this.position = { sinceMs: position.sinceMs, skip: position.skip };
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
    this.start();
  }

  /** destroy: its log is gone with it. A loop still draining the stream finishes that first. */
  containerDestroyed(): void {
    this.destroyed = true;
    if (!this.runner) this.services.onDestroyed(this);
    else if (this.currentState === 'waiting') this.services.pool.cancel(this.id);
    else if (this.currentState === 'backoff') this.wake?.();
  }

  /** A new object: lines already handed on keep the name they were read under. */
  renamed(name: string): void {
    this.currentInfo = { ...this.currentInfo, name };
    if (this.stream) this.stream.container = this.currentInfo;
  }

  pause(): void {
    if (!this.stream) return;
    this.stream.pause();
    if (this.currentState === 'streaming') this.setState('paused');
  }

  resume(): void {
    if (this.stream) {
      this.stream.resume();
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

  /** Closes the stream and ends the loop; resolves when both are gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    if (this.stream) void this.stream.close();
    await this.runner;
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
    };
    if (this.lastError !== undefined) entry.lastError = this.lastError;
    return entry;
  }

  /** The task's state as the engine counts it, before it is dropped. */
  markStopped(): void {
    this.setState('stopped');
  }

  // ---- the loop -------------------------------------------------------------------------

  private async run(): Promise<void> {
    const backoff = new Backoff(this.services.backoff);
    // dockerd (seen on 20.10) may end a follow stream when the container stops BEFORE sending its
    // last entry (e.g. the unfinished text of a killed container): a stopped container counts as
    // read to the end only after one more stream, opened once it was stopped, ended too.
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
          if (!(await this.acquireSlot())) return;
          continue; // check stopping and pause again
        }

        const signalsAtOpen = this.startSignals;
        const stream = this.newStream();
        try {
          await stream.open();
        } catch (error) {
          this.stream = undefined;
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
          await this.giveUpSlotAndWait(backoff.next());
          continue;
        }
        const { outcome, rotated } = await this.follow(stream);
        if (this.stopping) return;

        if (outcome.kind === 'closed') {
          if (rotated) {
            this.rotations += 1;
            this.services.telemetry.rotated();
          }
          // The old stream is fully gone: only now may its slot go to someone else.
          if (this.services.pool.hasWaiters()) this.releaseSlot();
          backoff.reset();
          continue;
        }
        if (outcome.kind === 'error') {
          this.lastError = outcome.error.message;
          if (this.destroyed) return;
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
          await this.giveUpSlotAndWait(backoff.next());
          continue;
        }
        if (running || this.startSignals !== signalsAtOpen) {
          drainedAfterStop = false;
          // Still running: the daemon hiccupped. Back off only if it keeps ending with nothing new.
          if (stream.lines === 0) await this.giveUpSlotAndWait(backoff.next());
          else backoff.reset();
          continue;
        }
        if (!drainedAfterStop) {
          drainedAfterStop = true;
          continue;
        }
        this.setState('stopped');
        return;
      }
    } finally {
      this.releaseSlot();
      this.wake = undefined;
    }
  }

  private newStream(): ContainerStream {
    const stream = new ContainerStream({
      docker: this.services.docker,
      container: this.currentInfo,
      position: this.position,
      consumer: this.services.consumer,
      telemetry: this.services.telemetry,
      maxLineBytes: this.services.capture.maxLineBytes,
      onBackpressure: () => this.services.onBackpressure(),
    });
    this.stream = stream;
    return stream;
  }

  /** Reads an open stream until it is over, rotating it on the timer; folds its counters in. */
  private async follow(stream: ContainerStream): Promise<{ outcome: StreamOutcome; rotated: boolean }> {
    const paused = this.services.isPaused();
    this.setState(paused ? 'paused' : 'streaming');
    if (paused) stream.pause();
    const rotation = setTimeout(() => {
      this.rotateDue = true;
      void stream.close();
    }, this.services.capture.rotationIntervalMs);
    rotation.unref();
    const outcome = await stream.done;
    clearTimeout(rotation);
    this.position = stream.position();
    this.lines += stream.lines;
    this.bytes += stream.bytes;
    if (stream.lastTimestamp !== undefined) this.lastTimestamp = stream.lastTimestamp;
    this.stream = undefined;
    const rotated = this.rotateDue;
    this.rotateDue = false;
    return { outcome, rotated };
  }

  /** Queues for a slot. False when the wait was cancelled (destroyed or stopping). */
  private async acquireSlot(): Promise<boolean> {
    this.setState('waiting');
    try {
      this.slot = await this.services.pool.acquire(this.id);
      return true;
    } catch (error) {
      if (error instanceof AcquireCancelledError) return false;
      throw error;
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
