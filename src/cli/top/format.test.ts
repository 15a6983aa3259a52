import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ago, bar, formatBytes, formatCount, formatRate, formatSeconds, plural, sparkline, truncate, truncateMiddle } from './format.js';

void describe('top formats', () => {
  void it('numbers, rates, sizes and durations, "-" when unknown', () => {
    assert.deepEqual([formatCount(1234567), formatCount(12), formatCount(undefined)], ['1,234,567', '12', '-']);
    assert.deepEqual([formatRate(0), formatRate(0.46), formatRate(9.96), formatRate(12.4), formatRate(15553.2)], ['0', '0.5', '10', '12', '15,553']);
    assert.deepEqual([formatBytes(0), formatBytes(1023), formatBytes(1536), formatBytes(34.3 * 1024 ** 2), formatBytes(640 * 1024 ** 2), formatBytes(undefined)], ['0 B', '1023 B', '1.50 KiB', '34.3 MiB', '640 MiB', '-']);
    assert.deepEqual([0, 0.1724, 2.13, 24.46, 72, 725, 7380, 273600].map(formatSeconds), ['0s', '172ms', '2.1s', '24s', '1m12s', '12m05s', '2h03m', '3d04h']);
    assert.deepEqual([plural(1, 'event'), plural(2, 'event'), plural(undefined, 'request')], ['1 event', '2 events', '- requests']);
    assert.deepEqual([ago(0, 5000), ago(1000, 5000), ago(undefined, 5000)], ['never', '4.0s ago', '-']);
  });

  void it('bars, sparklines and cut text', () => {
    assert.deepEqual([bar(0, 10), bar(0.54, 10), bar(1.7, 4), bar(Number.NaN, 4)], ['░░░░░░░░░░', '█████░░░░░', '████', '░░░░']);
    assert.equal(sparkline([0, 50, 100, undefined, 25]), '▁▅█ ▃');
    assert.equal(sparkline([0.3, 0.3, 0.3], 10), '▁▁▁', 'a steady small lag stays low');
    assert.equal(sparkline([0.3, 0.3, 0.3]), '███');
    assert.deepEqual([truncate('abcdef', 6), truncate('abcdef', 4), truncate('abc', 0)], ['abcdef', 'abc…', '']);
    assert.deepEqual([truncateMiddle('read the logs: HTTP 501', 11), truncateMiddle('short', 11)], ['read …P 501', 'short']);
  });
});
