// Reads the Prometheus text format the capturer's /metrics serves, enough for the bench.

export interface MetricSamples {
  /** Sum of every series of a metric name (0 when absent). */
  sum(name: string): number;
  /** One series, by its exact label text, e.g. `{result="error"}`. */
  series(name: string, labels: string): number | undefined;
  has(name: string): boolean;
}

export function parsePrometheusText(text: string): MetricSamples {
  const sums = new Map<string, number>();
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const name = match[1] as string;
    const value = Number(match[3]);
    if (Number.isNaN(value)) continue;
    sums.set(name, (sums.get(name) ?? 0) + value);
    series.set(`${name}${match[2] ?? ''}`, value);
  }
  return {
    sum: (name) => sums.get(name) ?? 0,
    series: (name, labels) => series.get(`${name}${labels}`),
    has: (name) => sums.has(name),
  };
}
