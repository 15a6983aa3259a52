// What capture tells the outside world, in one place: each method is one internal event that
// counts its metric and writes its log line together, so the two never disagree and every log
// field has the same name everywhere (snake_case, as records and metrics use; errors as Error
// objects, so the logger keeps their stack and cause). Capture owns these series; nothing else
// writes them.
import { Counter, Gauge, Histogram } from 'prom-client';
import { describeRefusedId } from '../docker/container-id.js';
import type { ContainerInfo } from '../docker/container-info.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { Tally, scrapedCounter } from '../telemetry/scraped-counter.js';
import type { Logger } from '../utils/logger.js';
import type { SilenceReason, SilentVerdict } from './capture-status.js';
import type { DaemonProfile } from './daemon-profile.js';
import type { Position } from './position.js';

/** A counter with its labels resolved once (prom-client's labels() result). */
type CounterChild = { inc(value?: number): void };

/** Why a log stream was opened again (`start`: the first time, or after the container started again). */
export type ReopenKind = 'start' | 'rotation' | 'turn' | 'reconnect' | 'poll';
const REOPEN_KINDS: readonly ReopenKind[] = ['start', 'rotation', 'turn', 'reconnect', 'poll'];

/** What completed a multiline record: its rule, its timeout, the limits (cut), or a flush (the container stopped, capture stops). */
export type MultilineEnd = 'rule' | 'timeout' | 'limit' | 'flush';
const MULTILINE_ENDS: readonly MultilineEnd[] = ['rule', 'timeout', 'limit', 'flush'];

/** How long a container's repeated daemon error reports are summarised instead of logged one by one. */
const DAEMON_ERROR_LOG_INTERVAL_MS = 60_000;

export class CaptureTelemetry {
  private readonly streamsActive: Gauge;
  private readonly streamRotations: Counter;
  private readonly containersWatched: Gauge;
  private readonly unreadableContainers: Counter;
  private readonly daemonErrors: Counter;
  private readonly streamsPaused: Gauge;
  private readonly refusedIds: Counter<'source'>;
  private readonly reopens: Counter<'kind'>;
  private readonly reopenSeconds: Histogram<'kind'>;
  private readonly tailWindow: Histogram;
  private readonly tailWidened: Counter;
  private readonly tailFallbacks: Counter<'reason'>;
  private readonly rotatedAway: Counter;
  private readonly routeFallbacks: Counter<'reason'>;
  private readonly fileWarnings: Counter;
  private readonly undecodableBytes: Counter<'container_name'>;
  private readonly silentContainers: Gauge<'reason'>;
  /** 1 per silent container (series removed when it delivers again or goes). */
  private readonly containerSilentSeries: Gauge<'container_name' | 'reason'>;
  /** The series each silent container carries now, to remove it. */
  private readonly silentSeries = new Map<string, { container_name: string; reason: SilenceReason }>();
  /** The engine's count of silent containers by reason, read at each scrape. */
  private silentCounts: () => Record<SilenceReason, number> = () => ({ undecodable: 0, not_delivered: 0 });
  /** The name each container's undecodable-bytes series carries, to remove it when the container goes. */
  private readonly undecodableSeries = new Map<string, string>();
  /** Per-end children, resolved once: in continue_through mode nearly every line is a group. */
  private readonly multilineRecords: Record<MultilineEnd, CounterChild>;
  private readonly multilineLabelErrors: Counter;
  // Hot-path counts: plain integers, read by their counters when /metrics is scraped.
  readonly stdoutLines = new Tally();
  readonly stderrLines = new Tally();
  private readonly bytesTally = new Tally();
  private readonly partialLinesTally = new Tally();
  private readonly truncatedTally = new Tally();
  /** Lines by the route that read them (tallies too, added per chunk or read). */
  readonly apiRouteLines = new Tally();
  readonly fileRouteLines = new Tally();
  private readonly daemonErrorLogged = new Map<string, { at: number; suppressed: number }>();

