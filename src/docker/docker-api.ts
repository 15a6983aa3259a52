// What the rest of the capturer may ask of the Docker Engine API: a small, read-only interface.
// DockerReader implements it over dockerode's modem; unit tests implement it in memory
// (test/support/fake-docker.ts), so the capture engine's state machine is tested without a daemon.
// Every method rejects with a DockerError (docker-error.ts), never with anything else.
import type { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import type { ContainerInfo } from './container-info.js';

export interface ContainerSummary {
  /** Full 64-hex id. */
  id: string;
  /** Name without the leading `/`. */
  name: string;
  running: boolean;
}

/** GET /containers/{id}/logs always asks for stdout, stderr and timestamps; these are the rest. */
export interface LogQuery {
  /** Keep the stream open and follow new lines (ends when the container stops). */
  follow: boolean;
  /**
   * `since` as the daemon wants it (capture/position.ts sinceParam): Docker `SECONDS.NANOSECONDS`,
   * Podman an RFC 3339 text; absent = from the start.
   */
  since?: string;
  /** Docker's `tail`: only the last N entries of the log (then new ones, when following); absent = all. */
  tail?: number;
  /**
   * Read through Podman's own endpoint, `GET /v{libpodApiVersion}/libpod/containers/{id}/logs`,
   * which frames TTY streams too (its Docker-compatible one sends them raw, with parts of any size
   * that nothing but the next timestamp delimits). Absent: the Docker-compatible endpoint.
   */
  libpodApiVersion?: string;
}

/**
 * An open log or events response: raw bytes (multiplexed frames, TTY bytes or JSON objects).
 * Destroying it closes the connection, the only way to end a follow stream early. `socket` is
 * the connection under it when there is one, so a closer can wait until it is really gone.
 */
export type ApiStream = Readable & { readonly socket?: Socket | null };

/** GET /version: enough to tell which daemon answers (Docker, Podman) and how old it is. */
export interface DaemonVersion {
  version: string;
  apiVersion: string;
  /** `Platform.Name`, e.g. `Docker Engine - Community`, or Podman's. */
  platform: string;
  /** `Components[].Name`, e.g. `Engine`, `Podman Engine`. */
  components: string[];
  /** Podman: the `Podman Engine` component's `Details.APIVersion` (`4.3.1`), the version of its libpod API. */
  libpodApiVersion?: string;
}

export interface DockerApi {
  /** GET /version. */
  version(): Promise<DaemonVersion>;
  /** Every container, running or stopped. */
  listContainers(): Promise<ContainerSummary[]>;
  /** GET /containers/{id}/json. 404: no such container. */
  inspect(id: string): Promise<ContainerInfo>;
  /**
   * GET /containers/{id}/logs (or Podman's /libpod/ one, see LogQuery). 404: no such container;
   * 501 (Podman: 500 saying so): the log driver cannot be read.
   */
  openLogs(id: string, query: LogQuery): Promise<ApiStream>;
  /** GET /events for containers, from `since` (`SECONDS.NANOSECONDS`) when given. */
  openEvents(options: { since?: string }): Promise<ApiStream>;
  /** Date.now() of the last call that got any answer from the daemon (0 = never): for readiness. */
  readonly lastAnswerAt: number;
  /** Where the daemon is, without user information: for messages. */
  readonly address: string;
}
