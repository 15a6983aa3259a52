// Compares what a receiver got for a container with what the daemon itself returns for it
// (Docker: docker.ts daemonLines; Podman: podman.ts podmanLines).
import type Docker from 'dockerode';
import { daemonLines } from './docker.js';
import type { ReferenceLine } from './docker.js';
import { podmanLines } from './podman.js';

export interface ReceivedRecord {
  container_id?: unknown;
  stream?: unknown;
  message?: unknown;
  timestamp?: unknown;
}

export interface OracleResult {
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
  /** First difference in order, when the sequences differ by more than duplicates. */
  firstMismatch: string | undefined;
}

const key = (stream: unknown, timestamp: unknown, message: unknown): string =>
  `${String(stream)}|${String(timestamp)}|${String(message)}`;

/**
 * Checks the receiver's records for one container against the daemon's own log of it: lost
 * lines, duplicated lines, and whether the order (duplicates removed) is the daemon's order.
 */
export async function compareWithDaemon(docker: Docker, containerId: string, records: readonly ReceivedRecord[]): Promise<OracleResult> {
  return compareWithLines(await daemonLines(docker, containerId), containerId, records);
}

/** The same against the Podman service at `host` (unix://...). */
export async function compareWithPodman(host: string, containerId: string, records: readonly ReceivedRecord[]): Promise<OracleResult> {
  return compareWithLines(await podmanLines(host, containerId), containerId, records);
}

/** The same against lines the daemon returned. */
export function compareWithLines(daemon: readonly ReferenceLine[], containerId: string, records: readonly ReceivedRecord[]): OracleResult {
  const expected = daemon.map((l) => key(l.stream, l.timestamp, l.message.toString('utf8')));
  const got = records.filter((r) => r.container_id === containerId).map((r) => key(r.stream, r.timestamp, r.message));
  const counts = new Map<string, number>();
  for (const k of got) counts.set(k, (counts.get(k) ?? 0) + 1);
  const expectedCounts = new Map<string, number>();
  for (const k of expected) expectedCounts.set(k, (expectedCounts.get(k) ?? 0) + 1);
  let lost = 0;
  let duplicated = 0;
  for (const [k, n] of expectedCounts) {
    const m = counts.get(k) ?? 0;
    if (m < n) lost += n - m;
    if (m > n) duplicated += m - n;
  }
  for (const [k, m] of counts) if (!expectedCounts.has(k)) duplicated += m; // never expected at all
  // Order: the first occurrence of each line must follow the daemon's order.
  const seen = new Set<string>();
  const firstOccurrences: string[] = [];
  for (const k of got) if (!seen.has(k)) { seen.add(k); firstOccurrences.push(k); }
  const uniqueExpected = [...new Set(expected)];
  let firstMismatch: string | undefined;
  for (let i = 0; i < Math.max(firstOccurrences.length, uniqueExpected.length); i += 1) {
    if (firstOccurrences[i] !== uniqueExpected[i]) {
      firstMismatch = `at ${i}: expected ${uniqueExpected[i]?.slice(0, 120)} got ${firstOccurrences[i]?.slice(0, 120)}`;
      break;
    }
  }
  return { expected: expected.length, received: got.length, lost, duplicated, firstMismatch };
}
