// What /status shows about capture: JSON-able, no secrets.
import type { Position } from './position.js';

/**
 * streaming   a follow stream is open and being read
 * waiting     no follow stream: more selected containers run than capture.max_streams, so it is
 *             read by polls (a read without follow every poll interval) until a slot is free
 * paused      backpressure from the ship layer: not reading now
 * stopped     the container is not running and its log was read to the end
 * unreadable  its log driver cannot be read (501); not retried
 * backoff     the daemon could not be reached; retrying after a delay
 */
export type ContainerCaptureState = 'streaming' | 'waiting' | 'paused' | 'stopped' | 'unreadable' | 'backoff';

/** How a container's log is read: the Docker log API, or its json-file log from docker.containers_dir. */
export type CaptureRoute = 'api' | 'file';
/** Why a container counts as silent (see silence.ts). */
export type SilenceReason = 'undecodable' | 'not_delivered';

/** A container that yields no line while it should: JSON for /status. */
export interface SilentVerdict {
  reason: SilenceReason;
  /** When it was first seen (ISO 8601). */
  since: string;
  /** What was seen, for a human. */
  detail: string;
}

export interface ContainerCaptureStatus {
  id: string;
  name: string;
  image: string;
  state: ContainerCaptureState;
  /** The position just after the last line handed on (where a reopened stream starts). */
  position: Position;
  /** Docker timestamp of the last line handed on, if any. */
  lastTimestamp: string | null;
  rotations: number;
  lines: number;
  bytes: number;
  route: CaptureRoute;
  /** Why the file route is not used for it, when it was expected to be (code: message). */
  fileRouteError?: string;
  /** Bytes of its log streams dropped as undecodable (not a frame, not a timestamp, not a real time). */
  undecodableBytes: number;
  /** Present while it yields no line though it should (see silence.ts). */
  silent?: SilentVerdict;
  lastError?: string;
}

export interface CaptureStatus {
  /**
   * Which daemon answers (`docker`, `podman`, or `unknown` until it could be asked), its version
   * and API version; for Podman also its libpod API version (TTY logs are read through it).
   * `stamp_resolution_ms`: positions are whole multiples of it (1000 on Podman: stamps to the second).
   */
  daemon: { kind: string; version: string; api_version: string; libpod_api_version?: string; stamp_resolution_ms: number };
  /** Containers that yield no line while they should (their entries say why). */
  silentContainers: number;
  paused: boolean;
  pool: {
    capacity: number;
    inUse: number;
    waiting: number;
    /** Follow streams open now, and polls under way. */
    following: number;
    polling: number;
    /** More containers run than there are slots: some are read by polls. */
    shared: boolean;
  };
  /**
   * docker.containers_dir as detected at start (null when unset): readable means containers that
   * log to json-file are read from their files (unless capture.route is api).
   */
  containersDir: { path: string; readable: boolean; error?: string } | null;
  containers: ContainerCaptureStatus[];
}
