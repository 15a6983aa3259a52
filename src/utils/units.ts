// Durations (`250ms`, `1m30s`) and sizes (`64KiB`, `10MB`, 512) as people write them in the
// configuration, turned into milliseconds and bytes. Parsing answers with a reason instead of
// throwing, so every bad value in a file can be reported at once.

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

export const DURATION_EXAMPLES = 'a duration such as 250ms, 10s, 5m or 1m30s';
export const SIZE_EXAMPLES = 'a size such as 1MiB or 1048576';

/** `250ms`, `10s`, `5m`, `1h`, `1m30s`, `1.5s` -> milliseconds (rounded to a whole ms). */
export function parseDuration(text: string): Parsed<number> {
  const trimmed = text.trim();
  if (trimmed.length === 0) return { ok: false, reason: 'the value is empty' };
  if (/^-/.test(trimmed)) return { ok: false, reason: 'a duration cannot be negative' };
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return { ok: false, reason: `a duration needs a unit: write ${trimmed}ms or ${trimmed}s` };
  }
  let total = 0;
  let at = 0;
  while (at < trimmed.length) {
    DURATION_PART.lastIndex = at;
    const part = DURATION_PART.exec(trimmed);
    if (part === null) return { ok: false, reason: 'units are ms, s, m and h' };
    total += Number(part[1]) * (DURATION_UNITS_MS[part[2] as string] as number);
    at = DURATION_PART.lastIndex;
  }
  return { ok: true, value: Math.round(total) };
}

// Lower-cased unit -> bytes. KB/MB/GB are decimal, KiB/MiB/GiB binary, as on every disk label.
const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3,
};
const SIZE_TEXT = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/** `512`, `64KiB`, `1MiB`, `1GiB`, `10MB`, `1KB` or an integer -> bytes, greater than zero. */
export function parseSize(value: string | number): Parsed<number> {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return { ok: false, reason: 'a size is a whole number of bytes' };
    if (value <= 0) return { ok: false, reason: 'a size must be greater than zero' };
    return { ok: true, value };
  }
  const trimmed = value.trim();
  if (/^-\s*\d/.test(trimmed)) return { ok: false, reason: 'a size must be greater than zero' };
  const match = SIZE_TEXT.exec(trimmed);
  if (match === null) return { ok: false, reason: 'write a number with an optional unit B, KB, MB, GB, KiB, MiB or GiB' };
  const unit = SIZE_UNITS[(match[2] as string).toLowerCase()];
  if (unit === undefined) return { ok: false, reason: `unknown unit "${match[2] as string}"; units are B, KB, MB, GB, KiB, MiB and GiB` };
  const bytes = Number(match[1]) * unit;
  if (!Number.isInteger(bytes)) return { ok: false, reason: 'a size is a whole number of bytes' };
  if (bytes <= 0) return { ok: false, reason: 'a size must be greater than zero' };
  return { ok: true, value: bytes };
}

/** Milliseconds back to the shortest exact text: 300000 -> `5m`, 90000 -> `1m30s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}

/** Bytes back to text, binary units when exact: 1048576 -> `1MiB`, 1500 -> `1500B`. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}
