// The one Prometheus registry of a capturer. It lives below the data path (docker, capture,
// ship and server may all use it) and holds no metric of its own: each component registers and
// writes only its own series (capture/capture-telemetry.ts, ship/ship-telemetry.ts,
// ship/checkpoint-store.ts, server/http-server.ts), so no series has two writers.
// Names follow Prometheus conventions: `log_capturer_` prefix, `_total`, `_seconds`, `_bytes`.
import { Registry, collectDefaultMetrics } from 'prom-client';

export const METRIC_PREFIX = 'log_capturer_';

export type MetricsRegistry = Registry;

/** A new registry; with prom-client's process and Node.js metrics unless `defaultMetrics: false` (tests). */
export function createMetricsRegistry(options: { defaultMetrics?: boolean } = {}): MetricsRegistry {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}
