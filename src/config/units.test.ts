import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.js';

void describe('parseDuration', () => {
  const valid: [string, number][] = [
    ['250ms', 250], ['10s', 10_000], ['5m', 300_000], ['1h', 3_600_000], ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004], ['1.5s', 1500], ['0ms', 0], [' 2s ', 2000],
  ];
  for (const [text, ms] of valid) {
    void it(`reads ${JSON.stringify(text)} as ${ms} ms`, () => assert.deepEqual(parseDuration(text), { ok: true, value: ms }));
  }

  const invalid: [string, RegExp][] = [
    ['30', /needs a unit: write 30ms or 30s/],
    ['-5s', /cannot be negative/],
    ['5 minutes', /units are ms, s, m and h/],
    ['5d', /units are ms, s, m and h/],
    ['s', /units are/],
    ['', /empty/],
  ];
  for (const [text, reason] of invalid) {
    void it(`refuses ${JSON.stringify(text)}`, () => {
      const parsed = parseDuration(text);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.reason, reason);
    });
  }

  void it('formats milliseconds back to the shortest exact text', () => {
    assert.equal(formatDuration(300_000), '5m');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(0), '0s');
    for (const text of ['1h2m3s4ms', '10s', '5m']) {
      const parsed = parseDuration(text);
      assert.ok(parsed.ok);
      assert.equal(formatDuration(parsed.value), text);
    }
  });
});

void describe('parseSize', () => {
  const valid: [string | number, number][] = [
    ['512', 512], [512, 512], ['64KiB', 65_536], ['1MiB', 1_048_576], ['1GiB', 1_073_741_824],
    ['10MB', 10_000_000], ['1KB', 1000], ['1kib', 1024], ['100B', 100], ['1.5KiB', 1536], ['2 MiB', 2_097_152],
  ];
  for (const [value, bytes] of valid) {
    void it(`reads ${JSON.stringify(value)} as ${bytes} bytes`, () => assert.deepEqual(parseSize(value), { ok: true, value: bytes }));
  }

  const invalid: [string | number, RegExp][] = [
    ['-5', /greater than zero/], [-5, /greater than zero/], [0, /greater than zero/], ['0KiB', /greater than zero/],
    ['1.3B', /whole number of bytes/], [1.5, /whole number of bytes/],
    ['10XB', /unknown unit "XB"/], ['lots', /write a number/], ['1MiB2', /write a number/],
  ];
  for (const [value, reason] of invalid) {
    void it(`refuses ${JSON.stringify(value)}`, () => {
      const parsed = parseSize(value);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.reason, reason);
    });
  }

  void it('formats bytes with binary units when exact', () => {
    assert.equal(formatSize(1_048_576), '1MiB');
    assert.equal(formatSize(67_108_864), '64MiB');
    assert.equal(formatSize(1536), '1536B');
    assert.equal(formatSize(2048), '2KiB');
  });
});
