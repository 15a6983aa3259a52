// capture.multiline: patterns checked when the configuration loads, the rule's keys together.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, formatProblem } from './config-errors.js';
import { MULTILINE_OFF } from '../capture/multiline-rule.js';
import { loadConfig } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'lc-multiline-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, yaml: string): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

async function problemsOf(path: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadConfig({ file: path, env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems.map(formatProblem);
  }
  assert.fail('the configuration loaded');
}

void describe('capture.multiline', () => {
  void it('is off by default, with the default limits', async () => {
    const config = await loadConfig({ env: {} });
    assert.deepEqual(config.capture.multiline, { timeoutMs: 1000, maxLines: 500, maxBytes: 1024 * 1024 });
    assert.deepEqual(config.capture.multiline, MULTILINE_OFF, 'what tests and defaults use as "off"');
  });

  void it('resolves a whole rule, durations and sizes', async () => {
    const path = file('ok.yaml', "capture:\n  multiline:\n    start_pattern: '^[^\\s]'\n    condition_pattern: '^[\\s]+'\n    mode: continue_through\n    timeout: 250ms\n    max_lines: 50\n    max_bytes: 64KiB\n");
    const config = await loadConfig({ file: path, env: {} });
    assert.deepEqual(config.capture.multiline, { startPattern: '^[^\\s]', conditionPattern: '^[\\s]+', mode: 'continue_through', timeoutMs: 250, maxLines: 50, maxBytes: 65536 });
  });

  void it('a bad regular expression is a configuration error naming the key, from the file or the environment', async () => {
    const path = file('bad.yaml', "capture:\n  multiline:\n    start_pattern: '^(at'\n    condition_pattern: '^\\s'\n    mode: continue_through\n");
    const problems = await problemsOf(path);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.ok(problems[0]?.startsWith(`${path}: capture.multiline.start_pattern: expected a regular expression such as ^[^\\s], got "^(at" (not a valid regular expression: Unterminated group)`), problems[0]);
    const fromEnv = await problemsOf(file('env.yaml', "capture:\n  multiline:\n    start_pattern: 'x'\n    condition_pattern: 'y'\n    mode: halt_with\n"), { LOG_CAPTURER_CAPTURE_MULTILINE_CONDITION_PATTERN: '[z' });
    assert.equal(fromEnv.length, 1, fromEnv.join('\n'));
    assert.match(fromEnv[0] ?? '', /^environment variable LOG_CAPTURER_CAPTURE_MULTILINE_CONDITION_PATTERN: capture\.multiline\.condition_pattern: expected a regular expression/);
  });

  void it('a rule half written names the missing keys; a wrong mode suggests the right one', async () => {
    const path = file('half.yaml', "capture:\n  multiline:\n    start_pattern: '^\\S'\n");
    const problems = await problemsOf(path);
    assert.deepEqual(problems.map((p) => p.replace(/ \(.*$/, '')), [
      `${path}: capture.multiline.condition_pattern: expected a value, since capture.multiline.start_pattern is set, got nothing`,
      `${path}: capture.multiline.mode: expected a value, since capture.multiline.start_pattern is set, got nothing`,
    ]);
    const mode = await problemsOf(file('mode.yaml', "capture:\n  multiline:\n    start_pattern: a\n    condition_pattern: b\n    mode: halt_befor\n"));
    assert.equal(mode.length, 1, mode.join('\n'));
    assert.match(mode[0] ?? '', /capture\.multiline\.mode: expected one of continue_through, continue_past, halt_before, halt_with, got "halt_befor" \(did you mean halt_before\?\)/);
  });
});