  constructor(registry: MetricsRegistry, private readonly logger: Logger, private readonly now: () => number = Date.now) {
    const registers = [registry];
    this.streamsActive = new Gauge({ name: 'log_capturer_container_streams_active', help: 'Docker log streams open now.', registers });
    this.streamRotations = new Counter({ name: 'log_capturer_container_stream_rotations_total', help: 'Log streams closed and reopened at their position by rotation.', registers });
    this.containersWatched = new Gauge({ name: 'log_capturer_containers_watched', help: 'Containers selected for capture (streaming, waiting or paused).', registers });
    scrapedCounter({ name: 'log_capturer_lines_read_total', help: 'Complete log lines read from Docker.', labelNames: ['stream'] as const, registers },
      [{ tally: this.stdoutLines, labels: { stream: 'stdout' } }, { tally: this.stderrLines, labels: { stream: 'stderr' } }]);
    scrapedCounter({ name: 'log_capturer_bytes_read_total', help: 'Bytes of log stream read from Docker.', registers }, [{ tally: this.bytesTally }]);
    scrapedCounter({ name: 'log_capturer_partial_lines_merged_total', help: 'Lines rebuilt from several 16 KiB partial frames.', registers }, [{ tally: this.partialLinesTally }]);
    scrapedCounter({ name: 'log_capturer_lines_truncated_total', help: 'Lines cut at capture.max_line_bytes.', registers }, [{ tally: this.truncatedTally }]);
    this.unreadableContainers = new Counter({ name: 'log_capturer_unreadable_containers_total', help: 'Containers whose log driver cannot be read (501), reported once each.', registers });
    this.daemonErrors = new Counter({ name: 'log_capturer_daemon_stream_errors_total', help: 'Error frames (type 3) and undecodable data the daemon wrote into log streams.', registers });
    this.streamsPaused = new Gauge({ name: 'log_capturer_streams_paused', help: '1 while capture is paused by backpressure, else 0.', registers });
    this.streamsPaused.set(0);
    this.refusedIds = new Counter({ name: 'log_capturer_refused_container_ids_total', help: 'Container ids from the daemon that are not 64 hex characters, refused before any request.', labelNames: ['source'] as const, registers });
    for (const source of ['events', 'listing'] as const) this.refusedIds.inc({ source }, 0);
    this.reopens = new Counter({ name: 'log_capturer_stream_opens_total', help: 'Log streams opened, by why: start, rotation, turn (a slot came back), reconnect (after an error), poll (a read without follow).', labelNames: ['kind'] as const, registers });
    this.reopenSeconds = new Histogram({ name: 'log_capturer_stream_open_seconds', help: 'Time from asking for a log stream to the daemon answering, by why it was opened.', labelNames: ['kind'] as const, buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers });
    this.tailWindow = new Histogram({ name: 'log_capturer_tail_window_entries', help: 'Size of the tail window a stream was opened with (entries from the end of the log).', buckets: [64, 512, 4096, 32_768, 262_144, 2_097_152, 4_194_304], registers });
    this.tailWidened = new Counter({ name: 'log_capturer_tail_window_widened_total', help: 'Tail windows that did not reach back to the position and were asked for again, wider.', registers });
    this.tailFallbacks = new Counter({ name: 'log_capturer_tail_window_fallbacks_total', help: 'Streams opened by since alone instead of a tail window: small_log (the whole log is small), too_large (the window would be too large).', labelNames: ['reason'] as const, registers });
    this.rotatedAway = new Counter({ name: 'log_capturer_positions_rotated_away_total', help: 'Reopenings whose position was partly gone: the daemon had rotated the log files away before they were read again (lines it deleted unread are lost to its rotation).', registers });
    scrapedCounter({ name: 'log_capturer_lines_by_route_total', help: 'Complete log lines read, by route: api (the Docker log API) or file (the json-file log read from docker.containers_dir).', labelNames: ['route'] as const, registers },
      [{ tally: this.apiRouteLines, labels: { route: 'api' } }, { tally: this.fileRouteLines, labels: { route: 'file' } }]);
    this.routeFallbacks = new Counter({ name: 'log_capturer_file_route_fallbacks_total', help: 'Containers the file route could not read (or stopped reading), read through the API from the same position instead, by reason (the JsonFileError code).', labelNames: ['reason'] as const, registers });
    this.fileWarnings = new Counter({ name: 'log_capturer_file_route_warnings_total', help: 'Things the file route logged that lose nothing by themselves: no fs.watch (polling), a damaged entry skipped, a file truncated in place.', registers });
    this.undecodableBytes = new Counter({ name: 'log_capturer_undecodable_bytes_total', help: 'Bytes of a container\'s log streams dropped as undecodable (not a frame, not a timestamp, not a real time), per container.', labelNames: ['container_name'] as const, registers });
    const counts = (): Record<SilenceReason, number> => this.silentCounts();
    this.silentContainers = new Gauge({
      name: 'log_capturer_silent_containers',
      help: 'Containers that yield no line while they should: undecodable (their streams deliver only undecodable bytes), not_delivered (followed, no line, while the daemon shows lines after their position).',
      labelNames: ['reason'] as const,
      registers,
      collect() {
        for (const [reason, count] of Object.entries(counts())) this.set({ reason }, count);
      },
    });
    this.containerSilentSeries = new Gauge({
      name: 'log_capturer_container_silent',
      help: '1 for each container that yields no line while it should, by reason (undecodable, not_delivered); no series for a container that delivers.',
      labelNames: ['container_name', 'reason'] as const,
      registers,
    });
    const multilineRecords = new Counter({ name: 'log_capturer_multiline_records_total', help: 'Groups of lines a multiline rule completed (each one record), by what completed it: rule, timeout, limit (cut at max_lines or max_bytes), flush (the container stopped, or capture stopped).', labelNames: ['end'] as const, registers });
    this.multilineRecords = { rule: multilineRecords.labels('rule'), timeout: multilineRecords.labels('timeout'), limit: multilineRecords.labels('limit'), flush: multilineRecords.labels('flush') };
    this.multilineLabelErrors = new Counter({ name: 'log_capturer_multiline_label_errors_total', help: 'Containers whose log-capturer.multiline.* labels were invalid and ignored (counted once per container).', registers });
    for (const end of MULTILINE_ENDS) this.multilineRecords[end].inc(0);
    for (const kind of REOPEN_KINDS) this.reopens.inc({ kind }, 0);
    for (const reason of ['small_log', 'too_large'] as const) this.tailFallbacks.inc({ reason }, 0);
  }

