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
log-capturer 0.1.0  up 12s  http://127.0.0.1:8001                                              READY
docker     unix:///tmp/lc-dockerd-top/docker.sock  ok
receiver   vector http://127.0.0.1:40735/  ok · last accepted 45ms ago
in         10,202 lines/s · 1.09 MiB/s   acknowledged 15,553 lines/s · 6.77 MiB/s
buffer     ███████████░░░░░░░░░  54%  34.3 MiB of 64.0 MiB · 78,672 events · 2 requests in flight
streams    ████████████████████ 4 of 4 open (max_streams) · 1 waiting for a slot
containers 7: 4 streaming · 1 waiting · 1 stopped · 1 unreadable

NAME            STATE        LINES/S      LAG  LAG TREND   CATCH-UP      LAST ERROR
billing-import  streaming     10,143      24s  █▇          10% ~8.5s
cron            streaming        1.0     2.1s  ▁▂
api             streaming         58    172ms  ▁▁
cache-warmer    streaming          0       0s  ▁▁
migrate-db      stopped            0       0s  ▁▁
web-frontend    waiting            0       0s  ▁▁
legacy-syslog   unreadable         0        -                            read the logs…pport reading
sorted by lag, slowest first
`.slice(1, -1);

const RECEIVER_DOWN = `
log-capturer 0.1.0  up 48s  http://127.0.0.1:8001                                    NOT READY: sink
docker     unix:///tmp/lc-dockerd-top/docker.sock  ok
receiver   vector http://127.0.0.1:40735/  DOWN, retrying · last accepted 36s ago · connection erro…
in         31 lines/s · 2.24 KiB/s       acknowledged 0 lines/s · 0 B/s
buffer     █████████████░░░░░░░  63%  40.4 MiB of 64.0 MiB · 92,794 events · 3 requests in flight
streams    ████████████████████ 4 of 4 open (max_streams) · 1 waiting for a slot
containers 7: 4 streaming · 1 waiting · 1 stopped · 1 unreadable

NAME            STATE        LINES/S      LAG  LAG TREND   LAST ERROR
billing-import  streaming        1.0    1m00s  ██
web-frontend    waiting          8.9      37s  ██
api             streaming         20      36s  ██
cron            streaming        1.0      36s  ██
cache-warmer    streaming          0       0s  ▁▁
migrate-db      stopped            0       0s  ▁▁
legacy-syslog   unreadable         0        -              read the logs of con… not support reading
sorted by lag, slowest first
`.slice(1, -1);

const BUSY_NARROW_BY_NAME = `
log-capturer 0.1.0  up 12s  http://127.0.0.1:8001                  READY
docker     unix:///tmp/lc-dockerd-top/docker.sock  ok
receiver   vector http://127.0.0.1:40735/  ok · last accepted 45ms ago
in         10,202 lines/s · 1.09 MiB/s   acknowledged 15,553 lines/s · …
buffer     █████░░░░░  54%  34.3 MiB of 64.0 MiB · 78,672 events · 2 re…
streams    ██████████ 4 of 4 open (max_streams) · 1 waiting for a slot
containers 7: 4 streaming · 1 waiting · 1 stopped · 1 unreadable

NAME           STATE        LINES/S      LAG  LAG TREND   CATCH-UP
api            streaming         58    172ms  ▁▁
billing-impo…  streaming     10,143      24s  █▇          10% ~8.5s
cache-warmer   streaming          0       0s  ▁▁
cron           streaming        1.0     2.1s  ▁▂
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
    assert.match(text, /^billing-import {2}streaming/m);
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
