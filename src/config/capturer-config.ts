// The resolved configuration every component receives: validated, defaults filled, durations in
// milliseconds and sizes in bytes. The file a user writes (defined by src/config/config-file-schema.ts,
// published as plugin-config/schema.json; example plugin-config/log-capturer.yaml) uses snake_case
// keys and strings such as `5m` and `1MiB`; src/config/resolve-config.ts turns that into this shape. Keys in comments are the file's keys.
// The choices (sink types, log levels...) are the schema's enums, so they cannot disagree with it.
import type { MultilineSettings } from '../capture/multiline-rule.js';
import type { ConfigFile } from './config-file-schema.js';

export type SinkType = ConfigFile['sink']['type'];
export type Compression = ConfigFile['sink']['compression'];
export type InitialPosition = ConfigFile['capture']['initial_position'];
export type LogLevel = ConfigFile['log']['level'];

export interface DockerTlsConfig {
  /** docker.tls.ca_file */
  caFile?: string;
  /** docker.tls.cert_file */
  certFile?: string;
  /** docker.tls.key_file */
  keyFile?: string;
  /** docker.tls.verify (default true) */
  verify: boolean;
}

export interface DockerConfig {
  /** docker.host: `unix:///var/run/docker.sock` (default, or $DOCKER_HOST), `tcp://h:2375`, `https://h:2376` */
  host: string;
  /** docker.api_version, e.g. `1.41`; absent = negotiate with the daemon */
  apiVersion?: string;
  /** docker.tls; absent = no TLS */
  tls?: DockerTlsConfig;
  /** docker.request_timeout (default 30s): for non-streaming calls only (list, inspect, ping) */
  requestTimeoutMs: number;
}

export interface CaptureConfig {
  /** capture.max_streams (default 100): the stream pool's capacity */
  maxStreams: number;
  /** capture.rotation_interval (default 5m, at least 100ms) */
  rotationIntervalMs: number;
  /** capture.poll_interval (default 1s, at least 50ms): polls of containers beyond the pool */
  pollIntervalMs: number;
  /** capture.initial_position (default beginning): where to start a container with no checkpoint on the first run */
  initialPosition: InitialPosition;
  /** capture.max_line_bytes (default 1MiB): longer lines are cut and marked `truncated: true` */
  maxLineBytes: number;
  /** capture.host_name (default the machine's hostname): the `host` field of every record */
  hostName: string;
  /** capture.multiline: the rule for every container (or none) and the limits of every rule */
  multiline: MultilineSettings;
  /** capture.event_id (default true): records carry `event_id` (src/ship/event-id.ts) */
  eventIds: boolean;
}

export interface FiltersConfig {
  /** filters.include_names: globs (`web-*`) or /regex/ on the container name without `/`; empty = all */
  includeNames: string[];
  /** filters.exclude_names */
  excludeNames: string[];
  /** filters.include_images: globs or /regex/ on the image name */
  includeImages: string[];
  /** filters.exclude_images */
  excludeImages: string[];
  /** filters.include_labels: `key` (present) or `key=value` (value may be a glob) */
  includeLabels: string[];
  /** filters.exclude_labels */
  excludeLabels: string[];
  /** filters.opt_out_label (default `log-capturer.enable`): a container with this label set to `false` is never read */
  optOutLabel: string;
}

export interface SinkAuthConfig {
  /** sink.auth.username */
  username: string;
  /** sink.auth.password: a secret; never logged, never shown in /status or errors */
  password: string;
}

export interface BatchConfig {
  /** sink.batch.max_events (default 1000) */
  maxEvents: number;
  /** sink.batch.max_bytes (default 1MiB) */
  maxBytes: number;
  /** sink.batch.linger (default 1s): how long a batch may wait to fill */
  lingerMs: number;
}

export interface RetryConfig {
  /** sink.retry.initial_backoff (default 250ms) */
  initialBackoffMs: number;
  /** sink.retry.max_backoff (default 30s) */
  maxBackoffMs: number;
  /** sink.retry.config_error_backoff (default 30s): retry pace after 401/403/404/405/415 */
  configErrorBackoffMs: number;
}

export interface SinkConfig {
  /** sink.type (default stdout) */
  type: SinkType;
  /** sink.url: required for vector (e.g. http://127.0.0.1:8080/) and fluentbit (e.g. http://127.0.0.1:9880/docker) */
  url?: string;
  /** sink.auth: basic auth */
  auth?: SinkAuthConfig;
  /** sink.compression (default none) */
  compression: Compression;
  batch: BatchConfig;
  /** sink.max_in_flight (default 4): requests under way at once */
  maxInFlight: number;
  /** sink.request_timeout (default 60s): the deadline of a whole request, body included; generous, since a slow reply is the receiver's backpressure */
  requestTimeoutMs: number;
  retry: RetryConfig;
  /** sink.headers: extra request headers */
  headers: Record<string, string>;
}

export interface BufferConfig {
  /** buffer.max_bytes (default 64MiB): encoded records held in memory; above it the Docker streams pause */
  maxBytes: number;
  /** buffer.resume_bytes (default half of max_bytes): streams resume below this low-water mark */
  resumeBytes: number;
}

export interface CheckpointConfig {
  /** checkpoint.state_dir (default ./.log-capturer-state): positions.json and dead-letter files live here; must be ours alone (src/ship/state-dir.ts) */
  stateDir: string;
  /** checkpoint.flush_interval (default 1s) */
  flushIntervalMs: number;
  /**
   * checkpoint.dead_letter_max_bytes (default 64MiB): bound of dead-letter.ndjson, which then
   * rotates to dead-letter.ndjson.1.
   */
  deadLetterMaxBytes: number;
}

export interface ServerConfig {
  /** server.enabled (default true) */
  enabled: boolean;
  /** server.listen (default 127.0.0.1:8001) */
  host: string;
  port: number;
  /** server.status_token: when set, /status needs `Authorization: Bearer <token>`; a secret */
  statusToken?: string;
  /** server.max_connections (default 128): connections beyond it are closed (idle ones first). */
  maxConnections: number;
}

export interface ShutdownConfig {
  /** shutdown.grace_period (default 10s): time to flush buffered records after SIGTERM */
  gracePeriodMs: number;
}

export interface LogConfig {
  /** log.level (default info): our own logs, JSON on stderr */
  level: LogLevel;
}

export interface CapturerConfig {
  docker: DockerConfig;
  capture: CaptureConfig;
  filters: FiltersConfig;
  sink: SinkConfig;
  buffer: BufferConfig;
  checkpoint: CheckpointConfig;
  server: ServerConfig;
  shutdown: ShutdownConfig;
  log: LogConfig;
}
