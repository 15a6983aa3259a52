// Which daemon answers, and what that means for reading logs. Docker and Podman speak the same
// Engine API, but not every version of them behaves the same where exactness depends on it.
import type { ContainerInfo } from '../docker/container-info.js';
import type { DaemonVersion } from '../docker/docker-api.js';
import type { LogFraming } from '../docker/log-frame-parser.js';
import type { SinceStyle, StampResolutionMs } from './position.js';

export type DaemonKind = 'docker' | 'podman' | 'unknown';

export interface DaemonProfile {
  kind: DaemonKind;
  version: string;
  apiVersion: string;
  /** Podman: the version of its own (libpod) API, `4.3.1`; empty elsewhere. */
  libpodApiVersion: string;
  /**
   * A follow stream survives the daemon rotating a container's log files. Before moby 23.0 it
   * does not: dockerd 20.10 repeats lines after a rotation (measured here: 40,000 lines written
   * with max-size=200k, a follow stream from the start returned 42,751-47,675 with 12-23 jumps
   * back), because its follower re-reads the new file from its start (the "truncated" check
   * compares the new file with the old file's size). moby rewrote following in 23.0 (commit
   * 01915a725e, "follow LogFile without file watches"). Reads without follow are consistent.
   */
  followsRotation: boolean;
  /** `tail` windows may be used to reopen streams (see tail-window.ts). */
  tailWindows: boolean;
  /**
   * The daemon drops lines from a follow stream once the container is not running: Podman 4.3
   * stops its file follower 250 ms after it saw the container exit (or at once, if it was not
   * running when the stream opened), and from then on each line is sent only if the HTTP writer
   * happens to be waiting for it (nxadm/tail's StopAtEOF races its send against its stop):
   * measured, a 13,200-line log came back as 41 scattered lines. So such a container is not
   * followed when it may have stopped: its stream is closed at its `die` event, and asked whether
   * it runs before a follow stream is opened; what is left is read without follow (exact).
   */
  followDropsAtExit: boolean;
  /**
   * Reads of a json-file log's gzipped rotated files (compress=true) return that file's lines
   * even while other reads of the same container are open. Before moby 23.0 they may not:
   * dockerd 20.10 decompresses `<log>.N.gz` into `<log>.N.gz.tmp` and shares it, by that NAME,
   * with every reader that asks while one still holds it; a rotation in between renames the
   * gzipped files, so a later reader gets the lines of another file under the name it asked for
   * (bench/gzip-overlap-repro.sh: a read opened while another reads jumps over 78,000 - 260,000
   * lines on dockerd 20.10.24; a file-route reader handing over to the API mid-burst lost 62,
   * once 119,999, of 120,000 lines). moby keyed the shared files by file identity in 23.0 (commit
   * 6d5bc07189, "daemon/logger: fix refcounting decompressed files"); 20.10 never got it.
   */
  gzipReadsExact: boolean;
}

export const UNKNOWN_DAEMON: DaemonProfile = Object.freeze({ kind: 'unknown', version: '', apiVersion: '', libpodApiVersion: '', followsRotation: false, tailWindows: true, followDropsAtExit: false, gzipReadsExact: false });

function major(version: string): number {
  const match = /^v?(\d+)/.exec(version);
  return match ? Number(match[1]) : NaN;
}

function apiAtLeast(apiVersion: string, wanted: [number, number]): boolean {
  const match = /^(\d+)\.(\d+)/.exec(apiVersion);
  if (!match) return false;
  const [maj, min] = [Number(match[1]), Number(match[2])];
  return maj > wanted[0] || (maj === wanted[0] && min >= wanted[1]);
}

/** What GET /version says about the daemon (undefined: it could not be asked: assume the careful case). */
export function profileOf(version: DaemonVersion | undefined): DaemonProfile {
  if (!version) return UNKNOWN_DAEMON;
  const podman = version.components.some((name) => /podman/i.test(name)) || /podman/i.test(version.platform);
  if (podman) {
    // tail: Podman glues the parts of long lines together, and loses lines between its tail and
    // its follow (measured in /work/notes/podman-wire.md); its `since` is exact, read as below.
    return { kind: 'podman', version: version.version, apiVersion: version.apiVersion, libpodApiVersion: version.libpodApiVersion ?? '', followsRotation: true, tailWindows: false, followDropsAtExit: true, gzipReadsExact: true };
  }
  // Docker 23.0 speaks API 1.42: either says the follower and the gzip reads are the rewritten ones.
  const modern = major(version.version) >= 23 || apiAtLeast(version.apiVersion, [1, 42]);
  return { kind: 'docker', version: version.version, apiVersion: version.apiVersion, libpodApiVersion: '', followsRotation: modern, tailWindows: true, followDropsAtExit: false, gzipReadsExact: modern };
}

/** How to ask one daemon for one container's log, and how to read what it sends. */
export interface LogDialect {
  /** Read through Podman's /v{this}/libpod/containers/{id}/logs (it frames TTY streams); absent: the Docker-compatible endpoint. */
  libpodApiVersion?: string;
  framing: LogFraming;
  /** How fine the stamps are: positions are whole multiples of it (see position.ts). */
  resolutionMs: StampResolutionMs;
  since: SinceStyle;
}

/**
 * Docker: stamps to the nanosecond, `since` as SECONDS.NANOS, TTY streams raw in 16 KiB parts.
 * Podman: stamps to the second (4.x; positions in whole seconds stay exact with finer ones too),
 * `since` as RFC 3339 by real time, TTY streams through its /libpod/ endpoint, which frames them
 * (its compatible endpoint sends them raw, in parts of any size; read as 'podman-tty' only when
 * the libpod API version is not known).
 */
export function logDialect(daemon: DaemonProfile, tty: boolean): LogDialect {
  if (daemon.kind !== 'podman') return { framing: tty ? 'docker-tty' : 'multiplexed', resolutionMs: 1, since: 'docker' };
  const podman = { resolutionMs: 1000, since: 'podman' } as const;
  if (!tty) return { framing: 'multiplexed', ...podman };
  if (daemon.libpodApiVersion !== '') return { libpodApiVersion: daemon.libpodApiVersion, framing: 'multiplexed', ...podman };
  return { framing: 'podman-tty', ...podman };
}

/**
 * The daemon rotates this container's log files: json-file with max-size, or the local driver
 * (which rotates at 20 MB unless told otherwise).
 */
export function logRotates(container: Pick<ContainerInfo, 'logDriver' | 'logOptions'>): boolean {
  if (container.logDriver === 'local') return true;
  return container.logDriver === 'json-file' && (container.logOptions['max-size'] ?? '') !== '' && container.logOptions['max-size'] !== '-1';
}
