// The timestamp in front of every log entry of `GET /containers/{id}/logs?timestamps=1`: the one
// place where a daemon-supplied time is recognised, validated and put in canonical form.
//
// What daemons write (RFC 3339, always followed by one space):
//   Docker             2026-11-28T01:43:21.152000367Z        nine digits, UTC
//   Podman 4           2026-11-28T01:43:21Z                  whole seconds (Go's time.RFC3339),
//                      2026-11-28T02:43:21+01:00             in the zone of the host: conmon
//                                                            stamps in local time (both seen)
//   Podman since 12/25 2026-11-28T02:43:21.152000367+01:00   nine digits, zone of the host
//                                                            (its source; not run here)
// Everything downstream (positions keyed by the millisecond prefix, records) needs one form, so
// every accepted stamp becomes UTC with exactly nine fraction digits:
//   2026-11-28T01:43:21.152000367Z
// A stamp with the right shape but no real time in it (month 13, 31 April, 24:00, second 60)
// is refused here, never handed on: `Date.parse` downstream would throw on it.

/** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ `: Docker's form, with its space. */
const DOCKER_STAMP_BYTES = 31;
/** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+HH:MM ` is the longest stamp we accept, with its space. */
export const MAX_STAMP_BYTES = 36;
/** `YYYY-MM-DDTHH:MM:SSZ ` is the shortest. */
export const MIN_STAMP_BYTES = 21;

/** read() found the start of a stamp but its end is beyond the bytes given: read again with more. */
export const NEED_MORE = 0;
/** The bytes are not `RFC3339 SPACE`. */
export const NOT_A_STAMP = -1;
/** The bytes have the shape of a stamp, but not a real time (e.g. `2026-99-99T99:99:99Z`). */
export const NOT_A_REAL_TIME = -2;

const DASH = 0x2d;
const COLON = 0x3a;
const DOT = 0x2e;
const PLUS = 0x2b;
const SPACE = 0x20;
const UPPER_T = 0x54;
const UPPER_Z = 0x5a;
const ZERO = 0x30;

const NO_VIEW = new DataView(new ArrayBuffer(0));

/** Fraction padding by the number of digits present: ZEROS[9] = ''. */
const ZEROS = ['000000000', '00000000', '0000000', '000000', '00000', '0000', '000', '00', '0', ''];

/** The two digits at `at` as a number, or -1. */
function twoDigits(buffer: Buffer, at: number): number {
  const tens = (buffer[at] as number) - ZERO;
  const ones = (buffer[at + 1] as number) - ZERO;
  return tens >>> 0 <= 9 && ones >>> 0 <= 9 ? tens * 10 + ones : -1;
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= ZERO && byte <= ZERO + 9;
}

/** `YYYY-MM-DDTHH:MM:SS`, the part of a stamp that never varies in length. */
const FIXED_PART = 'dddd-dd-ddTdd:dd:dd';

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** The date of a day number from daysFromCivil, as `YYYY-MM-DD`, or undefined outside years 0-9999. */
function civilFromDays(days: number): string | undefined {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) return undefined;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * Reads stamps; keeps what the last read found and the coarsest precision accepted. One per
 * parser: read() runs once per log entry, so it allocates nothing but the canonical string.
 */
export class TimestampReader {
  /** Canonical form of the last stamp read successfully. */
  canonical = '';
  /** Fraction digits of the last stamp read successfully (0-9). */
  fractionDigits = 9;
  /** Fewest fraction digits of the stamps accepted so far. */
  private fewestDigits = 9;
  /** A DataView of the buffer being read (one chunk holds many stamps); see release(). */
  private view: DataView<ArrayBufferLike> = NO_VIEW;
  private viewed: Buffer | undefined;

  /**
   * Resolution of the coarsest stamp accepted, in nanoseconds: 1 while every stamp had nine fraction
   * digits, 1e9 once one had none (Podman 4). A line's true time lies in [stamp, stamp + this).
   */
  get coarsestResolutionNs(): number {
    return 10 ** (9 - this.fewestDigits);
  }

