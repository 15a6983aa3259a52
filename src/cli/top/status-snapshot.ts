// The one place where `log-capturer top` reads the capturer's GET /status answer. The capturer
// may be older or newer than this command (fields come and go as the core evolves), so nothing
// here trusts the JSON: every field is checked for its type, a missing or mistyped one becomes
// `undefined` (shown as `-`), unknown fields are ignored, and no input can throw.

export interface ContainerSnapshot {
  /** Stable key for rates across samples: the id, else the name. */
  key: string;
  id: string | undefined;
  name: string;
  image: string | undefined;
  state: string | undefined;
  /** Docker timestamp (RFC 3339) of the last line read, as the capturer reports it. */
  lastTimestamp: string | undefined;
  lines: number | undefined;
  bytes: number | undefined;
  rotations: number | undefined;
  lastError: string | undefined;
}

export interface StatusSnapshot {
  version: string | undefined;
  uptimeSeconds: number | undefined;
  docker: {
    host: string | undefined;
    /** The daemon answers now (the events stream is connected). */
    ok: boolean | undefined;
    /** Epoch ms of the daemon's last answer; 0 = never. */
    lastSuccessAt: number | undefined;
    error: string | undefined;
    /** Which daemon answers (/status capture.daemon): `docker`, `podman` or `unknown`, its version and API version. */
    kind: string | undefined;
    version: string | undefined;
    apiVersion: string | undefined;
  };
  capture: {
    paused: boolean | undefined;
    pool: {
      capacity: number | undefined;
      inUse: number | undefined;
      waiting: number | undefined;
      /** Slots held by follow streams and by polls (capturers since the pool reads by polls when shared). */
      following: number | undefined;
      polling: number | undefined;
      /** More containers run than there are slots: some are read by polls. */
      shared: boolean | undefined;
    };
    containers: ContainerSnapshot[];
  };
  ship: {
    sink: { kind: string | undefined; url: string | undefined; state: string | undefined; lastError: string | undefined; lastSuccessAt: number | undefined };
    buffer: { bytes: number | undefined; maxBytes: number | undefined; events: number | undefined; paused: boolean | undefined };
    inFlight: number | undefined;
    deadLetterEvents: number | undefined;
    acknowledgedBytes: number | undefined;
    /** Container id -> Docker timestamp of its newest acknowledged line. */
    acknowledged: Map<string, string>;
  };
}

type Json = Record<string, unknown>;

const EMPTY: Json = Object.freeze({});

function object(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : EMPTY;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A finite number; counters and sizes are never negative, so a negative one is as wrong as a string. */
function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function flag(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

function container(value: unknown): ContainerSnapshot | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const c = value as Json;
  const id = text(c.id);
  const name = text(c.name);
  const key = id ?? name;
  // Without an id or a name a row could not be followed from one sample to the next.
  if (key === undefined || key === '') return undefined;
  return {
    key,
    id,
    name: name !== undefined && name !== '' ? name : (id ?? '').slice(0, 12),
    image: text(c.image),
    state: text(c.state),
    lastTimestamp: text(c.lastTimestamp),
    lines: count(c.lines),
    bytes: count(c.bytes),
    rotations: count(c.rotations),
    lastError: text(c.lastError),
  };
}

/** Reads a parsed /status body; anything (null, an array, a string) gives a snapshot of unknowns. */
export function readStatus(body: unknown): StatusSnapshot {
  const root = object(body);
  const docker = object(root.docker);
  const capture = object(root.capture);
  const daemon = object(capture.daemon);
  const pool = object(capture.pool);
  const ship = object(root.ship);
  const sink = object(ship.sink);
  const buffer = object(ship.buffer);
  const acknowledged = new Map<string, string>();
  for (const [id, timestamp] of Object.entries(object(ship.acknowledged))) if (typeof timestamp === 'string') acknowledged.set(id, timestamp);
  const containers: ContainerSnapshot[] = [];
  const seen = new Set<string>();
  for (const item of Array.isArray(capture.containers) ? (capture.containers as unknown[]) : []) {
    const entry = container(item);
    if (entry === undefined || seen.has(entry.key)) continue;
    seen.add(entry.key);
    containers.push(entry);
  }
  return {
    version: text(root.version),
    uptimeSeconds: count(root.uptime_seconds),
    docker: {
      host: text(docker.host),
      ok: flag(docker.ok),
      lastSuccessAt: count(docker.lastSuccessAt),
      error: text(docker.error),
      kind: text(daemon.kind),
      version: text(daemon.version),
      apiVersion: text(daemon.api_version),
    },
    capture: {
      paused: flag(capture.paused),
      pool: {
        capacity: count(pool.capacity),
        inUse: count(pool.inUse),
        waiting: count(pool.waiting),
        following: count(pool.following),
        polling: count(pool.polling),
        shared: flag(pool.shared),
      },
      containers,
    },
    ship: {
      sink: { kind: text(sink.kind), url: text(sink.url), state: text(sink.state), lastError: text(sink.lastError), lastSuccessAt: count(sink.lastSuccessAt) },
      buffer: { bytes: count(buffer.bytes), maxBytes: count(buffer.maxBytes), events: count(buffer.events), paused: flag(buffer.paused) },
      inFlight: count(ship.inFlight),
      deadLetterEvents: count(ship.deadLetterEvents),
      acknowledgedBytes: count(ship.acknowledgedBytes),
      acknowledged,
    },
  };
}
