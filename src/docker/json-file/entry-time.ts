// The `time` of a json-file entry, turned into the timestamp text the API route gives every line.
//
// json-file writes Go's RFC3339Nano (`time.RFC3339Nano`), which DROPS the trailing zeros of the
// fraction (`…:22.0253Z`, and no fraction at all when it is zero: `…:22Z`). The API route prints
// the same instant with RFC3339NanoFixed: always nine digits. Lines are compared and positions
// ordered by this text, so every timestamp leaves here in the fixed form
// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`: the fraction padded with zeros (exact: no rounding ever
// happens, the digits are the same instant) and, for the offset form Docker never writes but a
// hand-made file could hold (`+01:00`), moved to UTC.

const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000', '0000000', '00000000', '000000000'];

/** Where `YYYY-MM-DDTHH:MM:SS` holds digits. */
const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** `2026-11-28T01:43:21.152000367Z` from any RFC 3339 time with at most nine fraction digits; undefined when it is not one. */
export function canonicalTimestamp(raw: string): string | undefined {
  const length = raw.length;
  // Docker's own shape, the only one on the hot path: UTC, fraction of 1-9 digits or none.
  if (length >= 20 && length <= 30 && raw.charCodeAt(length - 1) === 0x5a /* Z */ && raw.charCodeAt(10) === 0x54 /* T */) {
    if (length === 30 && raw.charCodeAt(19) === 0x2e) return RFC3339.test(raw) ? raw : undefined;
    if (length === 20) return RFC3339.test(raw) ? `${raw.slice(0, 19)}.000000000Z` : undefined;
    if (raw.charCodeAt(19) === 0x2e && length >= 22) return RFC3339.test(raw) ? `${raw.slice(0, length - 1)}${ZEROS[30 - length] as string}Z` : undefined;
  }
  const match = RFC3339.exec(raw);
  if (!match) return undefined;
  const fraction = (match[7] ?? '').padEnd(9, '0');
  const zone = match[8] as string;
  if (zone === 'Z') return `${raw.slice(0, 19)}.${fraction}Z`;
  const sign = zone.startsWith('-') ? -1 : 1;
  const offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const utc = new Date(0);
  // setUTCFullYear, not Date.UTC: the latter reads years 0-99 as 1900-1999.
  utc.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  utc.setUTCHours(Number(match[4]), Number(match[5]) - offsetMinutes, Number(match[6]), 0);
  const year = utc.getUTCFullYear();
  if (Number.isNaN(utc.getTime()) || year < 0 || year > 9999) return undefined;
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(year, 4)}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())}T${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}.${fraction}Z`;
}

/**
 * Whether buf[start, end) is Docker's own `time` shape: `YYYY-MM-DDTHH:MM:SS` in UTC (`Z`), with
 * a fraction of 1-9 digits or none. Checked on the bytes so the hot path makes no string first.
 */
export function isDockerTimeAt(buf: Buffer, start: number, end: number): boolean {
  const length = end - start;
  if (length < 20 || length > 30 || length === 21 || buf[end - 1] !== 0x5a) return false;
  if (buf[start + 4] !== 0x2d || buf[start + 7] !== 0x2d || buf[start + 10] !== 0x54 || buf[start + 13] !== 0x3a || buf[start + 16] !== 0x3a) return false;
  for (const at of DIGIT_POSITIONS) if (!isDigit(buf[start + at])) return false;
  if (length === 20) return true;
  if (buf[start + 19] !== 0x2e) return false;
  for (let i = start + 20; i < end - 1; i += 1) if (!isDigit(buf[i])) return false;
  return true;
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

/** The fixed-width text of a time that isDockerTimeAt() accepted (no regular expression). */
export function dockerTimeText(buf: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length === 30) return buf.toString('latin1', start, end);
  if (length === 20) return `${buf.toString('latin1', start, end - 1)}.000000000Z`;
  return `${buf.toString('latin1', start, end - 1)}${ZEROS[30 - length] as string}Z`;
}
