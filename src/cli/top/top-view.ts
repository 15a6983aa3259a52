// What one frame of `log-capturer top` shows, computed from successive samples. Rates are the
// difference of two samples' counters over the time between them; the lag trend is the last few
// samples' lag. Pure data, no terminal: the Ink frame (top-frame.tsx) and --json both print it.
import type { Sample } from './capturer-client.js';
import type { ContainerSnapshot } from './status-snapshot.js';

export const CONTAINER_STATES = ['streaming', 'waiting', 'paused', 'backoff', 'stopped', 'unreadable'] as const;

/** How many samples of lag a row keeps for its trend. */
export const TREND_LENGTH = 10;
/** Lag at or above this, while it falls, counts as a backlog being caught up. */
export const BACKLOG_MIN_LAG_SECONDS = 10;

export type SortKey = 'lag' | 'rate' | 'name';
export const SORT_KEYS: readonly SortKey[] = ['lag', 'rate', 'name'];

export interface SortOrder {
  key: SortKey;
  /** The key's natural order turned around (lag and rate: largest first; name: a to z). */
  reversed: boolean;
}

export interface Backlog {
  /** 0..1: how much of the largest lag seen since top started watching has been caught up. */
  progress: number;
  /** At the speed the lag fell over the trend window. */
  etaSeconds: number;
}

export interface ContainerRow {
  key: string;
  name: string;
  state: string | undefined;
  linesPerSecond: number | undefined;
  /** How far behind delivery is now, in seconds (see lagOf); undefined when unknown. */
  lagSeconds: number | undefined;
  /** Oldest first, at most TREND_LENGTH values (undefined where a sample had none). */
  lagTrend: Array<number | undefined>;
  backlog: Backlog | undefined;
  lastError: string | undefined;
}

export interface Rates {
  linesIn: number | undefined;
  bytesIn: number | undefined;
  linesAcknowledged: number | undefined;
  bytesAcknowledged: number | undefined;
}

export interface TopView {
  /** Where the data comes from (no credentials). */
  address: string;
  /** Epoch ms of the sample shown. */
  at: number;
  version: string | undefined;
  uptimeSeconds: number | undefined;
  docker: {
    host: string | undefined;
    /** `docker 20.10.24, API 1.41`, `podman 4.3.1, API 1.41`; undefined until the daemon was identified. */
    daemon: string | undefined;
    healthy: boolean | undefined;
    answering: boolean | undefined;
    lastAnsweredAt: number | undefined;
    error: string | undefined;
  };
  receiver: { kind: string | undefined; url: string | undefined; healthy: boolean | undefined; state: string | undefined; lastAcceptedAt: number | undefined; lastError: string | undefined };
  /** All of docker, sink, checkpoint and server healthy, as /readyz decides; undefined when /metrics did not say. */
  ready: boolean | undefined;
  /** The components that are not healthy. */
  failing: string[];
  rates: Rates;
  buffer: { bytes: number | undefined; maxBytes: number | undefined; events: number | undefined; inFlight: number | undefined; capturePaused: boolean | undefined };
  streams: { open: number | undefined; max: number | undefined; waiting: number | undefined; following: number | undefined; polling: number | undefined; shared: boolean | undefined };
  /** Containers per state, in CONTAINER_STATES order, then any state this version does not know. */
  states: Array<{ state: string; count: number }>;
  containers: ContainerRow[];
  /** Set when the latest attempt (at epoch ms `at`) failed: the view then shows the last sample that arrived. */
  problem: { message: string; at: number } | undefined;
}

function daemonText(kind: string | undefined, version: string | undefined, apiVersion: string | undefined): string | undefined {
  if (kind === undefined || kind === '' || kind === 'unknown') return undefined;
  const parts = [version !== undefined && version !== '' ? `${kind} ${version}` : kind];
  if (apiVersion !== undefined && apiVersion !== '') parts.push(`API ${apiVersion}`);
  return parts.join(', ');
}

function rate(now: number | undefined, before: number | undefined, seconds: number): number | undefined {
  if (now === undefined || before === undefined || seconds <= 0 || now < before) return undefined;
  return (now - before) / seconds;
}

interface RowHistory {
  lag: Array<number | undefined>;
  times: number[];
  peakLag: number;
}

