// Compares what a receiver got for a container with what the daemon itself returns for it
// (Docker: docker.ts daemonLines; Podman: podman.ts podmanLines).
import type Docker from 'dockerode';
import { daemonLines } from './docker.js';
import type { ReferenceLine } from './docker.js';
import { podmanLines } from './podman.js';
import { waitFor } from './wait-for.js';

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
  return compareLines(await daemonLines(docker, containerId), containerId, records);
}

/** The same against the Podman service at `host` (unix://...). */
export async function compareWithPodman(host: string, containerId: string, records: readonly ReceivedRecord[]): Promise<OracleResult> {
  return compareLines(await podmanLines(host, containerId), containerId, records);
}

/** compareWithDaemon with the daemon's lines already read. */
export function compareLines(daemon: readonly ReferenceLine[], containerId: string, records: readonly ReceivedRecord[]): OracleResult {
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

/**
 * Waits until the receiver holds every line the daemon has for these containers, and returns
 * the comparison per container, in the order given. The containers must have exited: their logs
 * are then final and are read from the daemon once, so each observation is an in-process
 * comparison (asking the daemon for megabytes of log on every poll slowed everything on a
 * loaded machine, and one such request could outlast the stall window by itself). Progress is
 * the number of records received per container.
 */
export async function waitForDaemonLines(what: string, containers: ReadonlyArray<{ docker: Docker; id: string }>, records: readonly ReceivedRecord[]): Promise<OracleResult[]> {
  const daemon = await Promise.all(containers.map(async ({ docker, id }) => {
    const info = await docker.getContainer(id).inspect();
    if (info.State.Running) throw new Error(`waitForDaemonLines: container ${id.slice(0, 12)} is still running; wait for its exit first`);
    return daemonLines(docker, id);
  }));
  return waitForLines(what, containers.map(({ id }, i) => ({ id, lines: daemon[i] ?? [] })), records);
}

/**
 * waitForDaemonLines against the Podman service at `host` (unix://...): its own lines read by
 * test/support/podman.ts. The containers must have exited.
 */
export async function waitForPodmanLines(what: string, podman: Docker, host: string, ids: readonly string[], records: readonly ReceivedRecord[]): Promise<OracleResult[]> {
  const expected = await Promise.all(ids.map(async (id) => {
    const info = await podman.getContainer(id).inspect();
    if (info.State.Running) throw new Error(`waitForPodmanLines: container ${id.slice(0, 12)} is still running; wait for its exit first`);
    return { id, lines: await podmanLines(host, id) };
  }));
  return waitForLines(what, expected, records);
}

/** Waits until the receiver holds every one of these lines (see waitForDaemonLines). */
function waitForLines(what: string, containers: ReadonlyArray<{ id: string; lines: readonly ReferenceLine[] }>, records: readonly ReceivedRecord[]): Promise<OracleResult[]> {
  return waitFor(what, {
    watch: () => containers.map(({ id, lines }) => compareLines(lines, id, records)),
    until: (results) => results.every((r) => r.lost === 0),
    progress: (results) => results.map((r) => r.received),
    describe: (results) => results.map((r) => `${r.received} received of ${r.expected} (lost ${r.lost}, duplicated ${r.duplicated})`).join('; '),
    intervalMs: 250,
  });
}

/** waitForDaemonLines for one container. */
export async function waitForContainerLines(what: string, docker: Docker, id: string, records: readonly ReceivedRecord[]): Promise<OracleResult> {
  const [result] = await waitForDaemonLines(what, [{ docker, id }], records);
  if (result === undefined) throw new Error('waitForContainerLines: no result');
  return result;
}