  // ---- streams (hot path: no logging) ----------------------------------------------------

  streamOpened(): void {
    this.streamsActive.inc();
  }

  streamClosed(): void {
    this.streamsActive.dec();
  }

  bytes(count: number): void {
    this.bytesTally.count += count;
  }

  partialLineMerged(): void {
    this.partialLinesTally.count += 1;
  }

  lineTruncated(): void {
    this.truncatedTally.count += 1;
  }

  rotated(): void {
    this.streamRotations.inc();
  }

  /** A stream was asked for; `seconds` until the daemon answered. `tail`: the window it was opened with. */
  streamRequested(kind: ReopenKind, seconds: number, tail: number | undefined): void {
    this.reopens.inc({ kind });
    this.reopenSeconds.observe({ kind }, seconds);
    if (tail !== undefined) this.tailWindow.observe(tail);
  }

  /** The daemon rotated away lines the position had counted: reading goes on from the first new line. */
  positionRotatedAway(container: ContainerInfo, missing: number): void {
    this.rotatedAway.inc();
    this.logger.warn(
      { container_id: container.id, container_name: container.name, missing_lines: missing, log_driver: container.logDriver, log_options: container.logOptions },
      'capture: the daemon rotated this container\'s log files away faster than they were read; lines it deleted unread are lost (raise max-size/max-file, or give it a follow stream)',
    );
  }

  /** A multiline group became a record. */
  multilineRecord(end: MultilineEnd): void {
    this.multilineRecords[end].inc();
  }

  /** A container's multiline labels do not make a valid rule: they are ignored. Called once per container. */
  multilineLabelsInvalid(container: ContainerInfo, problems: readonly string[], fallback: 'the configured rule' | 'no grouping'): void {
    this.multilineLabelErrors.inc();
    this.logger.warn(
      { container_id: container.id, container_name: container.name, problems },
      `capture: this container's multiline labels are invalid and ignored (${fallback} applies): ${problems.join('; ')}`,
    );
  }

