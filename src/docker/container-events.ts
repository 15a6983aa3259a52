// Follows the daemon's container events (`GET /events`), and keeps following them: when the
// stream breaks or ends (daemon restart, socket trouble) it reconnects with exponential backoff
// and full jitter, asks for the events it missed (`since` = the last event's time), and tells
// the engine it reconnected so it lists the containers again (the daemon keeps only a short,
// in-memory history: events from before its own restart are never replayed).
import { StringDecoder } from 'node:string_decoder';
import { Backoff } from '../utils/backoff.js';
import type { BackoffOptions } from '../utils/backoff.js';
import type { Logger } from '../utils/logger.js';
import type { ApiStream, DockerApi } from './docker-api.js';
import { isContainerId } from './container-id.js';

export interface ContainerEvent {
  /** `create`, `start`, `die`, `stop`, `kill`, `restart`, `destroy`, `pause`, `unpause`, `rename`, ... (as the daemon sends it). */
  action: string;
  /** `Actor.ID`: the container's full id. */
  id: string;
  /** `Actor.Attributes.name` (for `rename`, the new name), without a leading `/`. */
  name: string | undefined;
  /** `timeNano` as its exact decimal digits (it does not fit in a JS number). */
  timeNano: string;
  /** `Actor.Attributes`: name, image, labels, exitCode, ... */
  attributes: Record<string, string>;
}

export interface ContainerEventsOptions {
  docker: DockerApi;
  logger: Logger;
  /** Reconnection pacing (default 250 ms doubling to 10 s). */
  backoff?: BackoffOptions;
  /** Source of the jitter, a number in [0, 1) (default Math.random; tests pin it). */
  random?: () => number;
}

export interface ContainerEventHandlers {
  onEvent(event: ContainerEvent): void;
  /** The stream is open. `reconnect`: not the first connection, so events may have been missed: list again. */
  onConnected(reconnect: boolean): void;
  /** The stream broke, ended, or could not be opened; a reconnection is scheduled. */
  onDisconnected(error: Error): void;
  /** An event named a container id that is not 64 hex characters: refused (never put into a URL). */
  onInvalidId?(id: string): void;
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000 };
/** An event is a few hundred bytes; anything this large without closing is not an event stream. */
const MAX_PENDING_CHARS = 1024 * 1024;

/** `SECONDS.NANOSECONDS` for Docker's `since`, from timeNano digits. */
export function sinceFromTimeNano(timeNano: string): string {
  const digits = timeNano.padStart(10, '0');
  return `${digits.slice(0, -9)}.${digits.slice(-9)}`;
}

/** Compares two decimal digit strings without leading zeros as numbers. */
function compareDigits(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A reconnection replays from this long before the newest event passed on: events that arrived
 * out of order around the break are replayed too, and the `recent` set drops the repeats.
 */
const REPLAY_MARGIN_NS = 5_000_000_000n;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Splits a stream of JSON objects into the text of each object, whatever the chunking (the
 * daemon writes one per line, but nothing here depends on the newlines).
 */
export class JsonObjectSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Where in `pending` the scan continues. */
  private scanned = 0;
  /** Where the current object starts in `pending` (-1: between objects). */
  private objectStart = -1;

  constructor(private readonly onObject: (text: string) => void, private readonly onGarbage: (message: string) => void) {}

  push(chunk: Buffer): void {
    this.pending += this.decoder.write(chunk);
    const text = this.pending;
    for (let i = this.scanned; i < text.length; i += 1) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c /* \ */) this.escaped = true;
        else if (c === 0x22 /* " */) this.inString = false;
      } else if (c === 0x22) {
        this.inString = true;
      } else if (c === 0x7b /* { */) {
        if (this.depth === 0) this.objectStart = i;
        this.depth += 1;
      } else if (c === 0x7d /* } */ && this.depth > 0) {
        this.depth -= 1;
        if (this.depth === 0) {
          this.onObject(text.slice(this.objectStart, i + 1));
          this.objectStart = -1;
        }
      }
    }
    // Keep only the unfinished object.
    if (this.objectStart < 0) {
      this.pending = '';
      this.scanned = 0;
    } else {
      this.pending = text.slice(this.objectStart);
      this.scanned = this.pending.length;
      this.objectStart = 0;
      if (this.pending.length > MAX_PENDING_CHARS) {
        this.onGarbage(`events stream: an object of more than ${MAX_PENDING_CHARS} characters; dropped`);
        this.reset();
      }
    }
  }

  reset(): void {
    this.pending = '';
    this.scanned = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.objectStart = -1;
  }
}

