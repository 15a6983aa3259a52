// Frames of `log-capturer top` rendered from /status + /metrics answers recorded from a live
// capturer (record-fixtures.ts), compared as text: fixed width, and the clock is the samples' own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frameLines, frameText } from '../../../src/cli/top/frame-lines.js';
import type { FrameOptions } from '../../../src/cli/top/frame-lines.js';
import { renderFrame } from '../../../src/cli/top/top-frame.js';
import { TopSession } from '../../../src/cli/top/top-view.js';
import type { TopView } from '../../../src/cli/top/top-view.js';
import { scenarioSamples } from './top-fixtures.js';
import type { Scenario } from './top-fixtures.js';

function viewOf(scenario: Scenario): TopView {
  const session = new TopSession('http://127.0.0.1:8001');
  const [first, second] = scenarioSamples(scenario);
  session.update(first);
  return session.update(second);
}

function frame(view: TopView, options: FrameOptions): string {
  return renderFrame(frameLines(view, options), { width: options.width, color: false });
}

const BUSY = `
log-capturer 0.1.0  up 19s  http://127.0.0.1:8001                                              READY
docker     unix:///tmp/lc-dockerd-top/docker.sock  ok
receiver   vector http://127.0.0.1:39619/  ok · last accepted 161ms ago
in         16,969 lines/s · 1.62 MiB/s   acknowledged 7,874 lines/s · 3.43 MiB/s
buffer     █████░░░░░░░░░░░░░░░  24%  15.3 MiB of 64.0 MiB · 35,165 events · 1 request in flight
streams    ████████████████████ 4 of 4 slots (max_streams): 3 following, 1 polling · 6 waiting · sh…
containers 7: 5 waiting · 1 stopped · 1 unreadable

NAME            STATE        LINES/S      LAG  LAG TREND   CATCH-UP      LAST ERROR
billing-import  waiting       17,213      37s  ██          2% ~37s
api             waiting            0       0s  ▁▁
cache-warmer    waiting            0       0s  ▁▁
cron            waiting            0       0s  ▁▁
migrate-db      stopped            0       0s  ▁▁
web-frontend    waiting            0       0s  ▁▁
legacy-syslog   unreadable         0        -                            read the logs…pport reading
sorted by lag, slowest first
`.slice(1, -1);

const RECEIVER_DOWN = `
log-capturer 0.1.0  up 55s  http://127.0.0.1:8001                                    NOT READY: sink
docker     unix:///tmp/lc-dockerd-top/docker.sock  ok
receiver   vector http://127.0.0.1:39619/  DOWN, retrying · last accepted 36s ago · connection erro…
in         70 lines/s · 212 KiB/s        acknowledged 0 lines/s · 0 B/s
buffer     ███████████████░░░░░  76%  48.9 MiB of 64.0 MiB · 112,369 events · 3 requests in flight
streams    ███████████████░░░░░ 3 of 4 slots (max_streams): 3 following, 0 polling · 1 waiting · sh…
containers 7: 3 streaming · 2 waiting · 1 stopped · 1 unreadable

NAME            STATE        LINES/S      LAG  LAG TREND   LAST ERROR
billing-import  waiting          4.8    1m13s  ██
web-frontend    streaming         47      43s  ██
cron            streaming          0      42s  ██
api             streaming         17      39s  ██
cache-warmer    waiting            0       0s  ▁▁
migrate-db      stopped            0       0s  ▁▁
legacy-syslog   unreadable         0        -              read the logs of con… not support reading
sorted by lag, slowest first
`.slice(1, -1);

const BUSY_NARROW_BY_NAME = `
log-capturer 0.1.0  up 19s  http://127.0.0.1:8001                  READY
docker     unix:///tmp/lc-dockerd-top/docker.sock  ok
receiver   vector http://127.0.0.1:39619/  ok · last accepted 161ms ago
in         16,969 lines/s · 1.62 MiB/s   acknowledged 7,874 lines/s · 3…
buffer     ██░░░░░░░░  24%  15.3 MiB of 64.0 MiB · 35,165 events · 1 re…
streams    ██████████ 4 of 4 slots (max_streams): 3 following, 1 polling
containers 7: 5 waiting · 1 stopped · 1 unreadable

NAME           STATE        LINES/S      LAG  LAG TREND   CATCH-UP
api            waiting            0       0s  ▁▁
billing-impo…  waiting       17,213      37s  ██          2% ~37s
cache-warmer   waiting            0       0s  ▁▁
cron           waiting            0       0s  ▁▁
legacy-syslog  unreadable         0        -
migrate-db     stopped            0       0s  ▁▁
web-frontend   waiting            0       0s  ▁▁
sorted by name
`.slice(1, -1);

void describe('top frames from recorded samples', () => {
  void it('a backlog being caught up behind a slow receiver, a waiting, a stopped and an unreadable container (100 columns)', () => {
    assert.equal(frame(viewOf('busy'), { width: 100, order: { key: 'lag', reversed: false } }), BUSY);
  });

  void it('the receiver down for 35 s: not ready, retrying, nothing acknowledged, every live container behind', () => {
    assert.equal(frame(viewOf('receiver-down'), { width: 100, order: { key: 'lag', reversed: false } }), RECEIVER_DOWN);
  });

  void it('72 columns, sorted by name: names keep their column, the error column gives way', () => {
    const text = frame(viewOf('busy'), { width: 72, order: { key: 'name', reversed: false } });
    assert.equal(text, BUSY_NARROW_BY_NAME);
    for (const line of text.split('\n')) assert.ok(line.length <= 72, `${line.length} columns: ${line}`);
  });

  void it('the Ink frame is exactly the laid-out text (Ink paints, it does not re-wrap)', () => {
    for (const scenario of ['busy', 'receiver-down'] as const) {
      for (const width of [60, 80, 100, 160]) {
        const lines = frameLines(viewOf(scenario), { width, order: { key: 'rate', reversed: true } });
        assert.equal(renderFrame(lines, { width, color: false }), frameText(lines), `${scenario} at ${width}`);
      }
    }
  });

  void it('a short terminal shows the slowest rows that fit and says how many more there are', () => {
    const text = frame(viewOf('busy'), { width: 100, height: 14, order: { key: 'lag', reversed: false } });
    const lines = text.split('\n');
    assert.ok(lines.length <= 14, `${lines.length} lines`);
    assert.match(text, /^NAME .*\nbilling-import /m, 'the slowest row first');
    assert.match(text, /^… 5 more containers \(make the terminal taller to see them\)$/m);
    assert.doesNotMatch(text, /legacy-syslog/);
  });

  void it('a failed sample is said above the table; the last data stays', () => {
    const session = new TopSession('http://127.0.0.1:8001');
    const [first, second] = scenarioSamples('busy');
    session.update(first);
    session.update(second);
    const view = session.failed('cannot reach the capturer at http://127.0.0.1:8001: connection refused.', second.at + 4000);
    assert.ok(view !== undefined);
    const text = frame(view, { width: 160, order: { key: 'lag', reversed: false } });
    assert.match(text, /^! showing the sample from 4\.0s ago, trying again: cannot reach the capturer at http:\/\/127\.0\.0\.1:8001: connection refused\.$/m);
    assert.match(text, /^billing-import /m);
  });
});
