// One frame of `log-capturer top` as lines of styled spans, laid out for a given width. The text
// is the same with and without colour (colour only marks what the words already say), so the
// plain frame of --once, a NO_COLOR terminal and the tests all read the same.
import { UNKNOWN, ago, bar, formatBytes, formatCount, formatRate, formatSeconds, plural, sparkline, truncate, truncateMiddle } from './format.js';
import type { ContainerRow, SortOrder, TopView } from './top-view.js';
import { BACKLOG_MIN_LAG_SECONDS, TREND_LENGTH, sortRows } from './top-view.js';

export type SpanColor = 'green' | 'yellow' | 'red' | 'cyan' | 'gray';

export interface Span {
  text: string;
  color?: SpanColor;
  bold?: boolean;
}

export type Line = Span[];

export interface FrameOptions {
  /** Terminal columns; the frame never prints wider. */
  width: number;
  order: SortOrder;
  /** Lines the frame may use (the live view: the terminal's rows); undefined = every container. */
  height?: number | undefined;
  /** The live view shows its keys in the footer. */
  showKeys?: boolean;
}

export const MIN_WIDTH = 60;
const LABEL_WIDTH = 11;
const GAP = '  ';

const STATE_COLORS: Record<string, SpanColor> = {
  streaming: 'green',
  waiting: 'yellow',
  paused: 'yellow',
  backoff: 'red',
  unreadable: 'red',
  stopped: 'gray',
};

const SORT_TEXT: Record<SortOrder['key'], [string, string]> = {
  lag: ['lag, slowest first', 'lag, least behind first'],
  rate: ['lines/s, busiest first', 'lines/s, quietest first'],
  name: ['name', 'name, z to a'],
};

function span(text: string, color?: SpanColor, bold?: boolean): Span {
  return { text, ...(color !== undefined ? { color } : {}), ...(bold === true ? { bold } : {}) };
}

function label(text: string): Span {
  return span(text.padEnd(LABEL_WIDTH), undefined, true);
}

function lineLength(line: Line): number {
  return line.reduce((total, s) => total + s.text.length, 0);
}

/** Cuts a line to `width` characters, span by span. */
function fit(line: Line, width: number): Line {
  const out: Line = [];
  let room = width;
  for (const s of line) {
    if (room <= 0) break;
    if (s.text.length <= room) {
      out.push(s);
      room -= s.text.length;
    } else {
      out.push({ ...s, text: truncate(s.text, room) });
      room = 0;
    }
  }
  return out;
}

function health(ok: boolean | undefined): Span {
  if (ok === undefined) return span(UNKNOWN);
  return ok ? span('ok', 'green') : span('DOWN', 'red', true);
}

function titleLine(view: TopView, width: number): Line {
  const left: Line = [
    span('log-capturer', 'cyan', true),
    span(` ${view.version ?? UNKNOWN}`),
    span(`  up ${formatSeconds(view.uptimeSeconds)}`),
    span(`  ${view.address}`),
  ];
  const right: Span = view.ready === undefined ? span('readiness -') : view.ready ? span('READY', 'green', true) : span(`NOT READY: ${view.failing.join(', ')}`, 'red', true);
  const room = width - lineLength(left) - right.text.length;
  return room >= 2 ? [...left, span(' '.repeat(room)), right] : [...left, span('  '), right];
}

/** Errors as one short line: whitespace collapsed, 64-hex container ids cut to the 12 `docker ps` shows. */
export function errorText(error: string): string {
  return error.replace(/\b([0-9a-f]{12})[0-9a-f]{52}\b/g, '$1').replace(/\s+/g, ' ').trim();
}

function dockerLine(view: TopView): Line {
  const d = view.docker;
  const line: Line = [label('docker'), span(d.host ?? UNKNOWN), span(d.daemon === undefined ? GAP : ` (${d.daemon})${GAP}`)];
  if (d.answering !== false) {
    line.push(health(d.healthy ?? d.answering));
    return line;
  }
  // Not answering now; still counted healthy within /readyz's window.
  line.push(d.healthy === true ? span('not answering', 'yellow') : span('DOWN', 'red', true));
  line.push(span(` · last answered ${ago(d.lastAnsweredAt, view.at)}`));
  if (d.error !== undefined) line.push(span(` · ${errorText(d.error)}`, d.healthy === true ? 'yellow' : 'red'));
  return line;
}

