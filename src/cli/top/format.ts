// Numbers as `log-capturer top` prints them: short, fixed formats (no locale: frames must be the
// same on every machine), `-` for anything unknown.

export const UNKNOWN = '-';

const THOUSANDS = /\B(?=(\d{3})+(?!\d))/g;

/** 1234567 -> `1,234,567` */
export function formatCount(value: number | undefined): string {
  if (value === undefined) return UNKNOWN;
  return String(Math.round(value)).replace(THOUSANDS, ',');
}

/** Per-second rates: one decimal below 10, whole numbers above (`0.5`, `12`, `1,234`). */
export function formatRate(value: number | undefined): string {
  if (value === undefined) return UNKNOWN;
  if (value > 0 && value < 9.95) return value.toFixed(1);
  return formatCount(value);
}

/** Binary units, three significant digits: `512 B`, `1.50 KiB`, `12.3 MiB`, `640 MiB`. */
export function formatBytes(value: number | undefined): string {
  if (value === undefined) return UNKNOWN;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let amount = value;
  let unit = 0;
  while (amount >= 1024 && unit < units.length - 1) {
    amount /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(amount)} B`;
  const digits = amount < 10 ? 2 : amount < 100 ? 1 : 0;
  return `${amount.toFixed(digits)} ${units[unit] as string}`;
}

/** Seconds as the two largest units: `850ms`, `4.2s`, `41s`, `12m05s`, `2h03m`, `3d04h`. */
export function formatSeconds(value: number | undefined): string {
  if (value === undefined) return UNKNOWN;
  if (value === 0) return '0s';
  if (value < 1) return `${Math.round(value * 1000)}ms`;
  if (value < 9.95) return `${value.toFixed(1)}s`;
  const total = Math.round(value);
  if (total < 60) return `${total}s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (total < 3600) return `${Math.floor(total / 60)}m${pad(total % 60)}s`;
  if (total < 86_400) return `${Math.floor(total / 3600)}h${pad(Math.floor((total % 3600) / 60))}m`;
  return `${Math.floor(total / 86_400)}d${pad(Math.floor((total % 86_400) / 3600))}h`;
}

/** `ratio` of `width` cells filled: `██████░░░░`. */
export function bar(ratio: number, width: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(ratio) ? ratio : 0));
  const filled = Math.round(clamped * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

const SPARKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * A sparkline of the values, one cell each (a space where a value is unknown), scaled from 0 to
 * their largest but never to less than `floor`: a steady lag of 300 ms stays a low line instead of
 * filling the cells.
 */
export function sparkline(values: ReadonlyArray<number | undefined>, floor = 0): string {
  let top = floor;
  for (const value of values) if (value !== undefined && value > top) top = value;
  return values.map((value) => {
    if (value === undefined) return ' ';
    if (top <= 0) return SPARKS[0] as string;
    return SPARKS[Math.min(SPARKS.length - 1, Math.floor((value / top) * (SPARKS.length - 1) + 0.5))] as string;
  }).join('');
}

/** `text` cut to `width` characters, with `…` when cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** `text` cut in the middle to `width` characters: an error's context and its cause both stay in view. */
export function truncateMiddle(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return truncate(text, width);
  const head = Math.ceil((width - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`;
}

/** `1 event`, `2 events` */
export function plural(count: number | undefined, noun: string): string {
  return `${formatCount(count)} ${count === 1 ? noun : `${noun}s`}`;
}

/** Seconds between an epoch-ms instant and now, as `3s ago`, `never` for 0. */
export function ago(atMs: number | undefined, nowMs: number): string {
  if (atMs === undefined) return UNKNOWN;
  if (atMs <= 0) return 'never';
  return `${formatSeconds(Math.max(0, (nowMs - atMs) / 1000))} ago`;
}
