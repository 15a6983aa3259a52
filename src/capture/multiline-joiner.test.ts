import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import type { ContainerInfo } from '../docker/container-info.js';
import type { LogStreamName } from '../docker/log-line.js';
import type { CapturedLine } from './captured-line.js';
import type { MultilineEnd } from './capture-telemetry.js';
import { MultilineJoiner } from './multiline-joiner.js';
import type { MultilineMode, MultilineRule } from './multiline-rule.js';

const CONTAINER: ContainerInfo = { id: 'c'.repeat(64), name: 'app', image: 'img', labels: {}, createdAt: '2026-11-29T00:00:00.000000000Z', tty: false, logDriver: 'json-file', logOptions: {}, running: true };
const JAVA = rule('^[^\\s]', '^\\s', 'continue_through');

function rule(start: string, condition: string, mode: MultilineMode, timeoutMs = 1000): MultilineRule {
  return { startPattern: new RegExp(start), conditionPattern: new RegExp(condition), mode, timeoutMs };
}

/** Line i of a test has the position {sinceMs: i + 1}: "reopen here and line i + 1 comes next". */
function line(i: number, stream: LogStreamName, text: string): CapturedLine {
  const ms = String(i).padStart(3, '0');
  return { container: CONTAINER, line: { timestamp: `2026-11-29T00:00:00.${ms}000000Z`, stream, message: Buffer.from(text), truncated: false, chunks: 1 }, position: { sinceMs: i + 1, skip: 0 }, ordinal: 0 };
}

interface Shipped {
  stream: LogStreamName;
  text: string;
  /** Index of the line the checkpoint would resume at after this record (its position). */
  resumeAt: number;
  lines: number;
  cut: boolean;
}

function joiner(r: MultilineRule, startAt = 0, limits = { maxLines: 1000, maxBytes: 1 << 20 }) {
  const shipped: Shipped[] = [];
  const ends: MultilineEnd[] = [];
  let full = false;
  let backpressure = 0;
  const j = new MultilineJoiner({
    rule: r,
    limits,
    consumer: {
      accept: (c) => {
        shipped.push({ stream: c.line.stream, text: c.line.message.toString('utf8'), resumeAt: c.position.sinceMs, lines: c.multiline?.lines ?? 1, cut: c.multiline?.cut === true });
        return !full;
      },
    },
    start: { sinceMs: startAt, skip: 0 },
    onBackpressure: () => { backpressure += 1; },
    telemetry: { multilineRecord: (end) => ends.push(end) },
  });
  return { j, shipped, ends, setFull: (value: boolean) => { full = value; }, backpressure: () => backpressure };
}

