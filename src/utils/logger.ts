// Our own logs: JSON lines on stderr (stdout may be carrying the captured NDJSON).
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { LogLevel } from '../config/capturer-config.js';

export type { Logger };

/** Field paths that may hold secrets; pino replaces their values before anything is written. */
const REDACT = [
  'password', '*.password', '*.*.password',
  'token', '*.token', 'statusToken', '*.statusToken',
  'authorization', '*.authorization', '*.headers.authorization', '*.headers.Authorization',
];

export function createLogger(level: LogLevel = 'info', destination: NodeJS.WritableStream | number = 2): Logger {
  const stream = typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination;
  return pino(
    { level, base: { name: 'log-capturer' }, redact: { paths: REDACT, censor: '[redacted]' } },
    stream,
  );
}

/** A logger that writes nothing: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
