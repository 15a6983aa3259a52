// The capture engine: discovery tells it which containers to read, and it keeps one task per
// selected container (container-task.ts), sharing a bounded pool of stream slots among them. It
// applies the ship layer's backpressure to every task at once and reports status. It only READS
// from Docker, through the small DockerApi interface (a fake one in the unit tests).
import type { CapturerConfig } from '../config/capturer-config.js';
import type { ContainerInfo } from '../docker/container-info.js';
import type { ContainerSummary, DockerApi } from '../docker/docker-api.js';
import { probeContainersDir } from '../docker/json-file/log-location.js';
import type { BackoffOptions } from '../utils/backoff.js';
import type { Logger } from '../utils/logger.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { CaptureTelemetry } from './capture-telemetry.js';
import type { CaptureStatus, ContainerCaptureState, ContainerCaptureStatus } from './capture-status.js';
import type { LineConsumer } from './captured-line.js';
import { ContainerDiscovery } from './container-discovery.js';
import type { DiscoveryListener, DockerHealthReport } from './container-discovery.js';
import { ContainerSelector, detectOwnContainerId } from './container-selector.js';
import { ContainerTask } from './container-task.js';
import type { TaskServices } from './container-task.js';
import { BEGINNING } from './position.js';
import type { Position } from './position.js';
import type { PositionSource } from './position-source.js';
import { StreamPool } from './stream-pool.js';
import { UNKNOWN_DAEMON, logDialect, profileOf } from './daemon-profile.js';
import type { DaemonProfile } from './daemon-profile.js';
import { SILENCE_REASONS, SilenceMonitor } from './silence.js';
import type { SilenceReason, SilentVerdict } from './silence.js';

export type { DockerHealthReport } from './container-discovery.js';

/** /readyz's `capture` check: no container is silent (see silence.ts). */
export interface CaptureHealthReport {
  ok: boolean;
  silent: Array<{ id: string; name: string; reason: SilenceReason; since: string }>;
}

export interface CaptureEngineDeps {
  config: CapturerConfig;
  docker: DockerApi;
  consumer: LineConsumer;
  positions: PositionSource;
  registry: MetricsRegistry;
  logger: Logger;
  /** undefined = detect it (see detectOwnContainerId), null = we are not in a container. */
  selfContainerId?: string | null;
  /** Reconnect pacing for streams and events (default 250ms doubling to 30s). */
  backoff?: BackoffOptions;
  /** A followed container quiet this long is asked whether the daemon has lines it did not deliver (default 60 s; see silence.ts). */
  silenceProbeIntervalMs?: number;
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 30_000 };
const DEFAULT_SILENCE_PROBE_INTERVAL_MS = 60_000;
/** How often silence is looked at (transitions logged, probes started): at most this, and at least 4 times per probe interval. */
const SILENCE_CHECK_MS = 5_000;
const WATCHED: ReadonlySet<ContainerCaptureState> = new Set(['streaming', 'waiting', 'paused', 'backoff']);

export class CaptureEngine {
  private readonly config: CapturerConfig;
  private readonly consumer: LineConsumer;
  private readonly positions: PositionSource;
  private readonly telemetry: CaptureTelemetry;
  private readonly pool: StreamPool;
  private readonly discovery: ContainerDiscovery;
  private readonly silence: SilenceMonitor;
  private readonly silenceCheckMs: number;
  private silenceTimer: NodeJS.Timeout | undefined;
  private readonly services: TaskServices;
  private readonly tasks = new Map<string, ContainerTask>();
  private startedAtMs = 0;
  private started = false;
  private closing: Promise<void> | undefined;
  private paused = false;
  private watchedCount = 0;
  private daemon: DaemonProfile = UNKNOWN_DAEMON;
  /** docker.containers_dir as found at start (undefined: unset, or not looked at yet). */
  private containersDir: { path: string; readable: boolean; error?: string } | undefined;
  private readonly docker: DockerApi;
  /** While the pool is shared: asks quiet followers to give their slots to waiting containers. */
  private slotTimer: NodeJS.Timeout | undefined;
  private readonly onDrain = (): void => this.resume();

