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
log-capturer 0.1.0  up 13s  http://127.0.0.1:8001                                              READY
docker     unix:///tmp/lc-dockerd-top/docker.sock (docker 20.10.24+dfsg1, API 1.41)  ok
receiver   vector http://127.0.0.1:39601/  ok · last accepted 78ms ago
in         15,718 lines/s · 1.50 MiB/s   acknowledged 7,612 lines/s · 3.31 MiB/s
buffer     █████░░░░░░░░░░░░░░░  27%  17.4 MiB of 64.0 MiB · 40,104 events · 1 request in flight
streams    █████████████░░░░░░░ 5 of 8 slots (max_streams): 5 following, 0 polling · 0 waiting
containers 7: 5 streaming · 1 stopped · 1 unreadable

NAME            STATE        LINES/S      LAG  LAG TREND   CATCH-UP      LAST ERROR
billing-import  streaming     15,651      29s  ██          2% ~36s
cron            streaming        0.9    935ms  ▁▂
api             streaming         19    247ms  ▁▁
web-frontend    streaming         46    177ms  ▁▁
cache-warmer    streaming          0       0s  ▁▁
migrate-db      stopped            0       0s  ▁▁
legacy-syslog   unreadable         0        -                            read the logs…pport reading
sorted by lag, slowest first
`.slice(1, -1);

const RECEIVER_DOWN = `
log-capturer 0.1.0  up 49s  http://127.0.0.1:8001                                    NOT READY: sink
docker     unix:///tmp/lc-dockerd-top/docker.sock (docker 20.10.24+dfsg1, API 1.41)  ok
receiver   vector http://127.0.0.1:39601/  DOWN, retrying · last accepted 36s ago · connection erro…
in         72 lines/s · 7.73 KiB/s       acknowledged 0 lines/s · 0 B/s
buffer     ███████████████░░░░░  74%  47.4 MiB of 64.0 MiB · 109,238 events · 2 requests in flight
streams    █████████████░░░░░░░ 5 of 8 slots (max_streams): 5 following, 0 polling · 0 waiting
containers 7: 5 streaming · 1 stopped · 1 unreadable

NAME            STATE        LINES/S      LAG  LAG TREND   LAST ERROR
billing-import  streaming        4.8    1m05s  ██
cron            streaming        1.0      37s  ██
api             streaming         19      36s  ██
web-frontend    streaming         47      36s  ██
cache-warmer    streaming          0       0s  ▁▁
migrate-db      stopped            0       0s  ▁▁
legacy-syslog   unreadable         0        -              read the logs of con… not support reading
sorted by lag, slowest first
`.slice(1, -1);

const BUSY_NARROW_BY_NAME = `
log-capturer 0.1.0  up 13s  http://127.0.0.1:8001                  READY
docker     unix:///tmp/lc-dockerd-top/docker.sock (docker 20.10.24+dfsg…
receiver   vector http://127.0.0.1:39601/  ok · last accepted 78ms ago
in         15,718 lines/s · 1.50 MiB/s   acknowledged 7,612 lines/s · 3…
buffer     ███░░░░░░░  27%  17.4 MiB of 64.0 MiB · 40,104 events · 1 re…
streams    ██████░░░░ 5 of 8 slots (max_streams): 5 following, 0 polling
containers 7: 5 streaming · 1 stopped · 1 unreadable

NAME           STATE        LINES/S      LAG  LAG TREND   CATCH-UP
api            streaming         19    247ms  ▁▁
billing-impo…  streaming     15,651      29s  ██          2% ~36s
cache-warmer   streaming          0       0s  ▁▁
cron           streaming        0.9    935ms  ▁▂
legacy-syslog  unreadable         0        -
migrate-db     stopped            0       0s  ▁▁
web-frontend   streaming         46    177ms  ▁▁
sorted by name
`.slice(1, -1);

void describe('top frames from recorded samples', () => {
  void it('a backlog being caught up behind a slow receiver, a stopped and an unreadable container (100 columns)', () => {
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

  void it('a shared pool (more containers run than max_streams) says that some are read by polls', () => {
    const view = viewOf('busy');
    const shared = { ...view, streams: { open: 4, max: 4, waiting: 2, following: 3, polling: 1, shared: true } };
    assert.match(frame(shared, { width: 160, order: { key: 'lag', reversed: false } }), /^streams {4}█{20} 4 of 4 slots \(max_streams\): 3 following, 1 polling · 2 waiting · shared: some containers are read by polls$/m);
    const older = { ...view, streams: { open: 2, max: 100, waiting: 0, following: undefined, polling: undefined, shared: undefined } };
    assert.match(frame(older, { width: 160, order: { key: 'lag', reversed: false } }), /^streams {4}░{20} 2 of 100 slots \(max_streams\) · 0 waiting$/m, 'a capturer without the follow/poll split');
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
