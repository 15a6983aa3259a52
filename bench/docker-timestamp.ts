// Docker's RFC 3339 nanosecond timestamps (`2026-11-28T01:43:21.152000367Z`) read straight out of
// a buffer into epoch milliseconds, without building a string per line.

function digits(buf: Buffer, at: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const code = buf[at + i] ?? 0;
    if (code < 0x30 || code > 0x39) return Number.NaN;
    value = value * 10 + (code - 0x30);
  }
  return value;
}

/** Epoch ms (with sub-ms fraction) of the timestamp starting at `at`; NaN when it is not one. */
export function dockerTimestampMs(buf: Buffer, at: number): number {
  if (at + 30 > buf.length || buf[at + 4] !== 0x2d || buf[at + 10] !== 0x54 || buf[at + 19] !== 0x2e) return Number.NaN;
  const whole = Date.UTC(
    digits(buf, at, 4),
    digits(buf, at + 5, 2) - 1,
    digits(buf, at + 8, 2),
    digits(buf, at + 11, 2),
    digits(buf, at + 14, 2),
    digits(buf, at + 17, 2),
  );
  const nanos = digits(buf, at + 20, 9);
  return whole + nanos / 1e6;
}
