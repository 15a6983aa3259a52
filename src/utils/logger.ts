// Our own logs: JSON lines on stderr (stdout may be carrying the captured NDJSON).
import { pino } from 'pino';
import type { Logger, LoggerOptions } from 'pino';
import type { LogLevel } from '../config/capturer-config.js';
import { stripUrlCredentials } from './url-credentials.js';

export type { Logger };

/** Field paths that may hold secrets; pino replaces their values before anything is written. */
const REDACT = [
  'password', '*.password', '*.*.password',
  'token', '*.token', 'statusToken', '*.statusToken',
  'authorization', '*.authorization', 'headers.authorization', 'headers.Authorization', '*.headers.authorization', '*.headers.Authorization',
];

const MAX_DEPTH = 8;

/**
 * Every string of a log call with URL user information hidden (`tcp://[redacted]@host`): whatever
 * a component logs (a configured address, an error naming a URL), no password reaches the log.
 * Errors are left to the `err` serializer below, which strips their message and stack.
 */
function withoutUrlCredentials(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return stripUrlCredentials(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH || value instanceof Error) return value;
  if (value instanceof URL) return stripUrlCredentials(value.href);
  if (Array.isArray(value)) return value.map((item) => withoutUrlCredentials(item, depth + 1));
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = withoutUrlCredentials(item, depth + 1);
  return copy;
}

/** pino's own error serializer (type, message, stack, cause...), with URL user information hidden. */
function serializeError(error: unknown): unknown {
  const serialized: unknown = pino.stdSerializers.err(error as Error);
  if (serialized === null || typeof serialized !== 'object') return withoutUrlCredentials(serialized);
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(serialized)) copy[key] = typeof item === 'object' && item !== null ? serializeError(item) : withoutUrlCredentials(item);
  return copy;
}

// Child loggers' bindings are formatted once by pino, without these hooks: bind constant names
// only (`component`), never a URL.
const STRIP_URL_CREDENTIALS: Pick<LoggerOptions, 'formatters' | 'hooks' | 'serializers'> = {
  formatters: { log: (object) => withoutUrlCredentials(object) as Record<string, unknown> },
  serializers: { err: serializeError },
  hooks: {
    // The message and its interpolation values; without a message pino would take an error's own
    // message unstripped, so it is passed explicitly.
    logMethod(args, method) {
      const [first, ...rest] = args as unknown[];
      const error = first instanceof Error ? first : typeof first === 'object' && first !== null && (first as { err?: unknown }).err instanceof Error ? (first as { err: Error }).err : undefined;
      const stripped = rest.map((item) => (typeof item === 'string' ? stripUrlCredentials(item) : item));
      if (error !== undefined && typeof stripped[0] !== 'string') stripped.unshift(stripUrlCredentials(error.message));
      const head = typeof first === 'string' ? stripUrlCredentials(first) : first;
      method.apply(this, [head, ...stripped] as Parameters<typeof method>);
    },
  },
};

export function createLogger(level: LogLevel = 'info', destination: NodeJS.WritableStream | number = 2): Logger {
  const stream = typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination;
  return pino(
    { level, base: { name: 'log-capturer' }, redact: { paths: REDACT, censor: '[redacted]' }, ...STRIP_URL_CREDENTIALS },
    stream,
  );
}

/** A logger that writes nothing: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
