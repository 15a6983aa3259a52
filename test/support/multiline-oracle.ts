// The oracle for multiline records: the daemon's own lines of a container (read without follow),
// grouped per stream by the same rule and limits, are the records capture must ship.
import type { CapturedLine } from '../../src/capture/captured-line.js';
import { LineGrouper } from '../../src/capture/line-grouper.js';
import type { GroupLimits } from '../../src/capture/line-grouper.js';
import { MULTILINE_OFF } from '../../src/capture/multiline-rule.js';
import type { MultilineRule, MultilineSettings } from '../../src/capture/multiline-rule.js';
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

// ---- what the multiline tests run ------------------------------------------------------

/** Java traces and Go panics (continue_through); some traces pause 150 ms in the middle, past a rotation. */
export function javaAndGoScript(rounds: number): string {
  return [
    `i=0; while [ $i -lt ${rounds} ]; do`,
    "  printf 'INFO request %d ok\\njava.lang.IllegalStateException: boom %d\\n\\tat com.example.Service.handle(Service.java:%d)\\n\\tat com.example.Server.run(Server.java:88)\\nCaused by: java.io.IOException: closed %d\\n\\tat java.base/java.io.File.read(File.java:1)\\n\\t... 2 more\\n' $i $i $i $i",
    "  printf 'panic: runtime error: index out of range [%d] with length 3\\n\\ngoroutine 1 [running]:\\nmain.main()\\n\\t/app/main.go:%d +0x1d\\nexit status 2\\n' $i $i >&2",
    "  if [ $((i % 15)) -eq 7 ]; then printf 'java.lang.Error: slow %d\\n\\tat A.a(A.java:1)\\n' $i; printf 'panic: slow %d\\n\\ngoroutine 7 [running]:\\n' $i >&2; usleep 150000; printf '\\tat B.b(B.java:2)\\n'; printf 'main.slow()\\n\\t/app/slow.go:1\\n' >&2; fi",
    '  i=$((i+1)); [ $((i % 10)) -eq 0 ] && usleep 20000',
    'done',
    "echo 'INFO done'; echo 'WARN done' >&2",
  ].join('\n');
}

/** Python tracebacks after bracketed log lines (halt_before on `[`), on both streams. */
export function pythonScript(rounds: number): string {
  return [
    `i=0; while [ $i -lt ${rounds} ]; do`,
    "  printf '[%d] INFO handled\\n[%d] ERROR failed\\nTraceback (most recent call last):\\n  File \"/app/main.py\", line %d, in <module>\\n    main()\\n  File \"/app/main.py\", line 3, in main\\n    raise ValueError(\"bad %d\")\\nValueError: bad %d\\n' $i $i $i $i $i",
    "  printf '[%d] WARN on stderr\\nTraceback (most recent call last):\\n  File \"/app/w.py\", line 1, in <module>\\nKeyError: %d\\n' $i $i >&2",
    "  if [ $((i % 15)) -eq 3 ]; then printf '[%d] ERROR slow\\nTraceback (most recent call last):\\n' $i; usleep 150000; printf '  File \"/app/s.py\", line 9, in <module>\\nOSError: slow\\n'; fi",
    '  i=$((i+1)); [ $((i % 10)) -eq 0 ] && usleep 20000',
    'done',
    "printf '[end] last\\n'; printf '[end] last err\\n' >&2",
  ].join('\n');
}

/** The rule for every container in these tests: Java and Go traces, continue_through. */
export const GLOBAL_RULE: MultilineSettings = {
  ...MULTILINE_OFF,
  startPattern: '^[^\\s]',
  conditionPattern: '^(\\s|Caused by:|goroutine |main\\.|exit status|$)',
  mode: 'continue_through',
  // Long enough that only the container's end completes the last groups, however loaded the machine.
  timeoutMs: 30_000,
  maxLines: 12,
};

/** Labels of the Python container: its own rule, halt_before on lines that start with `[`. */
export const PYTHON_LABELS = {
  'log-capturer.multiline.start_pattern': '',
  'log-capturer.multiline.condition_pattern': '^\\[',
  'log-capturer.multiline.mode': 'halt_before',
};

