// Which containers exist and which of them to read: a listing at start, the events stream after
// it (start, restart, unpause, destroy, rename), and a listing again on every reconnection of the
// events stream and once a minute as a safety net. Each new container is inspected once and
// judged by the selector; the verdict is final until a rename or a destroy.
//
// Discovery owns what it learned (the containers it ignored, the inspections under way, whether
// the events stream is connected); what happens to a selected container is the engine's affair,
// told through DiscoveryListener.
import type { ContainerInfo } from '../docker/container-info.js';
import { isContainerId } from '../docker/container-id.js';
import { ContainerEvents } from '../docker/container-events.js';
import type { ContainerEvent } from '../docker/container-events.js';
import type { ContainerSummary, DockerApi } from '../docker/docker-api.js';
import { isDaemonUnreachable, isNoSuchContainer } from '../docker/docker-error.js';
import type { BackoffOptions } from '../utils/backoff.js';
import type { Logger } from '../utils/logger.js';
import type { CaptureTelemetry } from './capture-telemetry.js';
import type { ContainerSelector } from './container-selector.js';

/**
 * Containers are found through the events stream; a listing this often catches any container
 * whose event never arrived (one GET /containers/json a minute is cheap).
 */
const RELIST_INTERVAL_MS = 60_000;

export interface DiscoveryListener {
  isTracked(id: string): boolean;
  /** A listing saw a container that is tracked already (`periodic`: the safety-net listing). */
  listed(summary: ContainerSummary, periodic: boolean): void;
  /** A container not seen before, inspected and selected. `existedAtStart`: it was in the first listing. */
  found(info: ContainerInfo, existedAtStart: boolean): void;
  /** A tracked container started, restarted or was unpaused. */
  started(id: string): void;
  /** A tracked container exited (Docker: `die`; Podman: `died`). */
  stopped(id: string): void;
  /** A tracked container was removed (Docker: `destroy`; Podman: `remove`). */
  destroyed(id: string): void;
  /** A tracked container was renamed. */
  renamed(id: string, name: string): void;
  /** The first listing that succeeded: every container that exists. */
  firstListing(ids: ReadonlySet<string>): void;
  /** The events stream (re)connected: the daemon answers. The listing waits for what this returns (e.g. asking what the daemon is). */
  connected(): Promise<void> | void;
}

export interface DockerHealthReport {
  ok: boolean;
  lastSuccessAt: number;
  error?: string;
}

export interface ContainerDiscoveryOptions {
  docker: DockerApi;
  selector: ContainerSelector;
  telemetry: CaptureTelemetry;
  logger: Logger;
  backoff?: BackoffOptions;
}

/** Event actions meaning "the container runs (again)". Podman sends `restart` before its `die`, so the start is what counts. */
const STARTED = new Set(['start', 'restart', 'unpause']);
/** Docker says `destroy`, Podman `remove`. */
const REMOVED = new Set(['destroy', 'remove']);
/** The container's process exited: Docker `die`, Podman `died`. */
const EXITED = new Set(['die', 'died']);

export class ContainerDiscovery {
  private readonly docker: DockerApi;
  private readonly selector: ContainerSelector;
  private readonly telemetry: CaptureTelemetry;
  private readonly logger: Logger;
  private readonly events: ContainerEvents;
  private listener: DiscoveryListener | undefined;
  /** Inspected and not selected (value: the name it was judged by). */
  private readonly ignored = new Map<string, string>();
  private readonly inspecting = new Map<string, Promise<void>>();
  private readonly existedAtStart = new Set<string>();
  private firstListingDone = false;
  private stopping = false;
  private relistTimer: NodeJS.Timeout | undefined;
  private eventsConnected = false;
  private dockerError: string | undefined;
  /** The "no daemon answers" hint was given for the current outage. */
  private hinted = false;

  constructor(options: ContainerDiscoveryOptions) {
    this.docker = options.docker;
    this.selector = options.selector;
    this.telemetry = options.telemetry;
    this.logger = options.logger;
    this.events = new ContainerEvents({ docker: options.docker, logger: options.logger, ...(options.backoff ? { backoff: options.backoff } : {}) });
  }

