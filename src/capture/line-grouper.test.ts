import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineGrouper } from './line-grouper.js';
import type { GroupLimits } from './line-grouper.js';
import type { MultilineMode, MultilineRule } from './multiline-rule.js';

const NO_LIMITS: GroupLimits = { maxLines: 1000, maxBytes: 1 << 20 };

function rule(start: string, condition: string, mode: MultilineMode): MultilineRule {
  return { startPattern: new RegExp(start), conditionPattern: new RegExp(condition), mode, timeoutMs: 1000 };
}

/**
 * Feeds lines in order and returns the records as Vector's line_agg would emit them: each as its
 * lines joined by `\n`, suffixed ` [cut]` when it is a part cut at the limits; `flush` ends the
 * open group at the end (a timeout).
 */
function records(r: MultilineRule, lines: readonly string[], limits = NO_LIMITS): string[] {
  const grouper = new LineGrouper<string, number>(r, limits);
  const out: string[] = [];
  const show = (items: string[], cut: boolean): string => items.join('\n') + (cut ? ' [cut]' : '');
  lines.forEach((line, i) => {
    const step = grouper.offer(line, line, Buffer.byteLength(line), i);
    for (const { group, end } of step.ended) out.push(show(group.items, end === 'limit' || group.continued));
    if (step.line === 'single') out.push(line);
  });
  const rest = grouper.flush();
  if (rest !== undefined) out.push(show(rest.items, rest.continued));
  return out;
}

void describe('LineGrouper: the four modes, as Vector decides them', () => {
  void it('continue_through: lines matching the condition join; the first other line is looked at anew', () => {
    const r = rule('^[^\\s]', '^\\s', 'continue_through');
    assert.deepEqual(records(r, [
      'plain one',
      'Exception in thread "main" java.lang.IllegalStateException: boom',
      '\tat com.example.App.run(App.java:10)',
      '\tat com.example.App.main(App.java:3)',
      'plain two',
      '  orphan continuation after a complete group? no: it joins "plain two"',
      'last one',
    ]), [
      'plain one',
      'Exception in thread "main" java.lang.IllegalStateException: boom\n\tat com.example.App.run(App.java:10)\n\tat com.example.App.main(App.java:3)',
      'plain two\n  orphan continuation after a complete group? no: it joins "plain two"',
      'last one',
    ]);
  });

  void it('continue_through: a line outside a group that does not match start_pattern is a record of its own', () => {
    const r = rule('^\\s', '^\\s', 'continue_through');
    assert.deepEqual(records(r, ['a', ' b1', ' b2', 'c', 'd', ' e1', 'f']), ['a', ' b1\n b2', 'c', 'd', ' e1', 'f']);
  });

  void it('continue_past: matching lines join, and the first line that does not match joins too and ends the group', () => {
    const r = rule('\\\\$', '\\\\$', 'continue_past');
    assert.deepEqual(records(r, ['alone', 'ls \\', '  -l \\', '  /tmp', 'next', 'open \\', 'closed by flush \\']), [
      'alone',
      'ls \\\n  -l \\\n  /tmp',
      'next',
      'open \\\nclosed by flush \\',
    ]);
  });

  void it('halt_before: lines not matching the condition join; a matching line ends the group and opens the next', () => {
    const r = rule('', '^\\d{4}-\\d\\d-\\d\\d ', 'halt_before');
    assert.deepEqual(records(r, [
      'banner line before any stamp',
      '2026-11-29 10:00:00 INFO start',
      '2026-11-29 10:00:01 ERROR failed',
      'Traceback (most recent call last):',
      '  File "app.py", line 3, in <module>',
      'ZeroDivisionError: division by zero',
      '2026-11-29 10:00:02 INFO end',
    ]), [
      'banner line before any stamp',
      '2026-11-29 10:00:00 INFO start',
      '2026-11-29 10:00:01 ERROR failed\nTraceback (most recent call last):\n  File "app.py", line 3, in <module>\nZeroDivisionError: division by zero',
      '2026-11-29 10:00:02 INFO end',
    ]);
  });

  void it('halt_with: lines not matching join; the matching line joins and ends the group', () => {
    const r = rule('[^;]$', ';$', 'halt_with');
    assert.deepEqual(records(r, ['one;', 'SELECT *', 'FROM t', 'WHERE x;', 'two;', 'dangling', 'to the end']), [
      'one;',
      'SELECT *\nFROM t\nWHERE x;',
      'two;',
      'dangling\nto the end',
    ]);
  });

  void it('a Go panic with continue_through and an indentation or goroutine condition', () => {
    const r = rule('^[^\\s]', '^(\\s|goroutine |$|main\\.|exit status)', 'continue_through');
    assert.deepEqual(records(r, [
      'panic: runtime error: index out of range [5] with length 3',
      '',
      'goroutine 1 [running]:',
      'main.main()',
      '\t/app/main.go:8 +0x1d',
      'exit status 2',
      'after',
    ]), [
      'panic: runtime error: index out of range [5] with length 3\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:8 +0x1d\nexit status 2',
      'after',
    ]);
  });
});

void describe('LineGrouper: limits', () => {
  const r = rule('^[^\\s]', '^\\s', 'continue_through');

  void it('a group reaching max_lines is cut, each part marked, and it goes on with its own condition', () => {
    const lines = ['head', ' 1', ' 2', ' 3', ' 4', 'next'];
    assert.deepEqual(records(r, lines, { maxLines: 2, maxBytes: 1 << 20 }), ['head\n 1 [cut]', ' 2\n 3 [cut]', ' 4 [cut]', 'next']);
  });

  void it('a group passing max_bytes (lines plus their \\n) is cut before the line that would pass it', () => {
    // 'head' (4) + '\n 1' (3) = 7 bytes; + '\n 2' would be 10 > 9.
    assert.deepEqual(records(r, ['head', ' 1', ' 2', 'x'], { maxLines: 100, maxBytes: 9 }), ['head\n 1 [cut]', ' 2 [cut]', 'x']);
    // Exactly at the limit still joins.
    assert.deepEqual(records(r, ['head', ' 1', ' 2', 'x'], { maxLines: 100, maxBytes: 10 }), ['head\n 1\n 2', 'x']);
  });

  void it('a single line longer than max_bytes is a record of its own', () => {
    assert.deepEqual(records(r, ['a'.repeat(50), ' b', 'c'], { maxLines: 100, maxBytes: 10 }), [`${'a'.repeat(50)} [cut]`, ' b [cut]', 'c']);
  });

  void it('halt_with: a cut just before the ending line leaves that line as the last part', () => {
    const hw = rule('[^;]$', ';$', 'halt_with');
    assert.deepEqual(records(hw, ['a', 'b', 'c;', 'd;'], { maxLines: 2, maxBytes: 1 << 20 }), ['a\nb [cut]', 'c; [cut]', 'd;']);
  });

  void it('a cut group keeps the origin of its first part', () => {
    const grouper = new LineGrouper<string, number>(r, { maxLines: 1, maxBytes: 1 << 20 });
    grouper.offer('head', 'head', 4, 7);
    const step = grouper.offer(' 1', ' 1', 2, 8);
    assert.equal(step.ended[0]?.group.origin, 7);
    assert.equal(grouper.open?.origin, 7);
    assert.equal(grouper.open?.continued, true);
  });
});
