// The Grafana dashboard and the Prometheus alert rules may only name metrics the capturer
// really exports, and must cover what an operator needs to see.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { CaptureTelemetry } from '../../src/capture/capture-telemetry.js';
import { ServerTelemetry } from '../../src/server/server-telemetry.js';
import { CheckpointStore } from '../../src/ship/checkpoint-store.js';
import { ShipTelemetry } from '../../src/ship/ship-telemetry.js';
import { createMetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { silentLogger } from '../../src/utils/logger.js';

const root = new URL('../../', import.meta.url);
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

async function exportedNames(): Promise<{ names: Set<string>; histograms: Set<string> }> {
  // Every component that owns series registers them, as the running capturer does.
  const registry = createMetricsRegistry();
  new CaptureTelemetry(registry, silentLogger());
  new ShipTelemetry(registry, silentLogger());
  new CheckpointStore({ stateDir: '/nonexistent', flushIntervalMs: 1000, logger: silentLogger(), registry });
  new ServerTelemetry(registry);
  const names = new Set<string>();
  const histograms = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') histograms.add(metric.name);
  }
  return { names, histograms };
}

/** Metric names in PromQL text, histogram series suffixes stripped back to the histogram's name. */
function referencedNames(expressions: string[], histograms: Set<string>): Set<string> {
  const found = new Set<string>();
  for (const expr of expressions) {
    for (const [name] of expr.matchAll(/log_capturer_[a-z0-9_]+/g)) {
      const suffix = HISTOGRAM_SUFFIXES.find((s) => name.endsWith(s) && histograms.has(name.slice(0, -s.length)));
      found.add(suffix ? name.slice(0, -suffix.length) : name);
    }
  }
  return found;
}

function collectExpressions(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) collectExpressions(item, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if ((key === 'expr' || key === 'query' || key === 'definition') && typeof item === 'string') into.push(item);
      else collectExpressions(item, into);
    }
  }
  return into;
}

function balanced(expr: string): boolean {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  for (const ch of expr.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
    if (ch === '(' || ch === '[' || ch === '{') stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) return false;
  }
  return stack.length === 0;
}

interface AlertRule { alert?: unknown; expr?: unknown; labels?: { severity?: unknown }; annotations?: { summary?: unknown } }

function alertRules(): AlertRule[] {
  const doc = parseYaml(readFileSync(new URL('ops/prometheus-alerts.yml', root), 'utf8')) as { groups?: { name?: unknown; rules?: AlertRule[] }[] };
  assert.ok(Array.isArray(doc.groups) && doc.groups.length > 0, 'alert file has groups');
  return doc.groups.flatMap((group) => {
    assert.equal(typeof group.name, 'string');
    assert.ok(Array.isArray(group.rules));
    return group.rules;
  });
}

const dashboard = JSON.parse(readFileSync(new URL('ops/grafana-dashboard.json', root), 'utf8')) as { panels?: { type?: string; title?: string; targets?: { expr?: string }[] }[] };

void describe('ops/grafana-dashboard.json and ops/prometheus-alerts.yml', () => {
  let names = new Set<string>();
  let histograms = new Set<string>();
  before(async () => {
    ({ names, histograms } = await exportedNames());
  });

  void it('the metrics registry exports the names this test relies on', () => {
    assert.ok(names.has('log_capturer_container_streams_active'));
    assert.ok(histograms.has('log_capturer_request_duration_seconds'));
    assert.ok(names.has('log_capturer_process_open_fds'), 'default process metrics are prefixed');
  });

  void it('the dashboard only names exported metrics', () => {
    const used = referencedNames(collectExpressions(dashboard), histograms);
    const unknown = [...used].filter((name) => !names.has(name));
    assert.deepEqual(unknown, []);
  });

  void it('the dashboard has a panel for each thing an operator watches', () => {
    const panels = (dashboard.panels ?? []).filter((panel) => panel.type !== 'row');
    const perPanel = panels.map((panel) => referencedNames(collectExpressions(panel.targets ?? []), histograms));
    const required = [
      'log_capturer_container_streams_active', 'log_capturer_container_stream_rotations_total', 'log_capturer_lines_read_total',
      'log_capturer_send_errors_total', 'log_capturer_retries_total', 'log_capturer_dead_letter_events_total',
      'log_capturer_buffer_bytes', 'log_capturer_streams_paused', 'log_capturer_container_lag_seconds',
      'log_capturer_request_duration_seconds', 'log_capturer_events_sent_total', 'log_capturer_component_health',
    ];
    for (const name of required) assert.ok(perPanel.some((set) => set.has(name)), `no panel shows ${name}`);
    for (const panel of panels) {
      assert.ok((panel.targets ?? []).length > 0, `panel ${panel.title ?? '?'} has no query`);
      for (const target of panel.targets ?? []) assert.ok(balanced(target.expr ?? ''), `unbalanced query in ${panel.title ?? '?'}`);
    }
  });

  void it('the alert rules only name exported metrics and cover the required alerts', () => {
    const rules = alertRules();
    const expressions = rules.map((rule) => {
      assert.equal(typeof rule.alert, 'string');
      assert.equal(typeof rule.expr, 'string', `${String(rule.alert)} has an expr`);
      assert.ok(balanced(rule.expr as string), `${String(rule.alert)}: unbalanced expression`);
      assert.equal(typeof rule.labels?.severity, 'string', `${String(rule.alert)} has a severity`);
      assert.equal(typeof rule.annotations?.summary, 'string', `${String(rule.alert)} has a summary`);
      return rule.expr as string;
    });
    const unknown = [...referencedNames(expressions, histograms)].filter((name) => !names.has(name));
    assert.deepEqual(unknown, []);

    const byName = new Map(rules.map((rule) => [rule.alert as string, rule.expr as string]));
    assert.match(byName.get('LogCapturerDown') ?? '', /\bup\b/);
    assert.match(byName.get('LogCapturerContainerLagHigh') ?? '', /log_capturer_container_lag_seconds/);
    assert.match(byName.get('LogCapturerDeadLetters') ?? '', /log_capturer_dead_letter_events_total/);
    assert.match(byName.get('LogCapturerStreamFlapping') ?? '', /log_capturer_container_stream_rotations_total/);
    assert.match(byName.get('LogCapturerUnreadableContainers') ?? '', /log_capturer_unreadable_containers_total/);
  });

  void it('the name check itself catches a metric that is not exported', () => {
    const used = referencedNames(['rate(log_capturer_no_such_thing_total[5m])', 'log_capturer_request_duration_seconds_bucket'], histograms);
    assert.deepEqual([...used].filter((name) => !names.has(name)), ['log_capturer_no_such_thing_total']);
  });
});
