// Every metric the capturer exports, in one registry. Components receive this object and touch
// only the handles they own; names follow Prometheus conventions (`_total`, `_seconds`, `_bytes`).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ComponentName = 'docker' | 'sink' | 'checkpoint' | 'server';

/** Reasons the delivery pipeline counts; other HTTP statuses appear as `http_<status>` when they happen. */
export const SEND_ERROR_REASONS = ['connection', 'timeout', 'too_large', 'rejected', 'config_error', 'http_429', 'http_500', 'http_502', 'http_503', 'http_504'] as const;

export class CapturerMetrics {
  readonly registry = new Registry();

  readonly streamsActive = new Gauge({ name: 'log_capturer_container_streams_active', help: 'Docker log streams open now.', registers: [this.registry] });
  readonly streamRotations = new Counter({ name: 'log_capturer_container_stream_rotations_total', help: 'Log streams closed and reopened at their position by rotation.', registers: [this.registry] });
  readonly componentHealth = new Gauge({ name: 'log_capturer_component_health', help: '1 when the component is healthy, 0 when not.', labelNames: ['component'] as const, registers: [this.registry] });
  readonly containersWatched = new Gauge({ name: 'log_capturer_containers_watched', help: 'Containers selected for capture (streaming, waiting or paused).', registers: [this.registry] });
  readonly linesRead = new Counter({ name: 'log_capturer_lines_read_total', help: 'Complete log lines read from Docker.', labelNames: ['stream'] as const, registers: [this.registry] });
  readonly bytesRead = new Counter({ name: 'log_capturer_bytes_read_total', help: 'Bytes of log stream read from Docker.', registers: [this.registry] });
  readonly eventsSent = new Counter({ name: 'log_capturer_events_sent_total', help: 'Records the receiver acknowledged.', registers: [this.registry] });
  readonly sendErrors = new Counter({ name: 'log_capturer_send_errors_total', help: 'Failed sink requests by reason.', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly retries = new Counter({ name: 'log_capturer_retries_total', help: 'Sink requests sent again after a failure.', registers: [this.registry] });
  readonly deadLetterEvents = new Counter({ name: 'log_capturer_dead_letter_events_total', help: 'Records the receiver refused as a whole (400), written to the dead-letter file.', registers: [this.registry] });
  readonly bufferBytes = new Gauge({ name: 'log_capturer_buffer_bytes', help: 'Encoded records held in memory, not yet acknowledged.', registers: [this.registry] });
  readonly streamsPaused = new Gauge({ name: 'log_capturer_streams_paused', help: '1 while capture is paused by backpressure, else 0.', registers: [this.registry] });
  readonly requestDuration = new Histogram({ name: 'log_capturer_request_duration_seconds', help: 'Sink request duration.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [this.registry] });
  readonly containerLag = new Gauge({ name: 'log_capturer_container_lag_seconds', help: 'Now minus the newest acknowledged log timestamp, per container.', labelNames: ['container_name'] as const, registers: [this.registry] });
  readonly partialLinesMerged = new Counter({ name: 'log_capturer_partial_lines_merged_total', help: 'Lines rebuilt from several 16 KiB partial frames.', registers: [this.registry] });
  readonly linesTruncated = new Counter({ name: 'log_capturer_lines_truncated_total', help: 'Lines cut at capture.max_line_bytes.', registers: [this.registry] });
  readonly unreadableContainers = new Counter({ name: 'log_capturer_unreadable_containers_total', help: 'Containers whose log driver cannot be read (501), reported once each.', registers: [this.registry] });
  readonly daemonErrors = new Counter({ name: 'log_capturer_daemon_stream_errors_total', help: 'Error frames (type 3) the daemon wrote into log streams.', registers: [this.registry] });
  readonly checkpointWrites = new Counter({ name: 'log_capturer_checkpoint_writes_total', help: 'Times positions.json was written.', labelNames: ['result'] as const, registers: [this.registry] });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: 'log_capturer_' });
    }
    for (const component of ['docker', 'sink', 'checkpoint', 'server'] as const) this.componentHealth.set({ component }, 0);
    this.streamsPaused.set(0);
    // Known label values start at 0, so a series exists (and rate() works) before the first event.
    for (const stream of ['stdout', 'stderr'] as const) this.linesRead.inc({ stream }, 0);
    for (const reason of SEND_ERROR_REASONS) this.sendErrors.inc({ reason }, 0);
    for (const result of ['ok', 'error'] as const) this.checkpointWrites.inc({ result }, 0);
  }

  setHealth(component: ComponentName, healthy: boolean): void {
    this.componentHealth.set({ component }, healthy ? 1 : 0);
  }
}