/**
 * Follows one capturer across samples. A capturer that restarted (uptime went down) starts the
 * history again, so no rate is computed across the restart.
 */
export class TopSession {
  private previous: Sample | undefined;
  private latest: TopView | undefined;
  private readonly history = new Map<string, RowHistory>();

  constructor(private readonly address: string) {}

  /** The view of a new sample. */
  update(sample: Sample): TopView {
    const previous = this.previous;
    const restarted = previous !== undefined && sample.status.uptimeSeconds !== undefined && previous.status.uptimeSeconds !== undefined
      && sample.status.uptimeSeconds < previous.status.uptimeSeconds;
    const before = restarted ? undefined : previous;
    if (restarted) this.history.clear();
    const seconds = before === undefined ? 0 : (sample.at - before.at) / 1000;
    const { status, metrics } = sample;

    const beforeLines = new Map(before?.status.capture.containers.map((c) => [c.key, c.lines]) ?? []);
    const present = new Set<string>();
    const containers: ContainerRow[] = status.capture.containers.map((c) => {
      present.add(c.key);
      const linesPerSecond = rate(c.lines, beforeLines.get(c.key), seconds);
      const lagSeconds = lagOf(c, c.id === undefined ? undefined : status.ship.acknowledged.get(c.id), linesPerSecond, sample.at);
      const history = this.remember(c.key, lagSeconds, sample.at);
      return {
        key: c.key,
        name: c.name,
        state: c.state,
        linesPerSecond,
        lagSeconds,
        lagTrend: [...history.lag],
        backlog: backlogOf(history, lagSeconds),
        lastError: c.lastError,
      };
    });
    for (const key of this.history.keys()) if (!present.has(key)) this.history.delete(key);

    const counts = new Map<string, number>(CONTAINER_STATES.map((s) => [s, 0]));
    for (const c of status.capture.containers) {
      const state = c.state ?? 'unknown';
      counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    const health = metrics.health;
    const verdicts = [['docker', health.docker], ['sink', health.sink], ['checkpoint', health.checkpoint], ['server', health.server]] as const;
    const known = verdicts.every(([, ok]) => ok !== undefined);

    const view: TopView = {
      address: this.address,
      at: sample.at,
      version: status.version,
      uptimeSeconds: status.uptimeSeconds,
      docker: {
        host: status.docker.host,
        daemon: daemonText(status.docker.kind, status.docker.version, status.docker.apiVersion),
        healthy: health.docker,
        answering: status.docker.ok,
        lastAnsweredAt: status.docker.lastSuccessAt,
        error: status.docker.error,
      },
      receiver: {
        kind: status.ship.sink.kind,
        url: status.ship.sink.url,
        healthy: health.sink,
        state: status.ship.sink.state,
        lastAcceptedAt: status.ship.sink.lastSuccessAt,
        lastError: status.ship.sink.lastError,
      },
      ready: known ? verdicts.every(([, ok]) => ok === true) : undefined,
      failing: verdicts.filter(([, ok]) => ok === false).map(([name]) => name),
      rates: {
        linesIn: rate(metrics.linesRead, before?.metrics.linesRead, seconds),
        bytesIn: rate(metrics.bytesRead, before?.metrics.bytesRead, seconds),
        linesAcknowledged: rate(metrics.eventsSent, before?.metrics.eventsSent, seconds),
        bytesAcknowledged: rate(status.ship.acknowledgedBytes, before?.status.ship.acknowledgedBytes, seconds),
      },
      buffer: {
        bytes: status.ship.buffer.bytes,
        maxBytes: status.ship.buffer.maxBytes,
        events: status.ship.buffer.events,
        inFlight: status.ship.inFlight,
        capturePaused: status.capture.paused ?? status.ship.buffer.paused,
      },
      streams: { open: status.capture.pool.inUse, max: status.capture.pool.capacity, waiting: status.capture.pool.waiting, following: status.capture.pool.following, polling: status.capture.pool.polling, shared: status.capture.pool.shared },
      states: [...counts].filter(([state, count]) => count > 0 || (CONTAINER_STATES as readonly string[]).includes(state)).map(([state, count]) => ({ state, count })),
      containers,
      problem: undefined,
    };
    this.previous = sample;
    this.latest = view;
    return view;
  }

  /** The view after a failed attempt: the last sample's data, with the problem said. */
  failed(message: string, at: number): TopView | undefined {
    if (this.latest === undefined) return undefined;
    this.latest = { ...this.latest, problem: { message, at } };
    return this.latest;
  }

  private remember(key: string, lag: number | undefined, at: number): RowHistory {
    let history = this.history.get(key);
    if (history === undefined) {
      history = { lag: [], times: [], peakLag: 0 };
      this.history.set(key, history);
    }
    history.lag.push(lag);
    history.times.push(at);
    if (history.lag.length > TREND_LENGTH) {
      history.lag.shift();
      history.times.shift();
    }
    if (lag !== undefined) history.peakLag = lag < BACKLOG_MIN_LAG_SECONDS ? 0 : Math.max(history.peakLag, lag);
    return history;
  }
}

/** Epoch ms of a Docker RFC 3339 timestamp (`2026-11-29T00:38:22.652702702Z`; the nanoseconds are cut). */
function timestampMs(timestamp: string | undefined): number | undefined {
  if (timestamp === undefined) return undefined;
  const ms = Date.parse(timestamp.length > 24 && timestamp.endsWith('Z') ? `${timestamp.slice(0, 23)}Z` : timestamp);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * How far behind a container's delivery is now, in seconds, from the newest line read
 * (/status capture) and the newest line acknowledged (/status ship.acknowledged):
 *  - lines read and not acknowledged yet: the time since the newest acknowledged line (the oldest
 *    line still waiting is at least that old), or since the newest line read when none is;
 *  - lines being read (a rate above zero): at least the time since the newest line read, which is
 *    how a backlog being read shows;
 *  - otherwise 0: all it read is acknowledged and nothing new comes (an idle container is not behind).
 * Undefined when it never had a line and reads none (waiting for its first turn, unreadable).
 */
export function lagOf(c: ContainerSnapshot, acknowledged: string | undefined, linesPerSecond: number | undefined, now: number): number | undefined {
  const readMs = timestampMs(c.lastTimestamp);
  const acknowledgedMs = timestampMs(acknowledged);
  if (readMs === undefined && acknowledgedMs === undefined) return c.state === 'streaming' || c.state === 'stopped' ? 0 : undefined;
  const since = (ms: number): number => Math.max(0, (now - ms) / 1000);
  let lag = 0;
  if (readMs !== undefined) {
    const pending = acknowledgedMs === undefined || (c.lastTimestamp !== acknowledged && readMs >= acknowledgedMs);
    if (pending) lag = since(acknowledgedMs ?? readMs);
    if (linesPerSecond !== undefined && linesPerSecond > 0) lag = Math.max(lag, since(readMs));
  }
  return lag;
}

/**
 * A backlog is being caught up while the lag is large and falls: how far along since the largest
 * lag seen, and how long to go at the speed it fell over the trend window.
 */
function backlogOf(history: RowHistory, lag: number | undefined): Backlog | undefined {
  if (lag === undefined || lag < BACKLOG_MIN_LAG_SECONDS) return undefined;
  const first = history.lag.findIndex((value) => value !== undefined);
  if (first < 0 || first >= history.lag.length - 1) return undefined;
  const fallen = (history.lag[first] as number) - lag;
  const elapsed = ((history.times[history.times.length - 1] as number) - (history.times[first] as number)) / 1000;
  if (fallen <= 0 || elapsed <= 0) return undefined;
  return { progress: Math.min(1, Math.max(0, 1 - lag / history.peakLag)), etaSeconds: lag / (fallen / elapsed) };
}

/** Rows in the order asked for; ties and unknowns (shown last) by name, so the order never flickers. */
export function sortRows(rows: readonly ContainerRow[], order: SortOrder): ContainerRow[] {
  const byName = (a: ContainerRow, b: ContainerRow): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const direction = order.reversed ? -1 : 1;
  if (order.key === 'name') return [...rows].sort((a, b) => direction * byName(a, b));
  const value = (row: ContainerRow): number | undefined => (order.key === 'lag' ? row.lagSeconds : row.linesPerSecond);
  return [...rows].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === undefined || vb === undefined) return va === vb ? byName(a, b) : va === undefined ? 1 : -1;
    return va !== vb ? direction * (vb - va) : byName(a, b);
  });
}
