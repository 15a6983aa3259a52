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
  lastError?: string;
}

export interface CaptureStatus {
  /** Which daemon answers (`docker`, `podman`, or `unknown` until it could be asked). */
  daemon: { kind: string; version: string; api_version: string };
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
  containers: ContainerCaptureStatus[];
}