  /** Lists every container (running or not), reports the selected ones, then follows events. */
  async start(listener: DiscoveryListener): Promise<void> {
    if (this.listener) throw new Error('ContainerDiscovery.start() called twice');
    this.listener = listener;
    try {
      await this.relist('start');
    } catch (error) {
      // The events stream keeps retrying; its first connection lists again.
      this.dockerError = messageOf(error);
      this.telemetry.listFailed(error, 'start');
      this.hintIfUnreachable(error);
    }
    this.events.start({
      onEvent: (event) => this.handleEvent(event),
      onConnected: () => {
        this.eventsConnected = true;
        this.dockerError = undefined;
        this.hinted = false;
        // Also on the first connection: it closes the gap between the list above and the events.
        // After the listener: containers found now are read the way the daemon wants.
        Promise.resolve(this.listener?.connected())
          .then(() => this.relist('reconnect'))
          .catch((error: unknown) => this.telemetry.listFailed(error, 'reconnect'));
      },
      onDisconnected: (error) => {
        this.eventsConnected = false;
        this.dockerError = error.message;
        this.hintIfUnreachable(error);
      },
      onInvalidId: (id) => this.refuseId(id, 'events'),
    });
    this.relistTimer = setInterval(() => {
      this.relist('periodic').catch((error: unknown) => this.telemetry.listFailed(error, 'periodic'));
    }, RELIST_INTERVAL_MS);
    this.relistTimer.unref();
  }

  /** Stops following events; resolves when the events stream and every inspection are over. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.relistTimer);
    await Promise.all([this.events.stop(), ...this.inspecting.values()]);
  }

  health(): DockerHealthReport {
    const report: DockerHealthReport = { ok: this.eventsConnected, lastSuccessAt: this.docker.lastAnswerAt };
    if (!this.eventsConnected) report.error = this.dockerError ?? 'not connected to the Docker events stream yet';
    return report;
  }

  /** The container is gone: if it comes back (it cannot, ids are unique) it is judged again. */
  forget(id: string): void {
    this.ignored.delete(id);
  }

  private async relist(why: 'start' | 'reconnect' | 'periodic'): Promise<void> {
    const listener = this.listener;
    if (!listener) return;
    const summaries = await this.docker.listContainers();
    const first = !this.firstListingDone;
    this.firstListingDone = true;
    const ids = new Set<string>();
    const inspections: Promise<void>[] = [];
    for (const summary of summaries) {
      if (this.stopping) return;
      if (!isContainerId(summary.id)) {
        this.refuseId(summary.id, 'listing');
        continue;
      }
      ids.add(summary.id);
      if (first) this.existedAtStart.add(summary.id);
      if (listener.isTracked(summary.id)) listener.listed(summary, why === 'periodic');
      else if (!this.ignored.has(summary.id)) inspections.push(this.inspect(summary.id));
    }
    if (first) listener.firstListing(ids);
    await Promise.all(inspections);
  }

  /** Inspects and judges a container once, however many listings and events name it meanwhile. */
  private inspect(id: string): Promise<void> {
    const pending = this.inspecting.get(id);
    if (pending) return pending;
    const inspection = this.inspectAndJudge(id).finally(() => this.inspecting.delete(id));
    this.inspecting.set(id, inspection);
    return inspection;
  }

  private async inspectAndJudge(id: string): Promise<void> {
    let info: ContainerInfo;
    try {
      info = await this.docker.inspect(id);
    } catch (error) {
      if (isNoSuchContainer(error)) return; // gone already
      this.telemetry.inspectFailed(id, error);
      return;
    }
    const listener = this.listener;
    if (this.stopping || !listener || listener.isTracked(id)) return;
    const selection = this.selector.select(info);
    if (!selection.selected) {
      this.ignored.set(id, info.name);
      this.telemetry.notSelected(id, info.name, selection.reason);
      return;
    }
    listener.found(info, this.existedAtStart.has(id));
  }

  private handleEvent(event: ContainerEvent): void {
    const listener = this.listener;
    if (this.stopping || !listener) return;
    if (STARTED.has(event.action)) {
      if (listener.isTracked(event.id)) listener.started(event.id);
      else if (!this.ignored.has(event.id)) void this.inspect(event.id);
    } else if (REMOVED.has(event.action)) {
      this.ignored.delete(event.id);
      if (listener.isTracked(event.id)) listener.destroyed(event.id);
    } else if (EXITED.has(event.action)) {
      if (listener.isTracked(event.id)) listener.stopped(event.id);
    } else if (event.action === 'rename') {
      const name = (event.name ?? event.attributes.name ?? '').replace(/^\//, '');
      if (!name) return;
      if (listener.isTracked(event.id)) {
        listener.renamed(event.id, name);
      } else if (this.ignored.has(event.id)) {
        // The name may select it now.
        this.ignored.delete(event.id);
        void this.inspect(event.id);
      }
    }
    // stop/kill: `die` follows; a follow stream ends by itself, drained to its last line.
  }

  /** Once per outage: no daemon answers at all, and here is how to point us at one. */
  private hintIfUnreachable(error: unknown): void {
    if (this.hinted || !isDaemonUnreachable(error)) return;
    this.hinted = true;
    this.telemetry.daemonUnreachable(this.docker.address, error);
  }

  private refuseId(id: string, source: 'events' | 'listing'): void {
    this.telemetry.refusedId(id, source);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
