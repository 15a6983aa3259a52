// From captured lines to acknowledged positions: encode, buffer, batch, send, retry, dead-letter,
// acknowledge, and push back on capture when the receiver is slower than the containers.
//
// ORDER RULE: at most one batch per container is under way at any time. A container whose
// records are in a batch being sent (or waiting to be retried) is "busy": its newer records wait
// in its queue and join a later batch once that batch is handled. Per-container order therefore
// holds end to end even though requests finish, fail and retry out of order, and even though a
// receiver may process concurrent requests in any order. Throughput comes from two places: the
// max_in_flight requests carry DIFFERENT containers at once, and a busy container's queue keeps
// filling, so its next batch leaves full (max_events / max_bytes), which a single hot container
// needs to keep up (one full batch per round trip).
//
// A batch that fails blocks only its own containers; the others keep flowing. A 413 splits the
// batch in halves that are sent one after the other (order again), down to a single record,
// which is dead-lettered.
//
// MEMORY: buffer.max_bytes bounds the memory of the encoded records held until acknowledged
// (queued + under way). Records are written straight into per-container segments (see
// record-segments.ts), whose whole capacity is counted. Above the bound accept() returns false
// and capture stops reading; below buffer.resume_bytes the pipeline emits 'drain' (undici's
// dispatcher contract). A batch body is a view of a segment, or a copy the records move to, so a
// record is held once, not twice.
import { EventEmitter } from 'node:events';
import type { CapturedLine, LineConsumer } from '../capture/captured-line.js';
import type { CapturerConfig } from '../config/capturer-config.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { Backoff } from '../utils/backoff.js';
import type { Logger } from '../utils/logger.js';
import { AckTracker } from './ack-tracker.js';
import type { AcknowledgedRecord } from './ack-tracker.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { DeadLetterFile } from './dead-letter-file.js';
import { RecordEncoder } from './record-encoder.js';
import { RecordMemory, recordView } from './record-segments.js';
import type { RecordSegment, SegmentOwner, SegmentRecord } from './record-segments.js';
import { ShipTelemetry, retryReason } from './ship-telemetry.js';
import type { RetryOutcome, SendOutcome, Sink } from './sinks/sink.js';

interface BufferedRecord extends AcknowledgedRecord, SegmentRecord {
  /** Epoch ms when it was buffered: how long the oldest unacknowledged record has waited. */
  acceptedAt: number;
}

/** One container's records not yet in a batch, oldest first. */
class ContainerQueue implements SegmentOwner {
  private items: BufferedRecord[] = [];
  private head = 0;
  bytes = 0;
  /** Where this container's next record is written. */
  segment: RecordSegment | undefined;
  /** A batch with this container's records is under way. */
  busy = false;
  gone = false;

  constructor(readonly id: string) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(record: BufferedRecord): void {
    this.items.push(record);
    this.bytes += record.length;
  }

  peek(): BufferedRecord | undefined {
    return this.items[this.head];
  }

  shift(): BufferedRecord | undefined {
    const record = this.items[this.head];
    if (record === undefined) return undefined;
    this.items[this.head] = undefined as unknown as BufferedRecord; // let it be collected
    this.head += 1;
    this.bytes -= record.length;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return record;
  }
}

interface Batch {
  records: BufferedRecord[];
  queues: ContainerQueue[];
}

export type SinkState = 'ok' | 'retrying' | 'config-error';

export interface DeliveryStatus {
  sink: { kind: string; url: string; state: SinkState; lastError?: string; lastSuccessAt: number };
  buffer: { bytes: number; maxBytes: number; events: number; paused: boolean };
  inFlight: number;
  deadLetterEvents: number;
  /** Encoded bytes of the records the receiver acknowledged since start (for `log-capturer top`'s bytes/s). */
  acknowledgedBytes: number;
}

export interface DeliveryPipelineOptions {
  config: CapturerConfig;
  /** The pipeline owns the sink from now on: it closes (or destroys) it, once. */
  sink: Sink;
  checkpoints: CheckpointStore;
  registry: MetricsRegistry;
  logger: Logger;
  /** For tests: the jitter source. */
  random?: () => number;
}