function receiverLine(view: TopView): Line {
  const r = view.receiver;
  const line: Line = [label('receiver'), span(`${r.kind ?? UNKNOWN} ${r.url ?? UNKNOWN}`), span(GAP)];
  const color: SpanColor = r.healthy === false || r.state === 'config-error' ? 'red' : 'yellow';
  if (r.state === 'config-error') line.push(span('CONFIGURATION ERROR', 'red', true));
  else if (r.state === 'retrying') line.push(span(r.healthy === false ? 'DOWN, retrying' : 'retrying', color, r.healthy === false));
  else line.push(health(r.healthy));
  line.push(span(` · last accepted ${ago(r.lastAcceptedAt, view.at)}`));
  if (r.lastError !== undefined && (r.state === 'retrying' || r.state === 'config-error')) line.push(span(` · ${errorText(r.lastError)}`, color));
  return line;
}

function ratesLine(view: TopView): Line {
  const r = view.rates;
  return [
    label('in'),
    span(`${formatRate(r.linesIn)} lines/s · ${formatBytes(r.bytesIn)}/s`.padEnd(30)),
    span('acknowledged ', undefined, true),
    span(`${formatRate(r.linesAcknowledged)} lines/s · ${formatBytes(r.bytesAcknowledged)}/s`),
  ];
}

/** Bars take 20 cells on a wide terminal, 10 on a narrow one. */
function barWidth(width: number): number {
  return width >= 100 ? 20 : 10;
}

function bufferLine(view: TopView, width: number): Line {
  const b = view.buffer;
  const line: Line = [label('buffer')];
  if (b.bytes !== undefined && b.maxBytes !== undefined && b.maxBytes > 0) {
    const ratio = b.bytes / b.maxBytes;
    line.push(span(bar(ratio, barWidth(width)), ratio >= 0.8 ? 'red' : ratio >= 0.5 ? 'yellow' : 'green'), span(` ${String(Math.round(ratio * 100)).padStart(3)}%  `));
  }
  line.push(span(`${formatBytes(b.bytes)} of ${formatBytes(b.maxBytes)} · ${plural(b.events, 'event')} · ${plural(b.inFlight, 'request')} in flight`));
  if (b.capturePaused === true) line.push(span(' · CAPTURE PAUSED (buffer full)', 'yellow', true));
  return line;
}

function streamsLine(view: TopView, width: number): Line {
  const s = view.streams;
  const line: Line = [label('streams')];
  if (s.open !== undefined && s.max !== undefined && s.max > 0) line.push(span(bar(s.open / s.max, barWidth(width)), 'cyan'), span(' '));
  line.push(span(`${formatCount(s.open)} of ${formatCount(s.max)} slots (max_streams)`));
  // Since the pool reads by polls when more containers run than it has slots, it says how it splits.
  if (s.following !== undefined && s.polling !== undefined) line.push(span(`: ${formatCount(s.following)} following, ${formatCount(s.polling)} polling`));
  line.push(span(` · ${formatCount(s.waiting)} waiting`));
  if (s.shared === true) line.push(span(' · shared: some containers are read by polls', 'yellow'));
  return line;
}

/** The total, then each state that has containers. */
function statesLine(view: TopView): Line {
  const total = view.states.reduce((sum, s) => sum + s.count, 0);
  const line: Line = [label('containers'), span(`${total}`)];
  view.states.filter(({ count }) => count > 0).forEach(({ state, count }, i) => {
    const color = state === 'backoff' || state === 'unreadable' ? 'red' : undefined;
    line.push(span(i === 0 ? ': ' : ' · '), span(`${count} ${state}`, color));
  });
  return line;
}

interface Columns {
  name: number;
  catchUp: number;
  error: number;
}

const STATE_WIDTH = 10;
const RATE_WIDTH = 8;
const LAG_WIDTH = 7;
const CATCH_UP_WIDTH = 12;

function columns(rows: readonly ContainerRow[], width: number): Columns {
  const catchUp = rows.some((r) => r.backlog !== undefined) ? CATCH_UP_WIDTH : 0;
  const fixed = STATE_WIDTH + RATE_WIDTH + LAG_WIDTH + TREND_LENGTH + (catchUp > 0 ? catchUp + GAP.length : 0) + 5 * GAP.length;
  const longest = rows.reduce((max, r) => Math.max(max, r.name.length), 4);
  // Names before errors: on a narrow terminal the error column gives way first.
  const name = Math.max(8, Math.min(longest, 32, width - fixed));
  return { name, catchUp, error: Math.max(0, width - fixed - name) };
}

