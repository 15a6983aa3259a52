// Silent failure is a failure: a container whose stream delivers only bytes we cannot decode, or
// that is followed and hands on no line while the daemon's own API shows lines we do not have,
// must not look healthy. (Issue 16: Podman 4's second-precision stamps made every frame
// "undecodable"; every container was followed and rotated, not one line was shipped, and
// /readyz said ready.)
//
// Two verdicts, two owners:
//   undecodable    StreamSilence, one per container task: a stream whose bytes made no line at
//                  all (none handed on, none read again) but were partly or wholly dropped as
//                  undecodable. It holds until a stream of that container decodes a line again
//                  (a reopened stream reads its last window again, so a working stream of an
//                  idle container clears it at its next rotation).
//   not_delivered  SilenceMonitor, the engine's: a followed container that handed on no line
//                  for a probe interval is asked, without follow, for its newest log entry
//                  (`tail=1`). An entry newer than the container's position, seen by two probes
//                  a probe interval apart while no line came, is a line the follow stream did not
//                  deliver (two probes, so that neither a line written just now nor a daemon
//                  clock ahead of ours makes a verdict). An answer with bytes but no decodable
//                  line is `undecodable` too. Quiet containers are probed ever more rarely
//                  (doubling up to an hour), so idle hosts cost almost nothing.
// The engine shows both in /status (per container), feeds /readyz's `capture` check, and keeps
// the gauge log_capturer_silent_containers; undecodable bytes are counted per container
// (log_capturer_undecodable_bytes_total).
import type { ContainerInfo } from '../docker/container-info.js';
import type { DockerApi } from '../docker/docker-api.js';
import { LogFrameParser } from '../docker/log-frame-parser.js';
import type { CaptureTelemetry } from './capture-telemetry.js';
import type { ContainerCaptureStatus, SilenceReason, SilentVerdict } from './capture-status.js';
import { logDialect } from './daemon-profile.js';
import type { DaemonProfile } from './daemon-profile.js';
import { newestConsumedMs, timestampText } from './position.js';

export type { SilenceReason, SilentVerdict } from './capture-status.js';
export const SILENCE_REASONS: readonly SilenceReason[] = ['undecodable', 'not_delivered'];

/** What StreamSilence needs of a stream. */
export interface StreamCounts {
  bytes: number;
  undecodableBytes: number;
  decodedLines: number;
}

/** The `undecodable` verdict of one container's streams (owned by its task). */
export class StreamSilence {
  /** Undecodable bytes of the container's finished streams. */
  undecodableBytes = 0;
  private verdict: SilentVerdict | undefined;

  /** A stream is over: one that decoded a line clears the verdict, one of undecodable bytes only sets it, one without bytes changes nothing. */
  streamEnded(stream: StreamCounts, now: number = Date.now()): void {
    this.undecodableBytes += stream.undecodableBytes;
    if (stream.bytes === 0) return;
    if (stream.decodedLines > 0 || stream.undecodableBytes === 0) this.verdict = undefined;
    else this.verdict ??= undecodable(now);
  }

  /** The verdict now, the open stream (if any) included. */
  current(live: StreamCounts | undefined, now: number = Date.now()): SilentVerdict | undefined {
    if (live === undefined || live.bytes === 0) return this.verdict;
    if (live.decodedLines > 0 || live.undecodableBytes === 0) return undefined; // it decodes (or is inside its first frame)
    this.verdict ??= undecodable(now); // kept, so that `since` stays put while it lasts
    return this.verdict;
  }
}

function undecodable(now: number): SilentVerdict {
  return { reason: 'undecodable', since: new Date(now).toISOString(), detail: 'its log stream delivers bytes that do not decode, and no line' };
}

/** What the monitor reads of a container task. */
export interface WatchedTask {
  readonly id: string;
  readonly info: ContainerInfo;
  status(): ContainerCaptureStatus;
}

export interface SilenceMonitorOptions {
  docker: Pick<DockerApi, 'openLogs'>;
  telemetry: CaptureTelemetry;
  daemon: () => DaemonProfile;
  /** A followed container quiet this long is probed (then twice as long after each probe that found nothing). */
  probeIntervalMs: number;
  maxLineBytes: number;
}

/** Probes are spaced out to this at most. */
const MAX_PROBE_INTERVAL_MS = 3_600_000;
/** A probe's answer is `tail=1`: more than this is not one entry, and is cut. */
const MAX_PROBE_BYTES = 4 * 1024 * 1024;

interface ProbeState {
  /** status().lines when last looked at: a change means the container delivers. */
  lines: number;
  /** Date.now() from when it has been followed without a new line. */
  quietSince: number;
  /** When the next probe is due. */
  dueAt: number;
  wait: number;
  /** A first probe saw a daemon entry newer than the position: its stamp. */
  suspect: string | undefined;
  verdict: SilentVerdict | undefined;
}

/** What a probe found: the daemon's newest entry. */
interface ProbeResult {
  bytes: number;
  undecodableBytes: number;
  /** The newest line's stamp (its last part's), if any decoded. */
  newest: string | undefined;
}