  tailWidenedOnce(): void {
    this.tailWidened.inc();
  }

  tailFallback(reason: 'small_log' | 'too_large'): void {
    this.tailFallbacks.inc({ reason });
  }

  // ---- the file route --------------------------------------------------------------------

  /** docker.containers_dir was looked at once at start: whether the file route can be used. */
  containersDirDetected(path: string, readable: boolean, error: Error | undefined, route: string): void {
    if (readable) {
      this.logger.info({ containers_dir: path, route }, route === 'api' ? 'capture: docker.containers_dir is readable, but capture.route is api: every log is read through the API' : 'capture: docker.containers_dir is readable: json-file logs are read from their files');
    } else {
      this.logger.warn({ containers_dir: path, code: (error as { code?: unknown } | undefined)?.code, err: error }, `capture: docker.containers_dir ${path} cannot be read (${error?.message ?? 'unknown reason'}): every log is read through the API`);
    }
  }

  /** This container is read through the API (from the same position) because the file route cannot read it. */
  fileRouteFallback(container: ContainerInfo, path: string | undefined, error: Error & { code?: string }): void {
    this.routeFallbacks.inc({ reason: error.code ?? 'unknown' });
    this.logger.warn(
      { container_id: container.id, container_name: container.name, path, code: error.code, reason: error.message },
      `capture: cannot read ${path ?? 'the json-file log'} (${error.code ?? 'error'}: ${error.message}); reading container ${container.name} through the API from the same position`,
    );
  }

  /** The file route said something that loses nothing by itself. */
  fileWarning(container: ContainerInfo, path: string, message: string): void {
    this.fileWarnings.inc();
    this.logger.warn({ container_id: container.id, container_name: container.name, path }, `capture: file route: ${message}`);
  }

  // ---- the engine ------------------------------------------------------------------------

  watched(count: number): void {
    this.containersWatched.set(count);
  }

  paused(paused: boolean): void {
    this.streamsPaused.set(paused ? 1 : 0);
  }

  daemonDetected(daemon: DaemonProfile): void {
    const fields = { daemon: daemon.kind, version: daemon.version, api_version: daemon.apiVersion, ...(daemon.kind === 'podman' ? { libpod_api_version: daemon.libpodApiVersion } : {}), follows_rotation: daemon.followsRotation, tail_windows: daemon.tailWindows };
    if (daemon.kind === 'podman') {
      const tty = daemon.libpodApiVersion !== '' ? `TTY containers through /v${daemon.libpodApiVersion}/libpod/` : 'TTY containers through its raw compatible stream (no libpod API version in /version)';
      this.logger.info(fields, `capture: daemon detected: Podman ${daemon.version}; positions in whole seconds with since as RFC 3339 (its stamps are cut to the second), no tail windows, ${tty}`);
      return;
    }
    this.logger.info(
      fields,
      daemon.followsRotation ? `capture: daemon detected: ${daemon.kind} ${daemon.version}` : `capture: daemon detected: ${daemon.kind} ${daemon.version}; containers whose logs it rotates are read by polls (its follow streams repeat lines across a rotation)`,
    );
  }

  /** Where the engine's count of silent containers comes from (read at each scrape). */
  countSilentWith(counts: () => Record<SilenceReason, number>): void {
    this.silentCounts = counts;
  }

  /** Bytes of a container's stream dropped as undecodable (the parser reported why: daemonError). */
  undecodable(container: ContainerInfo, bytes: number): void {
    const before = this.undecodableSeries.get(container.id);
    if (before !== undefined && before !== container.name) this.undecodableBytes.remove({ container_name: before }); // renamed
    this.undecodableSeries.set(container.id, container.name);
    this.undecodableBytes.inc({ container_name: container.name }, bytes);
  }

  /** A container yields no line while it should (see silence.ts). */
  containerSilent(container: ContainerInfo, verdict: SilentVerdict): void {
    this.clearSilentSeries(container.id);
    const labels = { container_name: container.name, reason: verdict.reason };
    this.silentSeries.set(container.id, labels);
    this.containerSilentSeries.set(labels, 1);
    this.logger.error(
      { container_id: container.id, container_name: container.name, reason: verdict.reason, detail: verdict.detail },
      'capture: this container yields no log lines while it should; /status and /readyz say so until it does',
    );
  }

