// A validated configuration file (ConfigFile: snake_case, `5m`, `1MiB`, defaults filled in; its
// type is derived from the schema) turned into the CapturerConfig every component receives
// (camelCase, ms, bytes), plus the rules that span several keys and so cannot live in the schema.
import { hostname } from 'node:os';
import { checkHttpUrl, parseListen } from './address-formats.js';
import type { CapturerConfig } from './capturer-config.js';
import type { ConfigFile } from './config-file-schema.js';
import { describeFound, expectedGot } from './config-errors.js';
import { getAt, isPlainObject } from './config-layers.js';
import type { RawConfig } from './config-layers.js';
import type { ConfigProblem } from './config-errors.js';
import type { SourceLookup } from './schema-problems.js';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.js';

type Duration = string;
type Size = string | number;

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

// The schema has already checked these, so a failure here is a bug in the schema, not the user's.
function ms(text: Duration): number {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new Error(`unvalidated duration: ${parsed.reason}`);
  return parsed.value;
}

function bytes(value: Size): number {
  const parsed = parseSize(value);
  if (!parsed.ok) throw new Error(`unvalidated size: ${parsed.reason}`);
  return parsed.value;
}

function parsedOrUndefined(parsed: { ok: true; value: number } | { ok: false }): number | undefined {
  return parsed.ok ? parsed.value : undefined;
}

function sizeAt(config: RawConfig, path: readonly string[]): number | undefined {
  const value = getAt(config, path);
  return typeof value === 'string' || typeof value === 'number' ? parsedOrUndefined(parseSize(value)) : undefined;
}

function durationAt(config: RawConfig, path: readonly string[]): number | undefined {
  const value = getAt(config, path);
  return typeof value === 'string' ? parsedOrUndefined(parseDuration(value)) : undefined;
}

/**
 * sink.auth and user:password in sink.url become the Authorization header; a header of that name
 * in sink.headers as well would send two, and the receiver would pick one we cannot predict.
 */
function authorizationProblems(config: RawConfig, sources: SourceLookup): ConfigProblem[] {
  const headers = getAt(config, ['sink', 'headers']);
  if (!isPlainObject(headers)) return [];
  const problems: ConfigProblem[] = [];
  const url = getAt(config, ['sink', 'url']);
  const parsedUrl = typeof url === 'string' ? checkHttpUrl(url) : undefined;
  const rivals: { key: string; source: string }[] = [];
  if (isPlainObject(getAt(config, ['sink', 'auth']))) rivals.push({ key: 'sink.auth', source: sources.sourceOfSection(['sink', 'auth']) });
  if (parsedUrl?.ok === true && (parsedUrl.value.username !== '' || parsedUrl.value.password !== '')) {
    rivals.push({ key: 'the user:password in sink.url', source: sources.sourceOf(['sink', 'url']) });
  }
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() !== 'authorization') continue;
    const path = ['sink', 'headers', name];
    const source = sources.sourceOf(path);
    for (const rival of rivals) {
      const where = rival.source === source ? '' : ` (from ${rival.source})`;
      problems.push({
        source,
        path: path.join('.'),
        message: `conflicts with ${rival.key}${where}: both set the Authorization header (header names are compared without case); keep one of them`,
      });
    }
  }
  return problems;
}

const MULTILINE_RULE_KEYS = ['start_pattern', 'condition_pattern', 'mode'] as const;

/** capture.multiline's rule is its three keys together: one or two alone would be a rule half written. */
function multilineProblems(config: RawConfig, sources: SourceLookup): ConfigProblem[] {
  const section = ['capture', 'multiline'];
  const set = MULTILINE_RULE_KEYS.filter((key) => getAt(config, [...section, key]) !== undefined);
  if (set.length === 0 || set.length === MULTILINE_RULE_KEYS.length) return [];
  const given = set.map((key) => `capture.multiline.${key}`).join(' and ');
  return MULTILINE_RULE_KEYS.filter((key) => !set.includes(key)).map((key) => ({
    source: sources.sourceOf([...section, set[0] as string]),
    path: [...section, key].join('.'),
    message: expectedGot(`a value, since ${given} ${set.length === 1 ? 'is' : 'are'} set`, 'nothing', 'a multiline rule needs start_pattern, condition_pattern and mode together: set it, or remove the others'),
  }));
}

/**
 * Rules across keys, checked on the merged configuration even when other keys are broken (every
 * problem at once); a value that does not parse is left to the schema's message.
 */