function headerRow(cols: Columns): Line {
  const cells = ['NAME'.padEnd(cols.name), 'STATE'.padEnd(STATE_WIDTH), 'LINES/S'.padStart(RATE_WIDTH), 'LAG'.padStart(LAG_WIDTH), 'LAG TREND'.padEnd(TREND_LENGTH)];
  if (cols.catchUp > 0) cells.push('CATCH-UP'.padEnd(cols.catchUp));
  if (cols.error >= 'LAST ERROR'.length) cells.push('LAST ERROR');
  return [span(cells.join(GAP), undefined, true)];
}

function lagColor(lag: number | undefined): SpanColor | undefined {
  if (lag === undefined) return undefined;
  return lag >= 60 ? 'red' : lag >= BACKLOG_MIN_LAG_SECONDS ? 'yellow' : undefined;
}

function containerRow(row: ContainerRow, cols: Columns): Line {
  const state = row.state ?? UNKNOWN;
  const line: Line = [
    span(truncate(row.name, cols.name).padEnd(cols.name)), span(GAP),
    span(truncate(state, STATE_WIDTH).padEnd(STATE_WIDTH), STATE_COLORS[state]), span(GAP),
    span(formatRate(row.linesPerSecond).padStart(RATE_WIDTH)), span(GAP),
    span(formatSeconds(row.lagSeconds).padStart(LAG_WIDTH), lagColor(row.lagSeconds)), span(GAP),
    span(sparkline(row.lagTrend, BACKLOG_MIN_LAG_SECONDS).padEnd(TREND_LENGTH), lagColor(row.lagSeconds)), span(GAP),
  ];
  if (cols.catchUp > 0) {
    const b = row.backlog;
    const text = b === undefined ? '' : `${Math.floor(b.progress * 100)}% ~${formatSeconds(b.etaSeconds)}`;
    line.push(span(truncate(text, cols.catchUp).padEnd(cols.catchUp), 'yellow'), span(GAP));
  }
  if (row.lastError !== undefined) line.push(span(truncateMiddle(errorText(row.lastError), cols.error), 'red'));
  return line;
}

function footer(order: SortOrder, showKeys: boolean): Line {
  const line: Line = [span(`sorted by ${SORT_TEXT[order.key][order.reversed ? 1 : 0]}`, 'gray')];
  if (showKeys) line.push(span(' · keys: l lag, r rate, n name (again: reverse), q quit', 'gray'));
  return line;
}

/** The frame: header, one row per container (as many as fit in `height`), footer. */
export function frameLines(view: TopView, options: FrameOptions): Line[] {
  const width = Math.max(MIN_WIDTH, options.width);
  const header: Line[] = [titleLine(view, width), dockerLine(view), receiverLine(view), ratesLine(view), bufferLine(view, width), streamsLine(view, width), statesLine(view)];
  if (view.problem !== undefined) header.push([span(`! showing the sample from ${ago(view.at, view.problem.at)}, trying again: ${view.problem.message}`, 'red', true)]);
  header.push([]);

  const rows = sortRows(view.containers, options.order);
  const body: Line[] = [];
  if (rows.length === 0) {
    body.push([span('no container is selected for capture', 'gray')]);
  } else {
    const cols = columns(rows, width);
    body.push(headerRow(cols));
    // The live view keeps header, table header, footer and one spare line on the screen.
    const room = options.height === undefined ? rows.length : Math.max(1, options.height - header.length - 3);
    const shown = rows.length > room ? rows.slice(0, room - 1) : rows;
    for (const row of shown) body.push(containerRow(row, cols));
    if (shown.length < rows.length) body.push([span(`… ${rows.length - shown.length} more containers (make the terminal taller to see them)`, 'gray')]);
  }
  return [...header, ...body, footer(options.order, options.showKeys === true)].map((line) => fit(line, width));
}

/** The frame as plain text: what --once prints to a pipe. */
export function frameText(lines: readonly Line[]): string {
  return lines.map((line) => line.map((s) => s.text).join('').trimEnd()).join('\n');
}
