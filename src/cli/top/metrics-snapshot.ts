// The few series `log-capturer top` needs from GET /metrics (Prometheus text format, as prom-client
// writes it). Like status-snapshot.ts this never trusts its input: an unparsable line is skipped,
// a missing series is `undefined` (shown as `-`).

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricsSnapshot {
  /** log_capturer_lines_read_total, summed over `stream`. */
  linesRead: number | undefined;
  bytesRead: number | undefined;
  /** log_capturer_events_sent_total: records the receiver acknowledged. */
  eventsSent: number | undefined;
  /** log_capturer_component_health: the verdicts /readyz gives, refreshed at every scrape. */
  health: { docker: boolean | undefined; sink: boolean | undefined; checkpoint: boolean | undefined; server: boolean | undefined };
}

// name, optional {labels}, value (timestamps are optional and ignored).
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_match, char: string) => (char === 'n' ? '\n' : char));
}

function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  let at = 0;
  while (at < text.length) {
    LABEL.lastIndex = at;
    const match = LABEL.exec(text);
    if (match === null) return text.slice(at).trim() === '' ? labels : undefined;
    labels[match[1] as string] = unescapeLabel(match[2] as string);
    at = LABEL.lastIndex;
  }
  return labels;
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

/** Every sample line of a Prometheus text exposition; comments and malformed lines are skipped. */
export function parseMetricsText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (match === null) continue;
    const labels = match[2] === undefined ? {} : parseLabels(match[2]);
    const value = parseValue(match[3] as string);
    if (labels === undefined || value === undefined) continue;
    samples.push({ name: match[1] as string, labels, value });
  }
  return samples;
}

function sum(samples: readonly MetricSample[], name: string): number | undefined {
  let total: number | undefined;
  for (const sample of samples) if (sample.name === name && Number.isFinite(sample.value)) total = (total ?? 0) + sample.value;
  return total;
}

function health(samples: readonly MetricSample[], component: string): boolean | undefined {
  const sample = samples.find((s) => s.name === 'log_capturer_component_health' && s.labels.component === component);
  return sample === undefined ? undefined : sample.value === 1;
}

export function readMetrics(text: string): MetricsSnapshot {
  const samples = parseMetricsText(text);
  return {
    linesRead: sum(samples, 'log_capturer_lines_read_total'),
    bytesRead: sum(samples, 'log_capturer_bytes_read_total'),
    eventsSent: sum(samples, 'log_capturer_events_sent_total'),
    health: { docker: health(samples, 'docker'), sink: health(samples, 'sink'), checkpoint: health(samples, 'checkpoint'), server: health(samples, 'server') },
  };
}
