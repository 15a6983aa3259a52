// The oracle for multiline records: the daemon's own lines of a container (read without follow),
// grouped per stream by the same rule and limits, are the records capture must ship.
import type { CapturedLine } from '../../src/capture/captured-line.js';
import { LineGrouper } from '../../src/capture/line-grouper.js';
import type { GroupLimits } from '../../src/capture/line-grouper.js';
import type { MultilineRule } from '../../src/capture/multiline-rule.js';
import type { ReferenceLine } from './docker.js';

/** A record as the oracle compares it (the fields of an NDJSON record that multiline sets). */
export interface MultilineRecord {
  stream: 'stdout' | 'stderr';
  timestamp: string;
  message: string;
  /** multiline_lines, or 1 when absent. */
  lines: number;
  cut: boolean;
}

/** One key per record: equal keys mean the same record. */
export function recordKey(r: MultilineRecord): string {
  return `${r.stream}|${r.timestamp}|${r.lines}|${r.cut ? 'cut' : ''}|${r.message}`;
}

/** A received NDJSON record (from a stand-in receiver) as the oracle compares it. */
export function fromNdjson(event: Record<string, unknown>): MultilineRecord {
  return {
    stream: event.stream === 'stderr' ? 'stderr' : 'stdout',
    timestamp: String(event.timestamp),
    message: String(event.message),
    lines: typeof event.multiline_lines === 'number' ? event.multiline_lines : 1,
    cut: event.multiline_cut === true,
  };
}

/** A captured line from the engine as the oracle compares it. */
export function fromCaptured(c: CapturedLine): MultilineRecord {
  return { stream: c.line.stream, timestamp: c.line.timestamp, message: c.line.message.toString('utf8'), lines: c.multiline?.lines ?? 1, cut: c.multiline?.cut === true };
}

/** The daemon's lines grouped by the rule, per stream, in order: what must be shipped. */
export function expectedRecords(lines: readonly ReferenceLine[], rule: MultilineRule, limits: GroupLimits): MultilineRecord[] {
  const out: MultilineRecord[] = [];
  const groupers = { stdout: new LineGrouper<ReferenceLine, null>(rule, limits), stderr: new LineGrouper<ReferenceLine, null>(rule, limits) };
  const record = (items: ReferenceLine[], cut: boolean): MultilineRecord => {
    const first = items[0] as ReferenceLine;
    return { stream: first.stream, timestamp: first.timestamp, message: items.map((l) => l.message.toString('utf8')).join('\n'), lines: items.length, cut };
  };
  for (const line of lines) {
    const text = line.message.toString('utf8');
    const step = groupers[line.stream].offer(line, text, line.message.length, null);
    for (const { group, end } of step.ended) out.push(record(group.items, end === 'limit' || group.continued));
    if (step.line === 'single') out.push(record([line], false));
  }
  for (const grouper of Object.values(groupers)) {
    const rest = grouper.flush();
    if (rest !== undefined) out.push(record(rest.items, rest.continued));
  }
  return out;
}

export interface MultilineComparison {
  expected: number;
  received: number;
  /** Expected records never received. */
  missing: string[];
  /** Received records that are no expected record (fragments, or wrong joins). */
  foreign: string[];
  /** Receptions beyond the first of an expected record. */
  duplicated: number;
  /** Per stream, the first receptions out of the expected order (the first one found). */
  outOfOrder: string | undefined;
}

/** Compares received records with the expected ones, per stream (the streams are grouped apart). */
export function compareRecords(expected: readonly MultilineRecord[], received: readonly MultilineRecord[]): MultilineComparison {
  const expectedKeys = new Set(expected.map(recordKey));
  const seen = new Map<string, number>();
  const foreign: string[] = [];
  for (const r of received) {
    const k = recordKey(r);
    if (!expectedKeys.has(k)) foreign.push(k.slice(0, 200));
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  let duplicated = 0;
  for (const n of seen.values()) duplicated += n - 1;
  const missing = expected.map(recordKey).filter((k) => !seen.has(k)).map((k) => k.slice(0, 200));
  let outOfOrder: string | undefined;
  for (const stream of ['stdout', 'stderr'] as const) {
    const want = expected.filter((r) => r.stream === stream).map(recordKey);
    const firsts: string[] = [];
    const once = new Set<string>();
    for (const r of received) {
      if (r.stream !== stream) continue;
      const k = recordKey(r);
      if (!once.has(k) && expectedKeys.has(k)) {
        once.add(k);
        firsts.push(k);
      }
    }
    const order = want.filter((k) => once.has(k));
    const at = order.findIndex((k, i) => firsts[i] !== k);
    if (at >= 0 && outOfOrder === undefined) outOfOrder = `${stream} at ${at}: expected ${order[at]?.slice(0, 120)} got ${firsts[at]?.slice(0, 120)}`;
  }
  return { expected: expected.length, received: received.length, missing, foreign, duplicated, outOfOrder };
}