  containerDeliversAgain(container: ContainerInfo): void {
    this.clearSilentSeries(container.id);
    this.logger.info({ container_id: container.id, container_name: container.name }, 'capture: this container yields log lines again');
  }

  private clearSilentSeries(containerId: string): void {
    const labels = this.silentSeries.get(containerId);
    if (labels === undefined) return;
    this.silentSeries.delete(containerId);
    this.containerSilentSeries.remove(labels);
  }

  notReadingSelf(id: string): void {
    this.logger.info({ container_id: id }, 'capture: not reading our own container');
  }

  following(container: ContainerInfo, position: Position): void {
    this.logger.info({ container_id: container.id, container_name: container.name, position }, 'capture: following container');
  }

  notSelected(id: string, name: string, reason: string): void {
    this.logger.debug({ container_id: id, container_name: name, reason }, 'capture: container not selected');
  }

  unreadable(container: ContainerInfo, error: Error): void {
    this.unreadableContainers.inc();
    this.logger.warn(
      { container_id: container.id, container_name: container.name, log_driver: container.logDriver, err: error },
      'capture: this container\'s log driver cannot be read; it will not be captured (use json-file, local, or enable dual logging)',
    );
  }

  /** The daemon wrote an error into a log stream, or bytes we could not decode: counted always, logged at most once a minute per container. */
  daemonError(container: ContainerInfo, message: string): void {
    this.daemonErrors.inc();
    const now = this.now();
    const last = this.daemonErrorLogged.get(container.id);
    if (last !== undefined && now - last.at < DAEMON_ERROR_LOG_INTERVAL_MS) {
      last.suppressed += 1;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.daemonErrorLogged.set(container.id, { at: now, suppressed: 0 });
    this.logger.warn(
      { container_id: container.id, container_name: container.name, daemon_error: message, ...(suppressed > 0 ? { similar_reports_not_logged: suppressed } : {}) },
      'capture: the daemon reported an error in a log stream',
    );
  }

  /** The container is gone: forget what was kept for it. */
  forget(containerId: string): void {
    this.daemonErrorLogged.delete(containerId);
    this.clearSilentSeries(containerId);
    const name = this.undecodableSeries.get(containerId);
    if (name !== undefined) {
      this.undecodableSeries.delete(containerId);
      this.undecodableBytes.remove({ container_name: name });
    }
  }

  taskFailed(container: ContainerInfo, error: unknown): void {
    this.logger.error({ container_id: container.id, container_name: container.name, err: error }, 'capture: container task failed; it will be retried');
  }

  /** An id that is not a container id came from the daemon: it never goes into a URL. */
  refusedId(id: string, source: 'events' | 'listing'): void {
    this.refusedIds.inc({ source });
    this.logger.warn({ container_id: describeRefusedId(id), source }, 'capture: refused a container id that is not 64 hex characters');
  }

  /** No daemon answers at the address: said once per outage, with what to do about it. */
  daemonUnreachable(address: string, error: unknown): void {
    this.logger.error(
      { docker: address, err: error },
      `no Docker daemon answers at ${address}; still trying. Start the daemon, or point log-capturer at one: ` +
        'the DOCKER_HOST environment variable, --docker-host, or docker.host in the configuration file ' +
        '(from a checkout, a private test daemon: eval "$(bash test/support/docker-daemon.sh start)")',
    );
  }

  inspectFailed(id: string, error: unknown): void {
    this.logger.warn({ container_id: id, err: error }, 'capture: inspecting a container failed; will retry on the next listing');
  }

  listFailed(error: unknown, when: 'start' | 'reconnect' | 'periodic'): void {
    const message = when === 'start'
      ? 'capture: could not list containers at start; will retry'
      : when === 'reconnect' ? 'capture: listing containers failed' : 'capture: periodic listing of containers failed';
    this.logger.warn({ err: error }, message);
  }
}