void describe('MultilineJoiner: records and positions', () => {
  void it('joins per stream: a trace on stdout and one on stderr, interleaved, become two records', () => {
    const { j, shipped } = joiner(JAVA);
    const lines: Array<[LogStreamName, string]> = [
      ['stdout', 'java.lang.RuntimeException: out'], ['stderr', 'Traceback (most recent call last):'],
      ['stdout', '\tat A.a(A.java:1)'], ['stderr', '  File "x.py", line 1'], ['stdout', '\tat B.b(B.java:2)'],
      ['stderr', 'ValueError: err'], ['stdout', 'done'],
    ];
    lines.forEach(([stream, text], i) => j.accept(line(i, stream, text)));
    j.flush();
    assert.deepEqual(shipped.map((s) => [s.stream, s.text, s.lines]), [
      ['stderr', 'Traceback (most recent call last):\n  File "x.py", line 1', 2],
      ['stdout', 'java.lang.RuntimeException: out\n\tat A.a(A.java:1)\n\tat B.b(B.java:2)', 3],
      ['stdout', 'done', 1],
      ['stderr', 'ValueError: err', 1],
    ]);
  });

  void it("a record's position never passes the first line of an open group", () => {
    const { j, shipped } = joiner(JAVA);
    j.accept(line(0, 'stdout', 'first'));         // opens a group (it may get continuations)
    j.accept(line(1, 'stdout', ' cont'));
    assert.equal(shipped.length, 0, 'nothing shipped while the group is open');
    j.accept(line(2, 'stderr', ' stray'));        // a single line on stderr, while stdout's group is open
    assert.deepEqual(shipped.at(-1), { stream: 'stderr', text: ' stray', resumeAt: 0, lines: 1, cut: false }, 'held back to the open group\'s first line');
    j.accept(line(3, 'stdout', 'next'));          // ends the group; opens another at line 3
    assert.deepEqual(shipped.at(-1), { stream: 'stdout', text: 'first\n cont', resumeAt: 3, lines: 2, cut: false }, 'the group: after its last line, once emitted');
    j.flush();
    assert.deepEqual(shipped.at(-1), { stream: 'stdout', text: 'next', resumeAt: 4, lines: 1, cut: false });
  });

  void it('a complete group of the other stream that straddles the open group\'s start holds the position back to its own start', () => {
    const { j, shipped } = joiner(JAVA);
    j.accept(line(0, 'stderr', 'err head'));      // stderr group opens at 0
    j.accept(line(1, 'stdout', 'out head'));      // stdout group opens at 1
    j.accept(line(2, 'stderr', ' err cont'));     // stderr group now spans line 1
    j.accept(line(3, 'stderr', 'err next'));      // completes stderr's group [0, 2]
    // Reopening at line 1 would split stderr's group: its record must resume at 0.
    assert.deepEqual(shipped.at(-1), { stream: 'stderr', text: 'err head\n err cont', resumeAt: 0, lines: 2, cut: false });
    j.accept(line(4, 'stdout', 'out next'));      // completes stdout's [1]; stderr's group from 3 is open
    assert.equal(shipped.at(-1)?.resumeAt, 3, 'no group straddles line 3 any more');
  });

  void it('a group cut at the limits holds the position at its first part until it ends', () => {
    const { j, shipped } = joiner(JAVA, 0, { maxLines: 2, maxBytes: 1 << 20 });
    ['head', ' 1', ' 2', ' 3', 'next'].forEach((text, i) => j.accept(line(i, 'stdout', text)));
    assert.deepEqual(shipped, [
      { stream: 'stdout', text: 'head\n 1', resumeAt: 0, lines: 2, cut: true },
      { stream: 'stdout', text: ' 2\n 3', resumeAt: 4, lines: 2, cut: true },
    ]);
  });

  void it('after a kill at any record, reading again from its position ships only whole records of the same grouping', () => {
    // Java, Python and Go traces and plain lines on both streams, interleaved by a fixed shuffle.
    const out = ['start A', 'java.lang.Error: x', '\tat A(A.java:1)', '\tat B(B.java:2)', 'Caused by: y', '\t... 3 more', 'plain', 'panic: z', '', 'goroutine 1 [running]:', 'main.f()', '\t/m.go:1', 'end A'];
    const err = ['Traceback (most recent call last):', '  File "a.py", line 1, in <module>', '    f()', 'KeyError: k', 'warn', 'Exception: e', '  at C', 'bye'];
    const r = rule('^[^\\s]', '^(\\s|Caused by:|goroutine |$|main\\.)', 'continue_through');
    let seed = 7;
    const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    for (let round = 0; round < 30; round += 1) {
      const order: Array<[LogStreamName, string]> = [];
      let a = 0;
      let b = 0;
      while (a < out.length || b < err.length) {
        if (b >= err.length || (a < out.length && random() < 0.5)) order.push(['stdout', out[a++] as string]);
        else order.push(['stderr', err[b++] as string]);
      }
      const run = (from: number) => {
        const { j, shipped } = joiner(r, from);
        const after: number[] = []; // records shipped after line i
        order.forEach(([stream, text], i) => {
          if (i >= from) j.accept(line(i, stream, text));
          after.push(shipped.length);
        });
        j.flush();
        return { shipped, after };
      };
      const whole = run(0);
      const key = (s: Shipped): string => `${s.stream}|${s.text}`;
      const wholeKeys = new Set(whole.shipped.map(key));
      for (let k = 0; k < whole.shipped.length; k += 1) {
        const killedAfter = whole.shipped.slice(0, k + 1);
        const again = run(killedAfter.at(-1)?.resumeAt ?? 0);
        for (const s of again.shipped) assert.ok(wholeKeys.has(key(s)), `round ${round}, kill after record ${k}: a fragment ${JSON.stringify(s.text)}`);
        const union = new Set([...killedAfter.map(key), ...again.shipped.map(key)]);
        assert.deepEqual([...wholeKeys].filter((x) => !union.has(x)), [], `round ${round}, kill after record ${k}: a record lost`);
      }
    }
  });
});

