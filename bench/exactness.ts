// The bench's exactness check at size: what the receiver got for one container, compared with
// what the daemon itself returns for it without follow (the project's oracle, test/support), line
// for line, in order. Equal, or counted: which lines never arrived, which arrived more than once,
// which arrived out of the daemon's order, and which arrived with another stamp or stream.
import type { ReferenceLine } from '../test/support/docker.js';
import type { ReceivedRecord } from './counting-receiver.js';

export interface ExactnessReport {
  /** Lines the daemon returns without follow. */
  expected: number;
  /** Records received for the container. */
  delivered: number;
  /** Expected lines that never arrived (by stream and message; a line repeated by the container counts each time). */
  lost: number;
  /** Arrivals beyond the expected count of a line, or of a line the daemon does not have. */
  duplicated: number;
  /** First arrivals of a line that came after a line the daemon has later (inversions of order). */
  outOfOrder: number;
  /** First arrivals whose stamp differs from the daemon's. */
  differing: number;
  /** The first index at which the two sequences differ, described; null when equal. */
  firstDifference: string | null;
}

function describe(line: { timestamp: string; stream: string; message: string } | undefined): string {
  if (!line) return '(none)';
  const text = line.message.length > 40 ? `${line.message.slice(0, 40)}... (${line.message.length} chars)` : line.message;
  return `${line.timestamp} ${line.stream} ${JSON.stringify(text)}`;
}

export function compareWithOracle(oracle: readonly ReferenceLine[], delivered: readonly ReceivedRecord[]): ExactnessReport {
  const expected = oracle.map((line) => ({ timestamp: line.timestamp, stream: line.stream, message: line.message.toString('utf8') }));
  let firstDifference: string | null = null;
  for (let i = 0; i < Math.max(expected.length, delivered.length); i += 1) {
    const want = expected[i];
    const got = delivered[i];
    if (want && got && want.timestamp === got.timestamp && want.stream === got.stream && want.message === got.message) continue;
    firstDifference = `line ${i + 1}: the daemon has ${describe(want)}, the receiver got ${describe(got)}`;
    break;
  }
  if (firstDifference === null) return { expected: expected.length, delivered: delivered.length, lost: 0, duplicated: 0, outOfOrder: 0, differing: 0, firstDifference };

  // Where each line is in the daemon's order; a line the container printed several times has
  // several places, taken in turn by its arrivals.
  const places = new Map<string, number[]>();
  expected.forEach((line, index) => {
    const key = `${line.stream}\n${line.message}`;
    const list = places.get(key);
    if (list) list.push(index);
    else places.set(key, [index]);
  });
  const used = new Map<string, number>();
  let duplicated = 0;
  let outOfOrder = 0;
  let differing = 0;
  let latest = -1;
  for (const got of delivered) {
    const key = `${got.stream}\n${got.message}`;
    const list = places.get(key) ?? [];
    const taken = used.get(key) ?? 0;
    used.set(key, taken + 1);
    const index = list[taken];
    if (index === undefined) {
      duplicated += 1;
      continue;
    }
    if (index < latest) outOfOrder += 1;
    else latest = index;
    if ((expected[index] as { timestamp: string }).timestamp !== got.timestamp) differing += 1;
  }
  let lost = 0;
  for (const [key, list] of places) lost += Math.max(0, list.length - (used.get(key) ?? 0));
  return { expected: expected.length, delivered: delivered.length, lost, duplicated, outOfOrder, differing, firstDifference };
}
