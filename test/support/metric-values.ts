// Reads a metric out of a registry the way a scrape would, for assertions.
import type { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';

export interface MetricSample {
  labels: Record<string, string | number>;
  value: number;
}

export async function metricSamples(registry: MetricsRegistry, name: string): Promise<MetricSample[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return (await metric.get()).values as MetricSample[];
}

/** The sum of the samples whose labels include `labels` (0 when none). */
export async function metricValue(registry: MetricsRegistry, name: string, labels: Record<string, string> = {}): Promise<number> {
  let sum = 0;
  for (const sample of await metricSamples(registry, name)) {
    if (Object.entries(labels).every(([key, want]) => sample.labels[key] === want)) sum += sample.value;
  }
  return sum;
}
