// ops/prometheus-alerts.yml is checked and unit-tested by Prometheus's own promtool (Debian
// package `prometheus`; .ci/run installs it): `promtool check rules` and `promtool test rules`
// over ops/prometheus-alerts.test.yml, whose cases say when each tested alert fires and when not.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';

const run = promisify(execFile);
const OPS = new URL('../../ops/', import.meta.url).pathname;

/** promtool, or undefined (skipped off CI; under CI=true a missing promtool fails the test). */
async function requirePromtool(t: TestContext): Promise<string | undefined> {
  try {
    await run('promtool', ['--version']);
    return 'promtool';
  } catch {
    const why = 'promtool is not installed (Debian package: prometheus; .ci/run installs it)';
    if (process.env.CI === 'true') throw new Error(why);
    t.skip(why);
    return undefined;
  }
}

interface RuleTests {
  tests?: Array<{ alert_rule_test?: Array<{ alertname?: string; exp_alerts?: unknown[] }> }>;
}

void describe('Prometheus alert rules (promtool)', () => {
  void it('promtool check rules accepts ops/prometheus-alerts.yml', async (t) => {
    const promtool = await requirePromtool(t);
    if (!promtool) return;
    const { stdout } = await run(promtool, ['check', 'rules', 'prometheus-alerts.yml'], { cwd: OPS });
    assert.match(stdout, /SUCCESS: \d+ rules found/);
  });

  void it('promtool test rules passes ops/prometheus-alerts.test.yml', async (t) => {
    const promtool = await requirePromtool(t);
    if (!promtool) return;
    const result = await run(promtool, ['test', 'rules', 'prometheus-alerts.test.yml'], { cwd: OPS }).catch((error: unknown) => {
      const failed = error as { stdout?: string; stderr?: string };
      throw new Error(`promtool test rules failed:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`, { cause: error });
    });
    assert.match(result.stdout, /SUCCESS/);
  });

  void it('the tests make the silent-container alert fire, and keep it quiet, at least once each', () => {
    const tests = parseYaml(readFileSync(`${OPS}prometheus-alerts.test.yml`, 'utf8')) as RuleTests;
    const cases = (tests.tests ?? []).flatMap((test) => test.alert_rule_test ?? []);
    for (const alert of ['LogCapturerSilentContainers', 'LogCapturerComponentUnhealthy']) {
      const own = cases.filter((c) => c.alertname === alert);
      assert.ok(own.some((c) => (c.exp_alerts ?? []).length > 0), `${alert} is expected to fire in some case`);
      assert.ok(own.some((c) => (c.exp_alerts ?? []).length === 0), `${alert} is expected to stay quiet in some case`);
    }
  });
});