/** A container event from one JSON object, or undefined for other types and malformed ones. */
export function parseContainerEvent(text: string): ContainerEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || value.Type !== 'container' || typeof value.Action !== 'string') return undefined;
  const actor = isRecord(value.Actor) ? value.Actor : undefined;
  const id = typeof actor?.ID === 'string' ? actor.ID : '';
  if (id === '') return undefined;
  const attributes: Record<string, string> = {};
  if (isRecord(actor?.Attributes)) {
    for (const [key, item] of Object.entries(actor.Attributes)) if (typeof item === 'string') attributes[key] = item;
  }
  // JSON.parse would round timeNano (19 digits) to a double: take its digits from the text.
  const timeNano = /"timeNano"\s*:\s*(\d+)/.exec(text)?.[1] ?? '';
  const name = attributes.name;
  return { action: value.Action, id, name: name === undefined ? undefined : name.replace(/^\//, ''), timeNano, attributes };
}

export class ContainerEvents {
  private readonly docker: DockerApi;
  private readonly logger: Logger;
  private readonly backoff: Backoff;
  private handlers: ContainerEventHandlers | undefined;
  private stopped = false;
  private connectedBefore = false;
  private timer: NodeJS.Timeout | undefined;
  private response: ApiStream | undefined;
  /** Settles when the current open attempt and response are fully done. */
  private running: Promise<void> = Promise.resolve();
  /** timeNano of the newest event passed on. */
  private lastTimeNano = '';
  /**
   * Events passed on recently (`timeNano action id`), to drop the repeats of a replay. The daemon
   * delivers events out of time order when containers start together, so an older event is not
   * a repeat: only identity says that. Pruned to REPLAY_MARGIN_NS behind the newest.
   */
  private readonly recent = new Map<string, bigint>();
  /** When the first connection was made (for `since` when no event has been seen yet). */
  private firstConnectedAtMs = 0;

  constructor(options: ContainerEventsOptions) {
    this.docker = options.docker;
    this.logger = options.logger;
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF, options.random);
  }

  start(handlers: ContainerEventHandlers): void {
    if (this.handlers) throw new Error('ContainerEvents.start() called twice');
    this.handlers = handlers;
    this.connect();
  }

  /** Destroys the stream and clears timers; resolves when nothing of it is left. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.response?.destroy();
    await this.running;
  }

  private connect(): void {
    this.timer = undefined;
    if (this.stopped) return;
    this.running = this.connectOnce();
  }

  private async connectOnce(): Promise<void> {
    const since = this.sinceForReconnect();
    let response: ApiStream;
    try {
      response = await this.docker.openEvents(since === undefined ? {} : { since });
    } catch (error) {
      if (this.stopped) return;
      this.disconnected(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (this.stopped) {
      response.destroy();
      await new Promise<void>((resolve) => (response.destroyed && response.closed ? resolve() : response.once('close', () => resolve())));
      return;
    }
    this.response = response;
    this.backoff.reset();
    const reconnect = this.connectedBefore;
    if (!this.connectedBefore) this.firstConnectedAtMs = Date.now();
    this.connectedBefore = true;
    if (reconnect) this.logger.info({ since }, 'docker events: reconnected');
    this.call(() => this.handlers?.onConnected(reconnect));
    await this.consume(response);
    this.response = undefined;
  }

  /** Reads events until the stream closes; then reports and schedules a reconnection. */
  private consume(response: ApiStream): Promise<void> {
    return new Promise((resolve) => {
      let failure: Error | undefined;
      const splitter = new JsonObjectSplitter(
        (text) => this.handleObject(text),
        (message) => this.logger.warn(message),
      );
      response.on('data', (chunk: Buffer) => splitter.push(chunk));
      response.on('error', (error: Error) => {
        failure = error;
      });
      response.once('close', () => {
        response.removeAllListeners('data');
        if (!this.stopped) this.disconnected(failure ?? new Error('the Docker events stream ended'));
        resolve();
      });
    });
  }

  private handleObject(text: string): void {
    const event = parseContainerEvent(text);
    if (!event) return;
    if (!isContainerId(event.id)) {
      this.call(() => this.handlers?.onInvalidId?.(event.id));
      return;
    }
    if (event.timeNano !== '') {
      const key = `${event.timeNano} ${event.action} ${event.id}`;
      if (this.recent.has(key)) return; // replayed after a reconnection: passed on already
      const time = BigInt(event.timeNano);
      this.recent.set(key, time);
      if (this.lastTimeNano === '' || compareDigits(event.timeNano, this.lastTimeNano) > 0) {
        this.lastTimeNano = event.timeNano;
        this.pruneRecent(time);
      }
    }
    this.call(() => this.handlers?.onEvent(event));
  }

  private pruneRecent(newest: bigint): void {
    if (this.recent.size < 256) return;
    for (const [key, time] of this.recent) if (newest - time > REPLAY_MARGIN_NS) this.recent.delete(key);
  }

  private sinceForReconnect(): string | undefined {
    if (!this.connectedBefore) return undefined; // the first connection: the engine lists first, then only new events matter
    if (this.lastTimeNano !== '') {
      const from = BigInt(this.lastTimeNano) - REPLAY_MARGIN_NS;
      return sinceFromTimeNano((from > 0n ? from : 0n).toString());
    }
    return String(Math.floor(this.firstConnectedAtMs / 1000));
  }

  private disconnected(error: Error): void {
    this.logger.warn({ err: error }, 'docker events: disconnected; reconnecting');
    this.call(() => this.handlers?.onDisconnected(error));
    if (this.stopped) return;
    this.timer = setTimeout(() => this.connect(), this.backoff.next());
  }

  /** A handler that throws must not break the stream. */
  private call(handler: () => void): void {
    try {
      handler();
    } catch (error) {
      this.logger.error({ err: error }, 'docker events: handler failed');
    }
  }
}