  constructor(deps: CaptureEngineDeps) {
    this.config = deps.config;
    this.docker = deps.docker;
    this.consumer = deps.consumer;
    this.positions = deps.positions;
    this.telemetry = new CaptureTelemetry(deps.registry, deps.logger);
    const selfId = deps.selfContainerId === undefined ? detectOwnContainerId() : (deps.selfContainerId ?? undefined);
    this.pool = new StreamPool(deps.config.capture.maxStreams);
    this.discovery = new ContainerDiscovery({
      docker: deps.docker,
      selector: new ContainerSelector(deps.config.filters, selfId),
      telemetry: this.telemetry,
      logger: deps.logger,
      ...(deps.backoff ? { backoff: deps.backoff } : {}),
    });
    this.services = {
      docker: deps.docker,
      consumer: deps.consumer,
      pool: this.pool,
      telemetry: this.telemetry,
      capture: deps.config.capture,
      backoff: deps.backoff ?? DEFAULT_BACKOFF,
      daemon: () => this.daemon,
      fileRoute: () => {
        const dir = this.containersDir;
        if (dir === undefined || !dir.readable || this.config.capture.route === 'api') return undefined;
        return { containersDir: dir.path, explain: this.config.capture.route === 'file' };
      },
      isPaused: () => this.paused,
      onBackpressure: () => this.pause(),
      onStateChange: (task, from, to) => this.countWatched(task, from, to),
      onDestroyed: (task) => this.drop(task),
    };
    const probeIntervalMs = deps.silenceProbeIntervalMs ?? DEFAULT_SILENCE_PROBE_INTERVAL_MS;
    this.silence = new SilenceMonitor({ docker: deps.docker, telemetry: this.telemetry, daemon: () => this.daemon, probeIntervalMs, maxLineBytes: deps.config.capture.maxLineBytes });
    this.silenceCheckMs = Math.max(1, Math.min(SILENCE_CHECK_MS, Math.floor(probeIntervalMs / 4)));
    this.telemetry.countSilentWith(() => this.silentCounts());
    if (selfId) this.telemetry.notReadingSelf(selfId);
  }

  /** Lists every container (running or not), starts reading the selected ones, follows events. */
  async start(): Promise<void> {
    if (this.started) throw new Error('CaptureEngine.start() called twice');
    this.started = true;
    this.startedAtMs = Date.now();
    this.consumer.on('drain', this.onDrain);
    await this.detectDaemon();
    await this.detectContainersDir();
    const listener: DiscoveryListener = {
      isTracked: (id) => this.tasks.has(id),
      listed: (summary, periodic) => this.listed(summary, periodic),
      found: (info, existedAtStart) => this.track(info, existedAtStart),
      started: (id) => this.tasks.get(id)?.containerStarted(),
      stopped: (id) => this.tasks.get(id)?.containerStopped(),
      destroyed: (id) => this.tasks.get(id)?.containerDestroyed(),
      renamed: (id, name) => this.tasks.get(id)?.renamed(name),
      firstListing: (ids) => this.positions.retainOnly(ids),
      connected: async () => {
        if (this.daemon.kind === 'unknown') await this.detectDaemon();
      },
    };
    await this.discovery.start(listener);
    this.slotTimer = setInterval(() => this.shareSlots(), this.config.capture.pollIntervalMs);
    this.slotTimer.unref();
    this.silenceTimer = setInterval(() => this.silence.check(this.tasks.values()), this.silenceCheckMs);
    this.silenceTimer.unref();
  }

  /** Stops following events and closes every stream fully; resolves when all are gone. Once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.slotTimer);
      clearInterval(this.silenceTimer);
      this.consumer.off('drain', this.onDrain);
      const discoveryStopped = this.discovery.stop();
      this.pool.cancelAll();
      await Promise.all([discoveryStopped, this.silence.close(), ...[...this.tasks.values()].map((task) => task.stop())]);
      this.telemetry.paused(false);
    })();
    return this.closing;
  }

  /**
   * Rotates every open stream now (as the rotation timer would). Resolves when the old streams
   * are fully gone; the tasks then reopen them. For tests and operators.
   */
  async rotateNow(): Promise<number> {
    const rotated = await Promise.all([...this.tasks.values()].map((task) => task.rotateNow()));
    return rotated.filter(Boolean).length;
  }

  status(): CaptureStatus {
    const containers: ContainerCaptureStatus[] = [];
    let silentContainers = 0;
    for (const task of this.tasks.values()) {
      const entry = this.withSilence(task);
      if (entry.silent) silentContainers += 1;
      containers.push(entry);
    }
    const daemon = this.daemon;
    return {
      daemon: {
        kind: daemon.kind, version: daemon.version, api_version: daemon.apiVersion,
        ...(daemon.kind === 'podman' ? { libpod_api_version: daemon.libpodApiVersion } : {}),
        stamp_resolution_ms: logDialect(daemon, false).resolutionMs,
      },
      silentContainers,
      paused: this.paused,
      pool: { capacity: this.pool.capacity, inUse: this.pool.inUse, waiting: this.pool.waiting, following: this.pool.following, polling: this.pool.polling, shared: this.pool.shared },
      containersDir: this.containersDir === undefined ? null : { ...this.containersDir },
      containers,
    };
  }

  dockerHealth(): DockerHealthReport {
    return this.discovery.health();
  }