export class SilenceMonitor {
  private readonly states = new Map<string, ProbeState>();
  /** The verdicts of the last check, to log transitions once. */
  private readonly reported = new Map<string, SilenceReason>();
  private probing: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: SilenceMonitorOptions) {}

  /** The verdict of the probes for a container (the stream's own verdict is its task's). */
  probeVerdict(id: string): SilentVerdict | undefined {
    return this.states.get(id)?.verdict;
  }

  /**
   * Looks at every task: starts a due probe (one at a time), and logs each container that became
   * silent or delivers again. Returns the verdict per silent container.
   */
  check(tasks: Iterable<WatchedTask>, now: number = Date.now()): Map<string, SilentVerdict> {
    const silent = new Map<string, SilentVerdict>();
    const seen = new Set<string>();
    let due: { task: WatchedTask; status: ContainerCaptureStatus; state: ProbeState } | undefined;
    for (const task of tasks) {
      seen.add(task.id);
      const status = task.status();
      const state = this.follow(task.id, status, now);
      // The longest overdue first: one busy suspect does not starve the others.
      if (state && !this.probing && now >= state.dueAt && (!due || state.dueAt < due.state.dueAt)) due = { task, status, state };
      const verdict = status.silent ?? state?.verdict;
      if (verdict) silent.set(task.id, verdict);
      this.report(task.info, verdict);
    }
    for (const id of [...this.states.keys()]) if (!seen.has(id)) this.states.delete(id);
    for (const id of [...this.reported.keys()]) if (!seen.has(id)) this.reported.delete(id);
    if (due && !this.closed) {
      const { task, status, state } = due;
      this.probing = this.probe(task, status, state).finally(() => {
        this.probing = undefined;
      });
    }
    return silent;
  }

  /** Waits for a probe under way; no new one starts. */
  async close(): Promise<void> {
    this.closed = true;
    await this.probing;
  }

  /** Probe bookkeeping for one task: undefined when it is not followed (or delivers), so not probed. */
  private follow(id: string, status: ContainerCaptureStatus, now: number): ProbeState | undefined {
    const state = this.states.get(id);
    if (status.state !== 'streaming') {
      // Polled, stopped, paused, backing off: a follow stream is not what to judge. A verdict stays
      // while it waits for its slot again; a stopped container's log was read to its end.
      if (state && status.state === 'stopped') this.states.delete(id);
      return undefined;
    }
    if (!state || state.lines !== status.lines) {
      const interval = this.options.probeIntervalMs;
      this.states.set(id, { lines: status.lines, quietSince: now, dueAt: now + interval, wait: interval, suspect: undefined, verdict: undefined });
      return undefined;
    }
    return state;
  }

  private async probe(task: WatchedTask, status: ContainerCaptureStatus, state: ProbeState): Promise<void> {
    let result: ProbeResult;
    try {
      result = await this.newestEntry(task.info);
    } catch {
      // The daemon refused or is away: the task sees that itself. Try again later.
      state.dueAt = Date.now() + state.wait;
      return;
    }
    const now = Date.now();
    if (this.states.get(task.id) !== state) return; // it delivered (or went) meanwhile
    const beyond = timestampText(newestConsumedMs(status.position) + 1);
    if (result.bytes > 0 && result.newest === undefined && result.undecodableBytes > 0) {
      state.verdict ??= { reason: 'undecodable', since: new Date(now).toISOString(), detail: `the daemon's own answer for its newest entry (tail=1) holds ${result.bytes} bytes and no decodable line` };
    } else if (result.newest !== undefined && result.newest >= beyond) {
      if (state.suspect === undefined) {
        state.suspect = result.newest;
      } else {
        state.verdict ??= {
          reason: 'not_delivered',
          since: new Date(now).toISOString(),
          detail: `the daemon has a line stamped ${result.newest}, after the position, and the follow stream has delivered no line for ${Math.round((now - state.quietSince) / 1000)} s`,
        };
      }
      // Ask again after one interval: a second look decides.
      state.dueAt = now + this.options.probeIntervalMs;
      return;
    } else {
      state.suspect = undefined;
      state.verdict = undefined;
    }
    state.wait = Math.min(MAX_PROBE_INTERVAL_MS, state.wait * 2);
    state.dueAt = now + state.wait;
  }

  /** `GET logs?tail=1` without follow, read here with the same dialect as the container's streams. */
  private async newestEntry(container: ContainerInfo): Promise<ProbeResult> {
    const dialect = logDialect(this.options.daemon(), container.tty);
    const response = await this.options.docker.openLogs(container.id, { follow: false, tail: 1, ...(dialect.libpodApiVersion !== undefined ? { libpodApiVersion: dialect.libpodApiVersion } : {}) });
    let newest: string | undefined;
    const parser = new LogFrameParser({
      tty: container.tty,
      framing: dialect.framing,
      maxLineBytes: Math.min(this.options.maxLineBytes, 64 * 1024),
      onLine: (line) => {
        newest = line.lastPartTimestamp ?? line.timestamp;
      },
      onDaemonError: () => undefined,
    });
    let bytes = 0;
    try {
      for await (const chunk of response) {
        const data = chunk as Buffer;
        bytes += data.length;
        parser.push(data);
        if (bytes > MAX_PROBE_BYTES) break;
      }
      parser.end();
    } finally {
      response.destroy();
    }
    return { bytes, undecodableBytes: parser.undecodableBytes, newest };
  }

  private report(container: ContainerInfo, verdict: SilentVerdict | undefined): void {
    const before = this.reported.get(container.id);
    if (verdict?.reason === before) return;
    if (verdict) {
      this.reported.set(container.id, verdict.reason);
      this.options.telemetry.containerSilent(container, verdict);
    } else {
      this.reported.delete(container.id);
      this.options.telemetry.containerDeliversAgain(container);
    }
  }
}