  /**
   * Reads `STAMP SPACE` at `at`, using only bytes before `end`. Returns its length in bytes
   * (space included) and sets `canonical` and `fractionDigits`; or NEED_MORE when every byte up
   * to `end` fits but the stamp is not complete; or NOT_A_STAMP; or NOT_A_REAL_TIME.
   */
  read(buffer: Buffer, at: number, end: number): number {
    // Docker's form first: the hot path.
    if (end - at >= DOCKER_STAMP_BYTES && isDockerStamp(this.viewOf(buffer), at)) {
      this.canonical = buffer.toString('latin1', at, at + DOCKER_STAMP_BYTES - 1);
      this.fractionDigits = 9;
      return DOCKER_STAMP_BYTES;
    }
    return this.readAnyForm(buffer, at, end);
  }

  /** Forgets the buffer read last, so that this reader does not keep a chunk alive. */
  release(): void {
    this.view = NO_VIEW;
    this.viewed = undefined;
  }

  private viewOf(buffer: Buffer): DataView {
    if (buffer !== this.viewed) {
      this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      this.viewed = buffer;
    }
    return this.view;
  }

  private readAnyForm(buffer: Buffer, at: number, end: number): number {
    if (end - at < FIXED_PART.length) return fitsFixedPart(buffer, at, end) ? NEED_MORE : NOT_A_STAMP;
    const century = twoDigits(buffer, at);
    const yearOfCentury = twoDigits(buffer, at + 2);
    const month = twoDigits(buffer, at + 5);
    const day = twoDigits(buffer, at + 8);
    const hour = twoDigits(buffer, at + 11);
    const minute = twoDigits(buffer, at + 14);
    const second = twoDigits(buffer, at + 17);
    if (
      (century | yearOfCentury | month | day | hour | minute | second) < 0 ||
      buffer[at + 4] !== DASH ||
      buffer[at + 7] !== DASH ||
      buffer[at + 10] !== UPPER_T ||
      buffer[at + 13] !== COLON ||
      buffer[at + 16] !== COLON
    ) {
      return NOT_A_STAMP;
    }
    let k = at + 19;
    // Optional fraction, 1 to 9 digits.
    let digits = 0;
    if (k < end && buffer[k] === DOT) {
      k += 1;
      while (k < end && digits <= 9 && isDigit(buffer[k])) {
        k += 1;
        digits += 1;
      }
      if (digits > 9) return NOT_A_STAMP;
      if (k >= end) return NEED_MORE;
      if (digits === 0) return NOT_A_STAMP;
    }
    if (k >= end) return NEED_MORE;
    // Zone: `Z` or `+HH:MM` / `-HH:MM`.
    const zoneAt = k;
    const zone = buffer[k];
    let offsetMinutes = 0;
    if (zone === UPPER_Z) {
      k += 1;
    } else if (zone === PLUS || zone === DASH) {
      for (let z = 1; z < 6; z += 1) {
        if (k + z >= end) return NEED_MORE;
        if (z === 3 ? buffer[k + z] !== COLON : !isDigit(buffer[k + z])) return NOT_A_STAMP;
      }
      const hours = twoDigits(buffer, k + 1);
      const minutes = twoDigits(buffer, k + 4);
      if (hours > 23 || minutes > 59) return NOT_A_REAL_TIME;
      offsetMinutes = (zone === PLUS ? 1 : -1) * (hours * 60 + minutes);
      k += 6;
    } else {
      return NOT_A_STAMP;
    }
    if (k >= end) return NEED_MORE;
    if (buffer[k] !== SPACE) return NOT_A_STAMP;

    // The shape is right: is it a real time?
    const year = century * 100 + yearOfCentury;
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return NOT_A_REAL_TIME;

    if (zone !== UPPER_Z) {
      const canonical = this.toUtc(buffer, at, year, month, day, hour * 60 + minute - offsetMinutes, digits);
      if (canonical === undefined) return NOT_A_REAL_TIME;
      this.canonical = canonical;
    } else {
      this.canonical = `${buffer.toString('latin1', at, zoneAt)}${digits === 0 ? '.' : ''}${ZEROS[digits] as string}Z`;
    }
    this.fractionDigits = digits;
    return k + 1 - at;
  }

  /**
   * The last stamp read is an entry's (not merely bytes that look like one): counts it for
   * coarsestResolutionNs and returns its canonical form.
   */
  accept(): string {
    if (this.fractionDigits < this.fewestDigits) this.fewestDigits = this.fractionDigits;
    return this.canonical;
  }

