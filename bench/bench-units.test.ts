import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mainThreadProfile, summarizeProfile } from './cpu-profile-summary.js';
import { dockerTimestampMs } from './docker-timestamp.js';
import { LatencyHistogram } from './latency-histogram.js';
import { parsePrometheusText } from './prometheus-text.js';
import { execFileSync } from 'node:child_process';
import { parseConfigOverrides, fastWriterScript, withOverrides } from './scenario.js';
import type { ScenarioContext } from './scenario.js';
import { parseSize } from './size.js';

void describe('dockerTimestampMs', () => {
  void it('reads nanosecond timestamps inside a buffer', () => {
    const buf = Buffer.from('xx"2026-11-28T01:43:21.152000367Z"');
    assert.equal(dockerTimestampMs(buf, 3), Date.UTC(2026, 10, 28, 1, 43, 21) + 152.000367);
  });
  void it('answers NaN for something that is not a timestamp', () => {
    assert.ok(Number.isNaN(dockerTimestampMs(Buffer.from('2026/11/28 01:43:21.152000367Z'), 0)));
    assert.ok(Number.isNaN(dockerTimestampMs(Buffer.from('2026-11-28T01:43'), 0)));
  });
});

void describe('LatencyHistogram', () => {
  void it('gives quantiles within a bucket', () => {
    const histogram = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) histogram.record(i);
    assert.equal(histogram.count, 100);
    assert.ok(Math.abs((histogram.quantileMs(0.5) ?? 0) - 50) <= 0.2);
    assert.ok(Math.abs((histogram.quantileMs(0.99) ?? 0) - 99) <= 0.2);
    assert.equal(histogram.maxMs, 100);
    assert.equal(new LatencyHistogram().quantileMs(0.5), undefined);
  });
});

void describe('parsePrometheusText', () => {
  void it('sums series of a name and finds one series by labels', () => {
    const metrics = parsePrometheusText(
      [
        '# HELP log_capturer_lines_read_total Complete log lines read from Docker.',
        '# TYPE log_capturer_lines_read_total counter',
        'log_capturer_lines_read_total{stream="stdout"} 10',
        'log_capturer_lines_read_total{stream="stderr"} 5',
        'log_capturer_process_open_fds 23',
      ].join('\n'),
    );
    assert.equal(metrics.sum('log_capturer_lines_read_total'), 15);
    assert.equal(metrics.series('log_capturer_lines_read_total', '{stream="stderr"}'), 5);
    assert.equal(metrics.sum('log_capturer_process_open_fds'), 23);
    assert.equal(metrics.has('nope'), false);
  });
});

void describe('parseSize', () => {
  void it('reads the config file units', () => {
    assert.equal(parseSize('8MiB'), 8 * 1024 * 1024);
    assert.equal(parseSize('10MB'), 10_000_000);
    assert.equal(parseSize('512'), 512);
    assert.throws(() => parseSize('8 furlongs'), /expected a size/);
  });
});

void describe('mainThreadProfile', () => {
  void it('picks thread 0 (the capturer), not the tsx loader worker, whatever the listing order', () => {
    const loader = 'CPU.20261128.025946.29727.1.002.cpuprofile';
    const main = 'CPU.20261128.025945.29727.0.001.cpuprofile';
    assert.equal(mainThreadProfile([loader, main, 'notes.txt']), main);
    assert.equal(mainThreadProfile([main, loader]), main);
    assert.equal(mainThreadProfile(['a.cpuprofile']), 'a.cpuprofile');
    assert.equal(mainThreadProfile(['notes.txt']), undefined);
  });
});

void describe('summarizeProfile', () => {
  void it('puts the built program (dist/) under its source folder, dependencies and node apart, and leaves idle out', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('encodeInto', 'file:///repo/dist/ship/record-encoder.js') },
        { id: 2, callFrame: frame('handleData', 'file:///repo/src/capture/container-stream.ts') },
        { id: 3, callFrame: frame('inc', 'file:///repo/node_modules/prom-client/lib/counter.js') },
        { id: 4, callFrame: frame('emit', 'node:events') },
        { id: 5, callFrame: frame('(idle)', '') },
      ],
      samples: [1, 1, 2, 3, 4, 5],
      timeDeltas: [1000, 1000, 1000, 1000, 1000, 50_000],
    };
    const summary = summarizeProfile(profile);
    assert.equal(summary.totalMs, 5);
    assert.deepEqual(summary.byArea.map((e) => [e.name, e.selfMs]), [['src/ship', 2], ['src/capture', 1], ['dep:prom-client', 1], ['node internals', 1]]);
    assert.equal(summary.topFunctions[0]?.name, 'encodeInto dist/ship/record-encoder.js:1');
  });
});

void describe('parseConfigOverrides', () => {
  void it('nests dotted keys, reads numbers and booleans, and merges over a scenario config', () => {
    const overrides = parseConfigOverrides(['sink.batch.max_events=5000', 'sink.max_in_flight=8', 'log.level=info', 'capture.follow=false']);
    assert.deepEqual(overrides, { sink: { batch: { max_events: 5000 }, max_in_flight: 8 }, log: { level: 'info' }, capture: { follow: false } });
    const ctx = { configOverrides: overrides } as unknown as ScenarioContext;
    assert.deepEqual(withOverrides(ctx, { capture: { max_streams: 50 }, sink: { batch: { linger: '1s' } } }), {
      capture: { max_streams: 50, follow: false },
      sink: { batch: { linger: '1s', max_events: 5000 }, max_in_flight: 8 },
      log: { level: 'info' },
    });
    assert.throws(() => parseConfigOverrides(['max_events=5']), /section\.key=value/);
  });
});

void describe('fastWriterScript', () => {
  // The containers run it with busybox's sh and awk: so does this test (busybox-static is on every
  // machine that runs the bench's containers: podman-service.sh and the test image need it).
  const run = (script: string): string[] => execFileSync('/bin/busybox', ['sh', '-c', script], { encoding: 'latin1' }).split('\n').slice(0, -1);

  void it('prints the numbered lines in order, paced or not', () => {
    const expected = Array.from({ length: 25 }, (_, i) => `pfx ${String(i + 1).padStart(9, '0')} xxxxxx`);
    assert.deepEqual(run(fastWriterScript(25, 20, 'pfx ')), expected);
    // Bursts of 10 (100 lines a second), each followed by a sleep: awk flushes before system().
    const paced = fastWriterScript(25, 20, 'pfx ', 100);
    assert.match(paced, /if \(i % 10 == 0\) system\("usleep 100000"\)/);
    assert.deepEqual(run(paced), expected);
  });
});
