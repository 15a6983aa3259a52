import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MULTILINE_OFF, checkPattern, containerRule, configuredRule } from './multiline-rule.js';
import type { MultilineSettings } from './multiline-rule.js';

const CONFIGURED: MultilineSettings = { ...MULTILINE_OFF, startPattern: '^[^\\s]', conditionPattern: '^\\s', mode: 'continue_through', timeoutMs: 750 };
const L = 'log-capturer.multiline.';

void describe('multiline rules', () => {
  void it('checkPattern accepts JavaScript regular expressions (the empty one too) and names what is wrong', () => {
    assert.equal(checkPattern('^\\s+at ').ok, true);
    assert.equal(checkPattern('').ok, true);
    const bad = checkPattern('^(unclosed');
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.reason, /^not a valid regular expression: Unterminated group$/);
  });

  void it('no rule configured and no label: no grouping', () => {
    assert.deepEqual(containerRule({ other: 'x' }, MULTILINE_OFF), { rule: undefined, problems: [] });
  });

  void it('the configured rule applies to a container without labels', () => {
    const { rule, problems } = containerRule({}, CONFIGURED);
    assert.deepEqual(problems, []);
    assert.equal(rule?.mode, 'continue_through');
    assert.equal(rule?.startPattern.source, '^[^\\s]');
    assert.equal(rule?.timeoutMs, 750);
    assert.deepEqual(configuredRule(MULTILINE_OFF), undefined);
  });

  void it('labels make a whole rule where none is configured, with the configured timeout unless they set one', () => {
    const { rule, problems } = containerRule({ [`${L}start_pattern`]: '^\\d{4}-', [`${L}condition_pattern`]: '^\\d{4}-', [`${L}mode`]: 'halt_before' }, MULTILINE_OFF);
    assert.deepEqual(problems, []);
    assert.equal(rule?.mode, 'halt_before');
    assert.equal(rule?.timeoutMs, MULTILINE_OFF.timeoutMs);
    const timed = containerRule({ [`${L}start_pattern`]: 'a', [`${L}condition_pattern`]: 'b', [`${L}mode`]: 'halt_with', [`${L}timeout`]: '250ms' }, MULTILINE_OFF);
    assert.equal(timed.rule?.timeoutMs, 250);
  });

  void it('labels override the configured rule key by key', () => {
    const { rule, problems } = containerRule({ [`${L}mode`]: 'continue_past', [`${L}condition_pattern`]: '\\\\$' }, CONFIGURED);
    assert.deepEqual(problems, []);
    assert.equal(rule?.mode, 'continue_past');
    assert.equal(rule?.conditionPattern.source, '\\\\$');
    assert.equal(rule?.startPattern.source, '^[^\\s]', 'from the configuration');
  });

  void it('invalid labels are ignored as a whole, each problem named; the configured rule (or none) applies', () => {
    const labels = { [`${L}start_pattern`]: '^(x', [`${L}mode`]: 'contine_through', [`${L}timeout`]: 'soon', [`${L}start_patern`]: 'y' };
    const onConfigured = containerRule(labels, CONFIGURED);
    assert.equal(onConfigured.rule?.startPattern.source, '^[^\\s]', 'the configured rule, untouched');
    assert.equal(onConfigured.rule?.mode, 'continue_through');
    assert.deepEqual(onConfigured.problems.map((p) => p.replace(/:.*/s, '')).sort(), [
      `label ${L}mode`, `label ${L}start_pattern`, `label ${L}start_patern`, `label ${L}timeout`,
    ].sort());
    assert.ok(onConfigured.problems.some((p) => p.includes('not a valid regular expression: Unterminated group')));
    assert.ok(onConfigured.problems.some((p) => p.includes('expected one of continue_through, continue_past, halt_before, halt_with, got "contine_through"')));
    const alone = containerRule({ [`${L}timeout`]: '2h' }, MULTILINE_OFF);
    assert.equal(alone.rule, undefined);
    assert.match(alone.problems.join('\n'), /timeout: expected a duration from 1ms to 1h, got "2h"/);
  });

  void it('labels that leave a rule half written, with nothing configured to complete it, are a problem', () => {
    const { rule, problems } = containerRule({ [`${L}start_pattern`]: '^\\S' }, MULTILINE_OFF);
    assert.equal(rule, undefined);
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /needs log-capturer\.multiline\.condition_pattern, log-capturer\.multiline\.mode too/);
  });
});