void describe('MultilineJoiner: timeout', () => {
  void it('an open group is emitted after the timeout without a new line, and the timer is released', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const { j, shipped, ends } = joiner(rule('^[^\\s]', '^\\s', 'continue_through', 500));
    j.accept(line(0, 'stdout', 'head'));
    t.mock.timers.tick(400);
    j.accept(line(1, 'stdout', ' cont'));         // the timeout counts from the group's latest line
    t.mock.timers.tick(400);
    assert.equal(shipped.length, 0);
    t.mock.timers.tick(100);
    assert.deepEqual(shipped, [{ stream: 'stdout', text: 'head\n cont', resumeAt: 2, lines: 2, cut: false }]);
    assert.deepEqual(ends, ['timeout']);
    j.close();
  });

  void it('suspended (the task reopens its stream, or waits for room), the clock stops; resumed, the group gets a full timeout', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const { j, shipped } = joiner(rule('^[^\\s]', '^\\s', 'continue_through', 500));
    j.accept(line(0, 'stderr', 'head'));
    t.mock.timers.tick(300);
    j.suspend();
    t.mock.timers.tick(10_000);
    assert.equal(shipped.length, 0, 'nothing while suspended');
    j.resume();
    t.mock.timers.tick(499);
    assert.equal(shipped.length, 0);
    t.mock.timers.tick(1);
    assert.equal(shipped.length, 1);
    j.close();
  });

  void it('a timeout emit that finds the consumer full asks for backpressure', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const h = joiner(rule('^[^\\s]', '^\\s', 'continue_through', 100));
    h.j.accept(line(0, 'stdout', 'head'));
    h.setFull(true);
    t.mock.timers.tick(100);
    assert.equal(h.shipped.length, 1);
    assert.equal(h.backpressure(), 1);
    h.j.close();
  });

  void it('close() releases the timer: an open group is then never emitted by it', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const { j, shipped } = joiner(rule('^[^\\s]', '^\\s', 'continue_through', 100));
    j.accept(line(0, 'stdout', 'head'));
    j.close();
    t.mock.timers.tick(10_000);
    assert.equal(shipped.length, 0);
    assert.equal(j.pendingLines, 1);
  });

  void it('flush() emits every open group, the last resuming after the last line, and leaves no timer behind', () => {
    const clearSpy = mock.method(globalThis, 'clearTimeout');
    const { j, shipped, ends } = joiner(JAVA);
    j.accept(line(0, 'stdout', 'out'));
    j.accept(line(1, 'stderr', 'err'));
    j.accept(line(2, 'stderr', ' err cont'));
    j.flush();
    // stderr's group is still open while stdout's record is emitted: that record may not pass it.
    assert.deepEqual(shipped.map((s) => [s.text, s.resumeAt]), [['out', 1], ['err\n err cont', 3]]);
    assert.deepEqual(ends, ['flush', 'flush']);
    assert.equal(clearSpy.mock.callCount(), 1, 'flush cleared the armed timer');
    clearSpy.mock.restore();
    j.close();
  });
});