  /** The stamp at `at` moved to UTC: `minutesOfDay` is its local time of day minus its offset. */
  private toUtc(buffer: Buffer, at: number, year: number, month: number, day: number, minutesOfDay: number, digits: number): string | undefined {
    const dayShift = Math.floor(minutesOfDay / 1440);
    const minutes = minutesOfDay - dayShift * 1440;
    const date = civilFromDays(daysFromCivil(year, month, day) + dayShift);
    if (date === undefined) return undefined;
    const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
    const mm = String(minutes % 60).padStart(2, '0');
    // Seconds and fraction do not change with the zone.
    const fraction = digits === 0 ? '' : buffer.toString('latin1', at + 20, at + 20 + digits);
    return `${date}T${hh}:${mm}:${buffer.toString('latin1', at + 17, at + 19)}.${fraction}${ZEROS[digits] as string}Z`;
  }
}

/**
 * Whether `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ ` at `at` of `view` is a real time (31 bytes must be
 * there). Runs once per line: eight 32-bit little-endian words instead of 31 bytes. In each word
 * the separators must be equal, every digit byte must have the high nibble 3, and keep it with
 * 6 added (true for 0x30-0x39 only).
 */
function isDockerStamp(view: DataView, at: number): boolean {
  let w: number;
  w = view.getInt32(at + 0, true);
  if ((w & -0xf0f0f10) !== 0x30303030 || ((w + 0x6060606) & -0xf0f0f10) !== 0x30303030) return false;
  w = view.getInt32(at + 4, true);
  if ((w & -0xf0f01) !== 0x2d30302d || ((w + 0x60600) & -0xf0f01) !== 0x2d30302d) return false;
  w = view.getInt32(at + 8, true);
  if ((w & -0xf000f10) !== 0x30543030 || ((w + 0x6000606) & -0xf000f10) !== 0x30543030) return false;
  w = view.getInt32(at + 12, true);
  if ((w & -0xf0f0010) !== 0x30303a30 || ((w + 0x6060006) & -0xf0f0010) !== 0x30303a30) return false;
  w = view.getInt32(at + 16, true);
  if ((w & -0xf0f01) !== 0x2e30303a || ((w + 0x60600) & -0xf0f01) !== 0x2e30303a) return false;
  w = view.getInt32(at + 20, true);
  if ((w & -0xf0f0f10) !== 0x30303030 || ((w + 0x6060606) & -0xf0f0f10) !== 0x30303030) return false;
  w = view.getInt32(at + 24, true);
  if ((w & -0xf0f0f10) !== 0x30303030 || ((w + 0x6060606) & -0xf0f0f10) !== 0x30303030) return false;
  w = view.getInt32(at + 27, true);
  if ((w & -0xf10) !== 0x205a3030 || ((w + 0x606) & -0xf10) !== 0x205a3030) return false;
  const month = (view.getUint8(at + 5) - ZERO) * 10 + view.getUint8(at + 6) - ZERO;
  const day = (view.getUint8(at + 8) - ZERO) * 10 + view.getUint8(at + 9) - ZERO;
  const year = (view.getUint8(at) - ZERO) * 1000 + (view.getUint8(at + 1) - ZERO) * 100 + (view.getUint8(at + 2) - ZERO) * 10 + view.getUint8(at + 3) - ZERO;
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    (day <= 28 || day <= daysInMonth(year, month)) &&
    (view.getUint8(at + 11) - ZERO) * 10 + view.getUint8(at + 12) - ZERO <= 23 &&
    view.getUint8(at + 14) <= 0x35 && // minute < 60
    view.getUint8(at + 17) <= 0x35 // second < 60
  );
}

/** Whether buffer[at, end) (shorter than FIXED_PART) may begin a stamp. */
function fitsFixedPart(buffer: Buffer, at: number, end: number): boolean {
  for (let k = 0; k < end - at; k += 1) {
    const byte = buffer[at + k];
    const expected = FIXED_PART.charCodeAt(k);
    if (expected === 0x64 /* d */ ? !isDigit(byte) : byte !== expected) return false;
  }
  return true;
}

/** A short, printable excerpt of daemon bytes for an error message: `\xNN` for anything else. */
export function excerpt(buffer: Buffer, start: number, end: number, maxBytes = 48): string {
  const stop = Math.min(end, start + maxBytes);
  let text = '';
  for (let k = start; k < stop; k += 1) {
    const byte = buffer[k] as number;
    if (byte >= 0x20 && byte < 0x7f && byte !== 0x5c && byte !== 0x22) text += String.fromCharCode(byte);
    else text += byte === 0x5c ? '\\\\' : byte === 0x22 ? '\\"' : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `"${text}${end > stop ? '…' : ''}"`;
}
