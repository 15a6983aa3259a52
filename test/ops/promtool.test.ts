// The alert rules and /metrics checked by Prometheus's own tool (`promtool`, Debian package
// `prometheus`): the rules load, their unit tests (ops/prometheus-alerts.test.yml) pass, every
// alert has a unit test, and a running capturer's /metrics passes promtool's lint.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { freePort, startCapturerProcess, waitUntilServing, writeConfig } from '../support/capturer-process.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

/** promtool, or a skip (a failure under CI=true: .ci/run installs it). */
async function requirePromtool(t: TestContext): Promise<boolean> {
  try {
    await run('promtool', ['--version']);
    return true;
  } catch {
    const why = 'promtool is not installed (Debian: apt-get install prometheus)';
    if (process.env.CI === 'true') throw new Error(why);
    t.skip(why);
    return false;
  }
}

/** promtool's exit code and output (it exits non-zero on a failed check, which is data here). */
async function promtool(args: string[], input?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { cwd: root });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(input ?? '');
  });
}

interface RulesFile { groups: Array<{ rules: Array<{ alert?: string }> }> }
interface RulesTestFile { rule_files: string[]; tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }> }

const alertNames = (): string[] =>
  (parseYaml(readFileSync(join(root, 'ops/prometheus-alerts.yml'), 'utf8')) as RulesFile).groups.flatMap((g) => g.rules.map((r) => r.alert ?? ''));

/**
 * Lint findings on prom-client's own default Node.js metrics: gauges named `_total` upstream.
 * Kept as they are because the usual Node.js dashboards query those names; our own series
 * must have no finding at all.
 */
const PROM_CLIENT_DEFAULTS = new Set(['log_capturer_nodejs_active_handles_total', 'log_capturer_nodejs_active_requests_total', 'log_capturer_nodejs_active_resources_total']);

void describe('promtool', () => {
  void it('checks ops/prometheus-alerts.yml: every rule loads', async (t) => {
    if (!(await requirePromtool(t))) return;
    const { code, output } = await promtool(['check', 'rules', 'ops/prometheus-alerts.yml']);
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${alertNames().length} rules found`));
  });

  void it('runs the alert unit tests, and every alert has one where it fires', async (t) => {
    if (!(await requirePromtool(t))) return;
    const tests = parseYaml(readFileSync(join(root, 'ops/prometheus-alerts.test.yml'), 'utf8')) as RulesTestFile;
    assert.deepEqual(tests.rule_files, ['prometheus-alerts.yml']);
    const firing = new Set(tests.tests.flatMap((test) => (test.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    assert.deepEqual(alertNames().filter((name) => !firing.has(name)), [], 'alerts without a unit test that makes them fire');
    const { code, output } = await promtool(['test', 'rules', 'ops/prometheus-alerts.test.yml']);
    assert.equal(code, 0, output);
    assert.match(output, /SUCCESS/);
  });

  void it('a broken expectation makes the unit tests fail (the check can fail)', async (t) => {
    if (!(await requirePromtool(t))) return;
    const dir = mkdtempSync(join(tmpdir(), 'lc-promtool-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const text = readFileSync(join(root, 'ops/prometheus-alerts.test.yml'), 'utf8').replace('rule_files:\n  - prometheus-alerts.yml', `rule_files:\n  - ${join(root, 'ops/prometheus-alerts.yml')}`);
    const broken = join(dir, 'broken.test.yml');
    writeFileSync(broken, text.replace('summary: "log-capturer on a is down"', 'summary: "log-capturer on a is up"'));
    const { code, output } = await promtool(['test', 'rules', broken]);
    assert.notEqual(code, 0);
    assert.match(output, /FAILED/);
  });

  void it('lints a running capturer\'s /metrics', async (t) => {
    if (!(await requirePromtool(t))) return;
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-'));
    t.after(() => rmSync(stateDir, { recursive: true, force: true }));
    const port = await freePort();
    // No daemon is needed: every family is registered at start; what lint checks is names, types and help.
    const capturer = startCapturerProcess(['--config', writeConfig({
      docker: { host: 'unix:///nonexistent/docker.sock' },
      checkpoint: { state_dir: stateDir },
      server: { listen: `127.0.0.1:${port}` },
      log: { level: 'fatal' },
    })]);
    t.after(() => capturer.kill('SIGKILL'));
    await waitUntilServing(capturer, `http://127.0.0.1:${port}`);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(text, /^# TYPE log_capturer_lines_read_total counter$/m);
    const { output } = await promtool(['check', 'metrics'], text);
    const findings = output.split('\n').filter((line) => line.trim() !== '');
    const ours = findings.filter((line) => !PROM_CLIENT_DEFAULTS.has(line.split(' ')[0] ?? ''));
    assert.deepEqual(ours, [], 'promtool check metrics findings on our own series');
  });
});
