import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { random } from '../../test/support/log-stream-bytes.js';
import { MAX_STAMP_BYTES, MIN_STAMP_BYTES, NEED_MORE, NOT_A_REAL_TIME, NOT_A_STAMP, TimestampReader, excerpt } from './log-timestamp.js';

/** read() of `text` (latin1), whole. */
function read(text: string, reader = new TimestampReader()): { result: number; canonical: string; digits: number } {
  const buffer = Buffer.from(text, 'latin1');
  const result = reader.read(buffer, 0, buffer.length);
  return { result, canonical: reader.canonical, digits: reader.fractionDigits };
}

void describe('TimestampReader', () => {
  void it('accepts every RFC 3339 precision from seconds to nanoseconds, Z or offset, and writes one canonical form', () => {
    const cases: Array<[string, string, number]> = [
      ['2026-11-28T01:43:21.152000367Z', '2026-11-28T01:43:21.152000367Z', 9], // Docker
      ['2026-11-28T23:53:38Z', '2026-11-28T23:53:38.000000000Z', 0], // Podman 4
      ['2026-11-28T23:53:38.1Z', '2026-11-28T23:53:38.100000000Z', 1],
      ['2026-11-28T23:53:38.12345678Z', '2026-11-28T23:53:38.123456780Z', 8],
      ['2026-11-29T01:51:59+01:00', '2026-11-29T00:51:59.000000000Z', 0], // Podman, host in Berlin
      ['2026-11-29T01:51:59.535131695+01:00', '2026-11-29T00:51:59.535131695Z', 9], // Podman after the fix
      ['2026-11-28T23:53:38+00:00', '2026-11-28T23:53:38.000000000Z', 0],
      ['2026-11-28T23:53:38-00:00', '2026-11-28T23:53:38.000000000Z', 0],
      ['2026-11-28T20:30:00.5-05:30', '2026-11-29T02:00:00.500000000Z', 1], // to the next day
      ['2027-01-01T00:30:00+01:00', '2026-12-31T23:30:00.000000000Z', 0], // to the previous year
      ['2028-03-01T00:59:59+01:00', '2028-02-29T23:59:59.000000000Z', 0], // to a leap day
      ['2028-02-29T12:00:00Z', '2028-02-29T12:00:00.000000000Z', 0],
      ['2000-02-29T12:00:00Z', '2000-02-29T12:00:00.000000000Z', 0],
      ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000000000Z', 0],
      ['9999-12-31T23:59:59.999999999Z', '9999-12-31T23:59:59.999999999Z', 9],
    ];
    for (const [stamp, canonical, digits] of cases) {
      const got = read(`${stamp} message`);
      assert.deepEqual(got, { result: stamp.length + 1, canonical, digits }, stamp);
      assert.ok(Number.isFinite(Date.parse(got.canonical)), canonical);
    }
  });

  void it('agrees with Date for random times, precisions and offsets', () => {
    const next = random(2026);
    for (let round = 0; round < 5000; round += 1) {
      const ms = Math.floor(next() * 8e12) - 1e12; // 1938 to 2223
      const nanos = Math.floor(next() * 1e6);
      const digits = Math.floor(next() * 10);
      const offsetMinutes = next() < 0.3 ? 0 : Math.round((next() * 28 - 14) * 4) * 15;
      const utc = new Date(ms);
      const local = new Date(ms + offsetMinutes * 60_000);
      const fraction = `${String(utc.getUTCMilliseconds()).padStart(3, '0')}${String(nanos).padStart(6, '0')}`.slice(0, digits);
      const sign = offsetMinutes < 0 ? '-' : '+';
      const zone = offsetMinutes === 0 && next() < 0.5 ? 'Z' : `${sign}${String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0')}:${String(Math.abs(offsetMinutes) % 60).padStart(2, '0')}`;
      const stamp = `${local.toISOString().slice(0, 19)}${digits > 0 ? `.${fraction}` : ''}${zone}`;
      const expected = `${utc.toISOString().slice(0, 19)}.${fraction.padEnd(9, '0')}Z`;
      assert.equal(read(`${stamp} `).canonical, expected, stamp);
    }
  });

  void it('asks for more bytes while a prefix of a stamp could still become one', () => {
    for (const stamp of ['2026-11-28T01:43:21.152000367Z ', '2026-11-28T23:53:38Z ', '2026-11-29T01:51:59.5+01:00 ']) {
      const buffer = Buffer.from(stamp, 'latin1');
      for (let end = 0; end < buffer.length; end += 1) assert.equal(new TimestampReader().read(buffer, 0, end), NEED_MORE, `${stamp.slice(0, end)}|`);
      assert.equal(new TimestampReader().read(buffer, 0, buffer.length), buffer.length);
    }
    // At an offset in a larger buffer, bounded by `end`.
    const buffer = Buffer.from('xx2026-11-28T23:53:38Z yy', 'latin1');
    assert.equal(new TimestampReader().read(buffer, 2, 10), NEED_MORE);
    assert.equal(new TimestampReader().read(buffer, 2, buffer.length), 21);
    assert.ok(MIN_STAMP_BYTES === 21 && MAX_STAMP_BYTES === '2026-11-29T01:51:59.535131695+01:00 '.length);
  });

  void it('refuses what is not a stamp', () => {
    for (const text of [
      '2026-11-28t01:43:21Z ', // lower-case t
      '2026-11-28T01:43:21z ',
      '2026-11-28 01:43:21Z ',
      '2026-11-28T01:43:21.Z ', // a dot without digits
      '2026-11-28T01:43:21.1234567890Z ', // ten digits
      '2026-11-28T01:43:21+0100 ', // offset without a colon
      '2026-11-28T01:43:21Zx',
      '2026-11-28T01:43:21', // (complete, then not a space)
      '2026-11-28T01:43:21.152000367Z\n',
      '20261128T014321Z ',
      '2026-1l-28T01:43:21Z ',
      'x',
      '\x00\x00\x00',
    ]) {
      const result = read(text).result;
      if (text === '2026-11-28T01:43:21') assert.equal(result, NEED_MORE, text);
      else assert.equal(result, NOT_A_STAMP, JSON.stringify(text));
    }
  });

  void it("refuses Docker's form with any one byte wrong (the word-wise check of the hot path)", () => {
    const good = '2026-11-28T01:43:21.152000367Z ';
    for (let at = 0; at < good.length; at += 1) {
      for (const wrong of ['/', ':', '0', '9', 'a', '-', 'T', 'Z', '.', ' ', '\x00', '\x7f', '\x80', '\xff', '\x3a', '\x40']) {
        if (wrong === good[at]) continue;
        const text = `${good.slice(0, at)}${wrong}${good.slice(at + 1)}`;
        const result = read(`${text}xxxxxx`).result;
        const digitSwapped = /\d/.test(good[at] as string) && /\d/.test(wrong);
        if (digitSwapped) assert.ok(result === 31 || result === NOT_A_REAL_TIME, JSON.stringify(text));
        else assert.ok(result !== 31, `${JSON.stringify(text)} accepted`);
      }
    }
  });

  void it('refuses a stamp with the right shape but no real time in it', () => {
    for (const text of [
      '2026-99-99T99:99:99.000000000Z', // issue 11's poison entry
      '2026-13-01T00:00:00Z',
      '2026-00-01T00:00:00Z',
      '2026-01-00T00:00:00Z',
      '2026-02-29T00:00:00Z', // not a leap year
      '1900-02-29T00:00:00Z', // nor is 1900
      '2026-04-31T00:00:00Z',
      '2026-11-28T24:00:00Z',
      '2026-11-28T23:60:00Z',
      '2026-11-28T23:59:60Z', // Go never writes a leap second
      '2026-11-28T23:59:59+24:00',
      '2026-11-28T23:59:59-00:60',
      '0000-01-01T00:30:00+01:00', // would be year -1 in UTC
      '9999-12-31T23:30:00-01:00', // would be year 10000
    ]) {
      assert.equal(read(`${text} x`).result, NOT_A_REAL_TIME, text);
    }
  });

  void it('reports the coarsest precision of the stamps accepted, not of every read', () => {
    const reader = new TimestampReader();
    assert.equal(reader.coarsestResolutionNs, 1);
    read('2026-11-28T01:43:21.152000367Z ', reader);
    reader.accept();
    assert.equal(reader.coarsestResolutionNs, 1);
    read('2026-11-28T01:43:21Z ', reader); // read, not accepted (text that looked like a stamp)
    assert.equal(reader.coarsestResolutionNs, 1);
    read('2026-11-28T01:43:21.123Z ', reader);
    assert.equal(reader.accept(), '2026-11-28T01:43:21.123000000Z');
    assert.equal(reader.coarsestResolutionNs, 1e6);
    read('2026-11-28T01:43:21Z ', reader);
    reader.accept();
    assert.equal(reader.coarsestResolutionNs, 1e9);
    read('2026-11-28T01:43:22.000000001Z ', reader);
    reader.accept();
    assert.equal(reader.coarsestResolutionNs, 1e9, 'the coarsest stays');
  });
});

void describe('excerpt', () => {
  void it('quotes daemon bytes printable and short', () => {
    const buffer = Buffer.from('2026-99-99T99:99:99Z \x1b[31m"quoted"\\ \xff and much more text after it', 'latin1');
    assert.equal(excerpt(buffer, 0, 20), '"2026-99-99T99:99:99Z"');
    assert.equal(excerpt(buffer, 21, buffer.length, 16), '"\\x1b[31m\\"quoted\\"\\\\ \\xff…"');
  });
});
