import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixtureText } from '../../../test/cli/top/top-fixtures.js';
import { parseMetricsText, readMetrics } from './metrics-snapshot.js';

void describe('metrics text', () => {
  void it('parses labels with escapes, special values and timestamps; skips comments and garbage', () => {
    const samples = parseMetricsText([
      '# HELP x_total A counter.',
      '# TYPE x_total counter',
      'x_total{a="1",b="say \\"hi\\"\\\\ \\n"} 3 1700000000000',
      'plain 4.5',
      'spaced{ a = "v" , } 1e3',
      'inf +Inf',
      'nan NaN',
      'broken{a="1" 2',
      'no_value',
      '{}',
      '',
    ].join('\n'));
    assert.deepEqual(samples, [
      { name: 'x_total', labels: { a: '1', b: 'say "hi"\\ \n' }, value: 3 },
      { name: 'plain', labels: {}, value: 4.5 },
      { name: 'spaced', labels: { a: 'v' }, value: 1000 },
      { name: 'inf', labels: {}, value: Infinity },
    ]);
  });

  void it('reads the series top needs from a recorded /metrics answer', () => {
    const text = fixtureText('busy-2.metrics.txt');
    const metrics = readMetrics(text);
    // Straight from the text, line by line, to check the sums.
    const value = (line: string): number => Number(/ (\S+)$/.exec(text.split('\n').find((l) => l.startsWith(line)) ?? '')?.[1]);
    assert.equal(metrics.linesRead, value('log_capturer_lines_read_total{stream="stdout"}') + value('log_capturer_lines_read_total{stream="stderr"}'));
    assert.equal(metrics.bytesRead, value('log_capturer_bytes_read_total '));
    assert.equal(metrics.eventsSent, value('log_capturer_events_sent_total '));
    assert.deepEqual(metrics.health, { docker: true, sink: true, checkpoint: true, server: true });
    assert.equal(readMetrics(fixtureText('receiver-down-2.metrics.txt')).health.sink, false);
  });

  void it('an empty or foreign answer leaves everything unknown', () => {
    for (const text of ['', 'hello world', '<html></html>', 'go_goroutines 12']) {
      assert.deepEqual(readMetrics(text), { linesRead: undefined, bytesRead: undefined, eventsSent: undefined, health: { docker: undefined, sink: undefined, checkpoint: undefined, server: undefined } });
    }
  });
});