  /** Not ok while a container yields no line though it should (see silence.ts). */
  captureHealth(): CaptureHealthReport {
    const silent: CaptureHealthReport['silent'] = [];
    for (const task of this.tasks.values()) {
      const verdict = this.verdictOf(task);
      if (verdict) silent.push({ id: task.id, name: task.info.name, reason: verdict.reason, since: verdict.since });
    }
    return { ok: silent.length === 0, silent };
  }

  /** A task's status with the probes' verdict when its streams have none of their own. */
  private withSilence(task: ContainerTask): ContainerCaptureStatus {
    const entry = task.status();
    if (entry.silent === undefined) {
      const probed = this.silence.probeVerdict(task.id);
      if (probed !== undefined) entry.silent = probed;
    }
    return entry;
  }

  private verdictOf(task: ContainerTask): SilentVerdict | undefined {
    return this.withSilence(task).silent;
  }

  private silentCounts(): Record<SilenceReason, number> {
    const counts = Object.fromEntries(SILENCE_REASONS.map((reason) => [reason, 0])) as Record<SilenceReason, number>;
    for (const task of this.tasks.values()) {
      const verdict = this.verdictOf(task);
      if (verdict) counts[verdict.reason] += 1;
    }
    return counts;
  }

  /** Asks the daemon what it is (a failure leaves it unknown: the careful case, asked again on reconnection). */
  private async detectDaemon(): Promise<void> {
    try {
      this.daemon = profileOf(await this.docker.version());
      this.telemetry.daemonDetected(this.daemon);
    } catch {
      this.daemon = UNKNOWN_DAEMON;
    }
  }

  /** docker.containers_dir is looked at once, at start: readable or not is logged once and shown in /status. */
  private async detectContainersDir(): Promise<void> {
    const path = this.config.docker.containersDir;
    if (path === undefined) return;
    const probe = await probeContainersDir(path);
    this.containersDir = probe.readable ? { path, readable: true } : { path, readable: false, error: `${probe.error.code}: ${probe.error.message}` };
    this.telemetry.containersDirDetected(path, probe.readable, probe.readable ? undefined : probe.error, this.config.capture.route);
  }

  // ---- backpressure ----------------------------------------------------------------------

  /** The consumer is full: stop reading every open stream and open no new ones. */
  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.telemetry.paused(true);
    for (const task of this.tasks.values()) task.pause();
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.telemetry.paused(false);
    for (const task of this.tasks.values()) task.resume();
  }

  // ---- containers ------------------------------------------------------------------------

  private track(info: ContainerInfo, existedAtStart: boolean): void {
    if (this.closing || this.tasks.has(info.id)) return;
    const task = new ContainerTask(info, this.initialPosition(info.id, existedAtStart), this.services);
    this.tasks.set(info.id, task);
    this.watchedCount += 1; // a new task is `waiting`
    this.telemetry.watched(this.watchedCount);
    this.pool.setDemand(this.watchedCount);
    this.telemetry.following(info, task.status().position);
    task.start();
  }

  /** A listing saw it: after a disconnect it may have started (and stopped) unseen; read whatever is new. */
  private listed(summary: ContainerSummary, periodic: boolean): void {
    const task = this.tasks.get(summary.id);
    if (task && !task.running && task.state === 'stopped' && (summary.running || !periodic)) task.start();
  }

  private initialPosition(id: string, existedAtStart: boolean): Position {
    const saved = this.positions.get(id);
    if (saved) return { ...saved };
    if (this.positions.firstRun && this.config.capture.initialPosition === 'end' && existedAtStart) {
      return { sinceMs: this.startedAtMs, skip: 0 };
    }
    return BEGINNING;
  }

  private drop(task: ContainerTask): void {
    if (this.tasks.get(task.id) !== task) return;
    task.markStopped(); // while still tracked, so the watched count drops
    this.tasks.delete(task.id);
    this.discovery.forget(task.id);
    this.telemetry.forget(task.id);
    this.consumer.containerGone(task.id);
  }

  private countWatched(task: ContainerTask, from: ContainerCaptureState, to: ContainerCaptureState): void {
    if (this.tasks.get(task.id) !== task) return;
    const delta = (WATCHED.has(to) ? 1 : 0) - (WATCHED.has(from) ? 1 : 0);
    if (delta === 0) return;
    this.watchedCount += delta;
    this.telemetry.watched(this.watchedCount);
    // The watched containers are the ones that want reading: the pool shares its slots when they outnumber them.
    this.pool.setDemand(this.watchedCount);
  }

  /** While the pool is shared and someone waits: quiet followers (or all, if the follow slots must shrink) give their slots up. */
  private shareSlots(): void {
    if (!this.pool.shared || (!this.pool.hasWaiters() && !this.pool.overCommitted)) return;
    const now = Date.now();
    for (const task of this.tasks.values()) task.offerSlot(now);
  }
}