export function crossKeyProblems(config: RawConfig, sources: SourceLookup): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const maxBytes = sizeAt(config, ['buffer', 'max_bytes']);
  const resumePath = ['buffer', 'resume_bytes'];
  const resumeBytes = sizeAt(config, resumePath);
  if (maxBytes !== undefined && resumeBytes !== undefined && resumeBytes >= maxBytes) {
    problems.push({
      source: sources.sourceOf(resumePath),
      path: resumePath.join('.'),
      message: expectedGot(`a size less than buffer.max_bytes (${formatSize(maxBytes)})`, describeFound(getAt(config, resumePath), resumePath),
        'lower buffer.resume_bytes or raise buffer.max_bytes'),
    });
  }
  const initialPath = ['sink', 'retry', 'initial_backoff'];
  const initial = durationAt(config, initialPath);
  const max = durationAt(config, ['sink', 'retry', 'max_backoff']);
  if (initial !== undefined && max !== undefined && initial > max) {
    problems.push({
      source: sources.sourceOf(initialPath),
      path: initialPath.join('.'),
      message: expectedGot(`a duration no longer than sink.retry.max_backoff (${formatDuration(max)})`, describeFound(getAt(config, initialPath), initialPath)),
    });
  }
  problems.push(...authorizationProblems(config, sources));
  problems.push(...multilineProblems(config, sources));
  return problems;
}

export function resolveConfig(file: ConfigFile): CapturerConfig {
  const { docker, capture, filters, sink, buffer, checkpoint, server } = file;
  const listen = parseListen(server.listen);
  if (!listen.ok) throw new Error(`unvalidated listen address: ${listen.reason}`);
  const bufferMax = bytes(buffer.max_bytes);
  return {
    docker: {
      host: docker.host ?? DEFAULT_DOCKER_HOST,
      ...(docker.api_version !== undefined ? { apiVersion: docker.api_version } : {}),
      ...(docker.tls !== undefined ? {
        tls: {
          ...(docker.tls.ca_file !== undefined ? { caFile: docker.tls.ca_file } : {}),
          ...(docker.tls.cert_file !== undefined ? { certFile: docker.tls.cert_file } : {}),
          ...(docker.tls.key_file !== undefined ? { keyFile: docker.tls.key_file } : {}),
          verify: docker.tls.verify,
        },
      } : {}),
      requestTimeoutMs: ms(docker.request_timeout),
    },
    capture: {
      maxStreams: capture.max_streams,
      rotationIntervalMs: ms(capture.rotation_interval),
      pollIntervalMs: ms(capture.poll_interval),
      initialPosition: capture.initial_position,
      maxLineBytes: bytes(capture.max_line_bytes),
      hostName: capture.host_name ?? hostname(),
      multiline: {
        ...(capture.multiline.start_pattern !== undefined ? { startPattern: capture.multiline.start_pattern } : {}),
        ...(capture.multiline.condition_pattern !== undefined ? { conditionPattern: capture.multiline.condition_pattern } : {}),
        ...(capture.multiline.mode !== undefined ? { mode: capture.multiline.mode } : {}),
        timeoutMs: ms(capture.multiline.timeout),
        maxLines: capture.multiline.max_lines,
        maxBytes: bytes(capture.multiline.max_bytes),
      },
      eventIds: capture.event_id ?? true,
    },
    filters: {
      includeNames: filters.include_names,
      excludeNames: filters.exclude_names,
      includeImages: filters.include_images,
      excludeImages: filters.exclude_images,
      includeLabels: filters.include_labels,
      excludeLabels: filters.exclude_labels,
      optOutLabel: filters.opt_out_label,
    },
    sink: {
      type: sink.type,
      ...(sink.url !== undefined ? { url: sink.url } : {}),
      ...(sink.auth !== undefined ? { auth: { username: sink.auth.username, password: sink.auth.password } } : {}),
      compression: sink.compression,
      batch: { maxEvents: sink.batch.max_events, maxBytes: bytes(sink.batch.max_bytes), lingerMs: ms(sink.batch.linger) },
      maxInFlight: sink.max_in_flight,
      requestTimeoutMs: ms(sink.request_timeout),
      retry: {
        initialBackoffMs: ms(sink.retry.initial_backoff),
        maxBackoffMs: ms(sink.retry.max_backoff),
        configErrorBackoffMs: ms(sink.retry.config_error_backoff),
      },
      headers: { ...sink.headers },
    },
    buffer: {
      maxBytes: bufferMax,
      resumeBytes: buffer.resume_bytes !== undefined ? bytes(buffer.resume_bytes) : Math.floor(bufferMax / 2),
    },
    checkpoint: { stateDir: checkpoint.state_dir, flushIntervalMs: ms(checkpoint.flush_interval), deadLetterMaxBytes: bytes(checkpoint.dead_letter_max_bytes) },
    server: {
      enabled: server.enabled,
      host: listen.value.host,
      port: listen.value.port,
      maxConnections: server.max_connections,
      ...(server.status_token !== undefined ? { statusToken: server.status_token } : {}),
    },
    shutdown: { gracePeriodMs: ms(file.shutdown.grace_period) },
    log: { level: file.log.level },
  };
}