export class DeliveryPipeline extends EventEmitter implements LineConsumer {
  private readonly config: CapturerConfig;
  private readonly sink: Sink;
  private readonly telemetry: ShipTelemetry;
  private readonly random: () => number;
  private readonly encoder: RecordEncoder;
  private readonly memory: RecordMemory;
  private readonly acks: AckTracker;
  private readonly deadLetter: DeadLetterFile;
  private readonly maxEvents: number;
  private readonly maxBatchBytes: number;

  private readonly queues = new Map<string, ContainerQueue>();
  /** Queues with records and no batch under way, in the order they became ready. */
  private readonly ready = new Map<string, ContainerQueue>();
  private eligibleEvents = 0;
  private eligibleBytes = 0;
  private bufferedEvents = 0;
  private inFlight = 0;
  private readonly deliveries = new Set<Promise<void>>();
  /** Records being sent or waiting for a retry (no longer in a queue, not yet acknowledged). */
  private readonly sending = new Set<BufferedRecord[]>();

  /** accept() said false; 'drain' follows once the buffer is below resume_bytes. */
  private full = false;
  private started = false;
  private stopped = false;
  private draining = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private lingerDue = false;
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private idleWaiters: Array<() => void> = [];
  private closing: Promise<{ flushed: boolean; pendingEvents: number }> | undefined;

  private state: SinkState = 'ok';
  private lastError: string | undefined;
  private configError: string | undefined;
  private lastSuccessAt = 0;
  private deadLetterCount = 0;
  private acknowledgedBytes = 0;

  constructor(options: DeliveryPipelineOptions) {
    super();
    this.config = options.config;
    this.sink = options.sink;
    this.telemetry = new ShipTelemetry(options.registry, options.logger);
    this.random = options.random ?? Math.random;
    this.encoder = new RecordEncoder(options.config.capture.hostName, options.config.capture.eventIds);
    this.memory = new RecordMemory(options.config.buffer.maxBytes);
    this.acks = new AckTracker({ checkpoints: options.checkpoints, telemetry: this.telemetry });
    this.deadLetter = new DeadLetterFile({ stateDir: options.config.checkpoint.stateDir, maxBytes: options.config.checkpoint.deadLetterMaxBytes, telemetry: this.telemetry });
    this.maxEvents = Math.max(1, options.config.sink.batch.maxEvents);
    this.maxBatchBytes = Math.max(1, options.config.sink.batch.maxBytes);
  }

  start(): void {
    this.started = true;
    this.dispatch();
  }

  // Hot path: one call per log line. Encode, queue, account; everything else is per batch.
  /** Takes the line; false when the buffer is over buffer.max_bytes: send no more until 'drain'. */
  accept(line: CapturedLine): boolean {
    const containerId = line.container.id;
    let queue = this.queues.get(containerId);
    if (queue === undefined) {
      queue = new ContainerQueue(containerId);
      this.queues.set(containerId, queue);
    }
    // Straight into the container's segment: no Buffer of its own, no copy until a batch needs one.
    // The O(1) bound on its size, or for a line too long for that, its exact size.
    const reserve = this.encoder.maxRecordBytes(line);
    const segment = this.memory.segmentFor(queue, reserve <= this.memory.maxSegmentBytes ? reserve : this.encoder.recordBytes(line), queue.bytes);
    const start = segment.used;
    const end = this.encoder.encodeInto(line, segment.buffer, start);
    this.memory.written(segment, end);
    const length = end - start;
    const record: BufferedRecord = {
      containerId, seq: this.acks.register(containerId), position: line.position,
      timestamp: line.line.timestamp, containerName: line.container.name, segment, start, length, acceptedAt: Date.now(),
    };
    queue.gone = false;
    queue.push(record);
    this.bufferedEvents += 1;
    if (!queue.busy) {
      if (!this.ready.has(containerId)) this.ready.set(containerId, queue);
      this.eligibleEvents += 1;
      this.eligibleBytes += length;
    }
    if (!this.full && this.memory.heldBytes > this.config.buffer.maxBytes) {
      this.full = true;
      this.telemetry.buffered(this.memory.heldBytes);
    }
    if (this.eligibleEvents >= this.maxEvents || this.eligibleBytes >= this.maxBatchBytes) this.dispatch();
    else if (this.lingerTimer === undefined && !this.lingerDue) this.startLinger();
    return !this.full;
  }

