// What the ship layer tells the outside world: each method is one internal event that counts its
// metric and writes its log line together (see capture/capture-telemetry.ts for the idea). Ship
// owns these series; nothing else writes them. The checkpoint store registers its own.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { Tally, scrapedCounter } from '../telemetry/scraped-counter.js';
import type { Logger } from '../utils/logger.js';
import type { RetryOutcome } from './sinks/sink.js';

/** Reasons a failed request is counted under; HTTP statuses not listed appear as `http_<status>` when they happen. */
export const SEND_ERROR_REASONS = ['connection', 'timeout', 'compression', 'too_large', 'rejected', 'config_error', 'http_429', 'http_500', 'http_502', 'http_503', 'http_504'] as const;

/** Why dead-letter records are no longer on disk. */
export const DEAD_LETTER_DROP_REASONS = ['rotated', 'too_large'] as const;
export type DeadLetterDropReason = (typeof DEAD_LETTER_DROP_REASONS)[number];

/** The metric label of a retryable failure: its cause, or the HTTP status it came with. */
export function retryReason(outcome: RetryOutcome): string {
  return outcome.cause === 'http_status' && outcome.status !== undefined ? `http_${outcome.status}` : outcome.cause;
}

export class ShipTelemetry {
  /** Read by its counter when /metrics is scraped. */
  private readonly eventsSent = new Tally();
  private readonly sendErrors: Counter<'reason'>;
  private readonly retries: Counter;
  private readonly deadLetterEvents: Counter;
  private readonly deadLetterDropped: Counter<'reason'>;
  private readonly bufferBytes: Gauge;
  private readonly requestDuration: Histogram;
  private readonly containerLag: Gauge<'container_name'>;

  constructor(registry: MetricsRegistry, private readonly logger: Logger) {
    const registers = [registry];
    scrapedCounter({ name: 'log_capturer_events_sent_total', help: 'Records the receiver acknowledged.', registers }, [{ tally: this.eventsSent }]);
    this.sendErrors = new Counter({ name: 'log_capturer_send_errors_total', help: 'Failed sink requests by reason.', labelNames: ['reason'] as const, registers });
    this.retries = new Counter({ name: 'log_capturer_retries_total', help: 'Sink requests sent again after a failure.', registers });
    this.deadLetterEvents = new Counter({ name: 'log_capturer_dead_letter_events_total', help: 'Records the receiver refused as a whole (400, or 413 alone), handed to the dead-letter file.', registers });
    this.deadLetterDropped = new Counter({
      name: 'log_capturer_dead_letter_dropped_events_total',
      help: 'Dead-letter records no longer on disk: rotated = in the rotated file a rotation replaced, too_large = larger than checkpoint.dead_letter_max_bytes, never written.',
      labelNames: ['reason'] as const, registers,
    });
    this.bufferBytes = new Gauge({ name: 'log_capturer_buffer_bytes', help: 'Encoded records held in memory, not yet acknowledged.', registers });
    this.requestDuration = new Histogram({ name: 'log_capturer_request_duration_seconds', help: 'Sink request duration.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers });
    this.containerLag = new Gauge({ name: 'log_capturer_container_lag_seconds', help: 'Now minus the newest acknowledged log timestamp, per container.', labelNames: ['container_name'] as const, registers });
    // Known label values start at 0, so a series exists (and rate() works) before the first error.
    for (const reason of SEND_ERROR_REASONS) this.sendErrors.inc({ reason }, 0);
    for (const reason of DEAD_LETTER_DROP_REASONS) this.deadLetterDropped.inc({ reason }, 0);
  }

  // ---- counts only (hot or per request) --------------------------------------------------

  buffered(bytes: number): void {
    this.bufferBytes.set(bytes);
  }

  requestFinished(seconds: number, retry: boolean): void {
    this.requestDuration.observe(seconds);
    if (retry) this.retries.inc();
  }

  sent(events: number): void {
    this.eventsSent.count += events;
  }

  sendFailed(reason: string): void {
    this.sendErrors.inc({ reason });
  }

  lag(containerName: string, seconds: number): void {
    this.containerLag.set({ container_name: containerName }, seconds);
  }

  /** The container is gone or renamed: its lag series goes, so label sets stay bounded. */
  forgetLag(containerName: string): void {
    this.containerLag.remove({ container_name: containerName });
  }

  // ---- events worth a log line -----------------------------------------------------------

  deadLettered(events: number, status: number, reason: string, path: string): void {
    this.deadLetterEvents.inc(events);
    this.logger.warn({ events, status, reason, path }, 'records refused by the receiver were written to the dead-letter file');
  }

  /** The dead-letter file reached its bound and became the rotated file, replacing the previous one. */
  deadLettersRotated(path: string, rotatedPath: string, droppedEvents: number, maxBytes: number): void {
    if (droppedEvents > 0) this.deadLetterDropped.inc({ reason: 'rotated' }, droppedEvents);
    const message = droppedEvents > 0
      ? `the dead-letter file reached checkpoint.dead_letter_max_bytes and was rotated; the ${droppedEvents} records of the previous rotated file were dropped`
      : 'the dead-letter file reached checkpoint.dead_letter_max_bytes and was rotated';
    this.logger.warn({ path, rotated_to: rotatedPath, dropped_events: droppedEvents, max_bytes: maxBytes }, message);
  }

  deadLettersDropped(events: number, reason: DeadLetterDropReason, path: string, maxBytes: number): void {
    this.deadLetterDropped.inc({ reason }, events);
    this.logger.warn({ path, events, reason, max_bytes: maxBytes }, 'dead-letter records larger than checkpoint.dead_letter_max_bytes were dropped, not written');
  }

  deadLetterFailed(events: number, path: string, error: unknown): void {
    this.logger.error({ path, events, err: error }, `cannot write ${path}; keeping the records and trying again`);
  }

  /** One loud log per episode of configuration error (or when the problem changes), not one per retry. */
  configError(url: string, status: number, detail: string, retryMs: number): void {
    this.logger.error({ url, status }, `sink configuration error, records are kept and retried every ${retryMs} ms: ${detail}`);
  }

  configErrorResolved(url: string): void {
    this.logger.info({ url }, 'the receiver accepts our requests again: configuration error resolved');
  }

  /** The first failure after a success: later ones of the same episode are only counted. */
  retrying(url: string, reason: string, detail: string): void {
    this.logger.warn({ url, reason, detail }, 'the receiver did not take a batch; retrying with backoff');
  }

  deliveryBug(error: unknown): void {
    this.logger.error({ err: error }, 'delivery failed unexpectedly');
  }

  undelivered(pendingEvents: number): void {
    this.logger.warn({ pending_events: pendingEvents }, 'shutdown: grace period ended before everything was acknowledged; those lines will be read again on the next start');
  }
}
