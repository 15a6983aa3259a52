// Picks the sink for the configuration.
import type { SinkConfig } from '../../config/capturer-config.js';
import { HttpSink } from './http-sink.js';
import type { Sink } from './sink.js';
import { StdoutSink } from './stdout-sink.js';

export function createSink(config: SinkConfig): Sink {
  if (config.type === 'stdout') return new StdoutSink();
  if (config.url === undefined || config.url === '') throw new Error(`sink.url is required for sink.type ${config.type}`);
  return new HttpSink({
    kind: config.type,
    url: config.url,
    auth: config.auth,
    compression: config.compression,
    headers: config.headers,
    requestTimeoutMs: config.requestTimeoutMs,
    connections: config.maxInFlight,
  });
}