  containerGone(containerId: string): void {
    this.encoder.forget(containerId);
    this.acks.containerGone(containerId);
    const queue = this.queues.get(containerId);
    if (queue === undefined) return;
    queue.gone = true;
    this.dropQueueIfDone(queue);
  }

  /**
   * Graceful: sends what is buffered, for at most graceMs, then stops; requests still under way
   * are then aborted, and their records stay unacknowledged (the next start reads them again).
   * The sink is closed (or, past the grace period, destroyed) here, once.
   */
  close(graceMs: number): Promise<{ flushed: boolean; pendingEvents: number }> {
    this.closing ??= this.flushAndStop(graceMs);
    return this.closing;
  }

  /** Now: aborts everything under way; buffered records stay unacknowledged. */
  destroy(): Promise<{ flushed: boolean; pendingEvents: number }> {
    return this.close(0);
  }

  private async flushAndStop(graceMs: number): Promise<{ flushed: boolean; pendingEvents: number }> {
    this.draining = true;
    if (graceMs > 0) {
      // Send everything now: no batch waits for its linger any more.
      this.started = true;
      this.lingerDue = true;
      this.dispatch();
    }
    if (this.bufferedEvents > 0 && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.stopped = true;
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    for (const sleep of this.sleeps) {
      clearTimeout(sleep.timer);
      sleep.wake();
    }
    if (this.bufferedEvents === 0) await this.sink.close();
    else await this.sink.destroy();
    await Promise.allSettled([...this.deliveries]);
    const pendingEvents = this.bufferedEvents;
    if (pendingEvents > 0) this.telemetry.undelivered(pendingEvents);
    return { flushed: pendingEvents === 0, pendingEvents };
  }

  status(): DeliveryStatus {
    return {
      sink: {
        kind: this.sink.kind,
        url: this.sink.displayUrl,
        state: this.state,
        ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
        lastSuccessAt: this.lastSuccessAt,
      },
      buffer: { bytes: this.memory.heldBytes, maxBytes: this.config.buffer.maxBytes, events: this.bufferedEvents, paused: this.full },
      inFlight: this.inFlight,
      deadLetterEvents: this.deadLetterCount,
      acknowledgedBytes: this.acknowledgedBytes,
    };
  }

  /**
   * ok: the last request was accepted, or nothing waits to be sent; never while a configuration
   * error lasts. oldestPendingAt: when the oldest record not yet acknowledged was buffered, so a
   * receiver that holds requests, or lets one batch fail forever while others pass, shows.
   */
  sinkHealth(): { ok: boolean; lastSuccessAt: number; configError?: string; oldestPendingAt?: number } {
    const ok = this.state !== 'config-error' && (this.state === 'ok' || this.bufferedEvents === 0);
    const oldestPendingAt = this.oldestPendingAt();
    return {
      ok, lastSuccessAt: this.lastSuccessAt,
      ...(this.configError !== undefined ? { configError: this.configError } : {}),
      ...(oldestPendingAt !== undefined ? { oldestPendingAt } : {}),
    };
  }

  /** A queue's head is its oldest record; a batch under way holds records of several containers. */
  private oldestPendingAt(): number | undefined {
    if (this.bufferedEvents === 0) return undefined;
    let oldest = Infinity;
    for (const queue of this.queues.values()) oldest = Math.min(oldest, queue.peek()?.acceptedAt ?? Infinity);
    for (const records of this.sending) for (const record of records) oldest = Math.min(oldest, record.acceptedAt);
    return Number.isFinite(oldest) ? oldest : undefined;
  }

  // ---- batching -------------------------------------------------------------------------

  private startLinger(): void {
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      this.lingerDue = true;
      this.dispatch();
    }, this.config.sink.batch.lingerMs);
  }

  private dispatch(): void {
    if (!this.started || this.stopped) return;
    while (this.inFlight < this.config.sink.maxInFlight && this.eligibleEvents > 0) {
      const full = this.eligibleEvents >= this.maxEvents || this.eligibleBytes >= this.maxBatchBytes;
      if (!full && !this.lingerDue && !this.draining) break;
      this.launch(this.takeBatch());
    }
    if (this.eligibleEvents === 0 && !this.draining) this.lingerDue = false;
    if (this.eligibleEvents > 0 && !this.lingerDue && this.lingerTimer === undefined) this.startLinger();
  }

  private takeBatch(): Batch {
    const records: BufferedRecord[] = [];
    const queues: ContainerQueue[] = [];
    let bytes = 0;
    for (const queue of this.ready.values()) {
      const first = queue.peek();
      if (first === undefined) {
        this.ready.delete(queue.id);
        continue;
      }
      if (records.length > 0 && (records.length >= this.maxEvents || bytes + first.length > this.maxBatchBytes)) break;
      // From now on this container is busy: its remaining records wait for this batch.
      this.ready.delete(queue.id);
      this.eligibleEvents -= queue.size;
      this.eligibleBytes -= queue.bytes;
      queue.busy = true;
      queues.push(queue);
      for (let next = queue.peek(); next !== undefined; next = queue.peek()) {
        if (records.length > 0 && (records.length >= this.maxEvents || bytes + next.length > this.maxBatchBytes)) break;
        queue.shift();
        records.push(next);
        bytes += next.length;
      }
      if (records.length >= this.maxEvents || bytes >= this.maxBatchBytes) break;
    }
    return { records, queues };
  }

  private launch(batch: Batch): void {
    this.inFlight += 1;
    this.telemetry.buffered(this.memory.heldBytes);
    const delivery = this.deliverBatch(batch).catch((error: unknown) => {
      // deliver() handles every outcome; reaching here is a bug, and the records stay buffered.
      this.telemetry.deliveryBug(error);
    });
    this.deliveries.add(delivery);
    void delivery.finally(() => this.deliveries.delete(delivery));
  }

  private async deliverBatch(batch: Batch): Promise<void> {
    try {
      await this.deliver(batch.records, this.memory.join(batch.records));
    } finally {
      this.inFlight -= 1;
      for (const queue of batch.queues) {
        queue.busy = false;
        if (queue.size > 0 && !this.stopped) {
          this.ready.set(queue.id, queue); // to the back: containers take turns
          this.eligibleEvents += queue.size;
          this.eligibleBytes += queue.bytes;
        }
        this.dropQueueIfDone(queue);
      }
      this.dispatch();
      this.notifyIfIdle();
    }
  }

  // ---- one batch, to the end -------------------------------------------------------------

  /** Sends records until they are delivered or dead-lettered, or the pipeline stops. */
  private async deliver(records: BufferedRecord[], body: Buffer): Promise<void> {
    this.sending.add(records);
    try {
      await this.deliverUntilHandled(records, body);
    } finally {
      this.sending.delete(records);
    }
  }

  private async deliverUntilHandled(records: BufferedRecord[], body: Buffer): Promise<void> {
    const backoff = new Backoff({ initialMs: this.config.sink.retry.initialBackoffMs, maxMs: this.config.sink.retry.maxBackoffMs }, this.random);
    for (let attempt = 0; !this.stopped; attempt += 1) {
      const started = performance.now();
      const outcome = await this.sink.send(body, records.length);
      this.telemetry.requestFinished((performance.now() - started) / 1000, attempt > 0);
      if (this.stopped && outcome.kind !== 'delivered') return;
      switch (outcome.kind) {
        case 'delivered':
          this.acknowledgedBytes += body.length;
          this.onDelivered(records);
          return;
        case 'too-large':
          this.telemetry.sendFailed('too_large');
          if (records.length === 1) {
            if (await this.toDeadLetter(records, 'too large for the receiver even alone (413)', 413)) return;
            break;
          }
          await this.deliverHalves(records);
          return;
        case 'rejected':
          this.telemetry.sendFailed('rejected');
          if (await this.toDeadLetter(records, `refused by the receiver: ${outcome.detail}`, outcome.status)) return;
          break;
        case 'config-error':
          this.telemetry.sendFailed('config_error');
          this.onConfigError(outcome);
          await this.sleep(this.config.sink.retry.configErrorBackoffMs);
          continue;
        case 'retry':
          this.telemetry.sendFailed(retryReason(outcome));
          this.onRetry(outcome);
          break;
      }
      await this.sleep(backoff.next());
    }
  }

  private async deliverHalves(records: BufferedRecord[]): Promise<void> {
    const middle = Math.ceil(records.length / 2);
    const first = records.slice(0, middle);
    const second = records.slice(middle);
    // One after the other: the second half must not overtake the first. It waits unacknowledged.
    this.sending.delete(records);
    this.sending.add(second);
    try {
      await this.deliver(first, this.memory.join(first));
      if (this.stopped) return;
      await this.deliver(second, this.memory.join(second));
    } finally {
      this.sending.delete(second);
    }
  }

  private onDelivered(records: BufferedRecord[]): void {
    if (this.state === 'config-error') this.telemetry.configErrorResolved(this.sink.displayUrl);
    this.state = 'ok';
    this.configError = undefined;
    this.lastError = undefined;
    this.lastSuccessAt = Date.now();
    this.acks.acknowledge(records, true);
    this.release(records);
  }

  /** Returns false when the dead-letter file cannot be written: then the batch is kept and retried. */
  private async toDeadLetter(records: BufferedRecord[], reason: string, status: number): Promise<boolean> {
    try {
      await this.deadLetter.write(records.map(recordView), reason, status);
    } catch (error) {
      this.lastError = `cannot write ${this.deadLetter.path}: ${error instanceof Error ? error.message : String(error)}`;
      this.telemetry.deadLetterFailed(records.length, this.deadLetter.path, error);
      return false;
    }
    this.deadLetterCount += records.length;
    this.telemetry.deadLettered(records.length, status, reason, this.deadLetter.path);
    this.acks.acknowledge(records, false);
    this.release(records);
    return true;
  }

  private onConfigError(outcome: Extract<SendOutcome, { kind: 'config-error' }>): void {
    this.lastError = outcome.detail;
    // One loud log per episode (or when the problem changes), not one per retry.
    if (this.state !== 'config-error' || this.configError !== outcome.detail) {
      this.telemetry.configError(this.sink.displayUrl, outcome.status, outcome.detail, this.config.sink.retry.configErrorBackoffMs);
    }
    this.state = 'config-error';
    this.configError = outcome.detail;
  }

  private onRetry(outcome: RetryOutcome): void {
    if (this.state === 'ok') this.telemetry.retrying(this.sink.displayUrl, retryReason(outcome), outcome.detail);
    this.lastError = outcome.detail;
    if (this.state !== 'config-error') this.state = 'retrying';
  }

  // ---- buffer accounting and backpressure ------------------------------------------------

  private release(records: BufferedRecord[]): void {
    this.memory.release(records);
    this.bufferedEvents -= records.length;
    this.telemetry.buffered(this.memory.heldBytes);
    if (this.full && this.memory.heldBytes < this.config.buffer.resumeBytes) {
      this.full = false;
      this.emit('drain');
    }
  }

  private dropQueueIfDone(queue: ContainerQueue): void {
    if (queue.gone && !queue.busy && queue.size === 0) this.queues.delete(queue.id);
  }

  private notifyIfIdle(): void {
    if (this.bufferedEvents !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.sleeps.add(entry);
    });
  }
}

