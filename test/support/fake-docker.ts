// An in-memory Docker Engine API behind the DockerApi interface, for unit tests of capture that
// must not need a daemon (the state machine, pool turns, backoff). It keeps each container's log
// as entries with nanosecond timestamps and answers GET /logs the way dockerd does: multiplexed
// frames (or raw TTY bytes) with `TIMESTAMP SPACE` prefixes, `tail` applied first and `since`
// after it, a follow stream that ends when the container stops. Integration tests use the real
// daemon; this fake only has to be faithful to the parts capture relies on.
// With `flavor: 'podman'` it answers as Podman 4.3 does (/work/notes/podman-wire.md): /version
// with a `Podman Engine` component, stamps cut to the second on the wire, `since` compared with
// each entry's real time and exclusive (RFC 3339 exact, a float to ~240 ns), parts of a long line
// stamped apart, TTY logs framed on /v{libpod}/libpod/ only, `remove` instead of `destroy`, and
// 500 "this container is not logging output" for the `none` log driver.
import { PassThrough } from 'node:stream';
import type { ContainerInfo } from '../../src/docker/container-info.js';
import type { ApiStream, ContainerSummary, DaemonVersion, DockerApi, LogQuery } from '../../src/docker/docker-api.js';
import { DockerError } from '../../src/docker/docker-error.js';

export interface FakeEntry {
  /** Nanoseconds since the epoch. */
  ns: bigint;
  stream: 'stdout' | 'stderr';
  /** The line's bytes without its `\n`. */
  text: string;
  /** A part of a longer line: no line ending; the next entry of its stream continues it. */
  partial?: boolean;
  /** Bytes sent as they are instead of a frame (undecodable data). */
  raw?: Buffer;
}

export type FakeFlavor = 'docker' | 'podman';

/** Podman 4's wire stamp: whole seconds. */
function secondStamp(ns: bigint): string {
  return `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}Z`;
}

/** `2026-11-28T01:43:21.152000367Z` from nanoseconds since the epoch. */
export function rfc3339(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const nanos = String(ns % 1_000_000_000n).padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${nanos}Z`;
}

function sinceNs(since: string | undefined): bigint {
  if (since === undefined || since === '' || since === '0') return 0n;
  const [seconds = '0', fraction = ''] = since.split('.');
  return BigInt(seconds) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9) || '0');
}

/** Podman reads `since` as RFC 3339 (exact) or as a float number of seconds (~240 ns). */
function podmanSinceNs(since: string): bigint {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(since);
  if (match) return BigInt(Date.parse(`${match[1] as string}Z`)) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
  const seconds = Number(since);
  if (!Number.isFinite(seconds)) throw new DockerError('DOCKER_HTTP_STATUS', `HTTP 500: invalid since ${since}`, { statusCode: 500 });
  const whole = Math.floor(seconds);
  return BigInt(whole) * 1_000_000_000n + BigInt(Math.round((seconds - whole) * 1e9));
}

/** framed: multiplexed frames even for a TTY (Podman's /libpod/ endpoint). */
function frame(entry: FakeEntry, tty: boolean, flavor: FakeFlavor = 'docker', framed = false): Buffer {
  if (entry.raw) return entry.raw;
  const ending = entry.partial ? '' : tty ? '\r\n' : '\n';
  const payload = Buffer.from(`${flavor === 'podman' ? secondStamp(entry.ns) : rfc3339(entry.ns)} ${entry.text}${ending}`);
  if (tty && !framed) return payload;
  const header = Buffer.alloc(8);
  header[0] = entry.stream === 'stderr' ? 2 : 1;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

export class FakeContainer {
  readonly entries: FakeEntry[] = [];
  running = true;
  removed = false;
  readonly followers = new Set<Follower>();
  /** While set, follow streams get nothing new (a follow that silently delivers nothing); reads without follow do. */
  followDeaf = false;

  constructor(readonly info: ContainerInfo, private readonly docker: FakeDocker) {}

  get id(): string {
    return this.info.id;
  }

  /** Appends lines (one entry each) at the docker's clock, and hands them to open follow streams. */
  write(stream: 'stdout' | 'stderr', ...texts: string[]): void {
    for (const text of texts) this.append({ ns: this.docker.tick(), stream, text });
  }

  /**
   * One line written in parts (reads of the pipe), `gapNs` apart: Docker stamps every part with
   * the first one's time, Podman each with its own.
   */
  writeParts(stream: 'stdout' | 'stderr', parts: string[], gapNs = 0n): void {
    const first = this.docker.tick();
    parts.forEach((text, index) => {
      if (index > 0 && gapNs > 0n) this.docker.advance(gapNs);
      const ns = this.docker.flavor === 'podman' && index > 0 ? this.docker.tick() : first;
      this.append({ ns, stream, text, ...(index < parts.length - 1 ? { partial: true } : {}) });
    });
  }

  /** Bytes the daemon sends as they are, in file order (undecodable data). */
  writeRaw(bytes: Buffer): void {
    this.append({ ns: this.docker.tick(), stream: 'stdout', text: '', raw: bytes });
  }

  private append(entry: FakeEntry): void {
    this.entries.push(entry);
    if (this.followDeaf) return;
    for (const follower of this.followers) follower.write(frame(entry, this.info.tty, this.docker.flavor, follower.framed));
  }

  /** The container exits: follow streams end after what they have. */
  stop(): void {
    this.running = false;
    for (const follower of this.followers) follower.end();
    this.followers.clear();
    this.docker.event('die', this.id);
  }

  start(): void {
    this.running = true;
    this.docker.event('start', this.id);
  }

  /** The daemon drops every follow stream of this container (a hiccup: the container still runs). */
  dropStreams(): void {
    for (const follower of this.followers) follower.destroy(new Error('connection reset by fake daemon'));
    this.followers.clear();
  }

  remove(): void {
    this.running = false;
    this.removed = true;
    for (const follower of this.followers) follower.end();
    this.followers.clear();
    this.docker.event(this.docker.flavor === 'podman' ? 'remove' : 'destroy', this.id);
  }
}

/** A follow stream, and whether it sends multiplexed frames for a TTY (Podman's /libpod/ endpoint). */
type Follower = PassThrough & { framed: boolean };

export interface FakeDockerOptions {
  /** Which daemon to be (default docker). */
  flavor?: FakeFlavor;
  /** Where the clock starts, ns since the epoch. */
  startNs?: bigint;
  /** Clock step per written line, ns (default 1 µs: many lines share a millisecond). */
  stepNs?: bigint;
}

let nextId = 1;

/** A 64-hex id unique in this process. */
export function fakeId(): string {
  const id = nextId.toString(16).padStart(16, '0');
  nextId += 1;
  return `fa${id}`.padEnd(64, 'e');
}

export class FakeDocker implements DockerApi {
  readonly containers = new Map<string, FakeContainer>();
  readonly address = 'fake://docker';
  readonly flavor: FakeFlavor;
  /** What GET /version answers (a Docker 20.10, or a Podman 4.3.1). */
  daemon: DaemonVersion;
  /** Every call, in order: `list`, `inspect <id>`, `logs <id> follow=.. since=.. tail=..`, `events`. */
  readonly calls: string[] = [];
  /** Errors the next calls of each kind reject with, in order (then they work again). */
  readonly failures: { openLogs: DockerError[]; inspect: DockerError[]; list: DockerError[]; events: DockerError[] } = { openLogs: [], inspect: [], list: [], events: [] };
  /** Ids a listing returns besides the real containers (to test refusal of malformed ids). */
  readonly extraListedIds: string[] = [];
  private answeredAt = 0;
  private clock: bigint;
  private readonly step: bigint;
  private readonly eventStreams = new Set<PassThrough>();
  private readonly history: Array<{ timeNano: bigint; text: string }> = [];

  constructor(options: FakeDockerOptions = {}) {
    this.flavor = options.flavor ?? 'docker';
    this.daemon = this.flavor === 'podman'
      ? { version: '4.3.1', apiVersion: '1.41', platform: 'linux/amd64/debian-12', components: ['Podman Engine', 'Conmon', 'OCI Runtime (runc)'], libpodApiVersion: '4.3.1' }
      : { version: '20.10.24', apiVersion: '1.41', platform: 'Docker Engine - Community', components: ['Engine'] };
    this.clock = options.startNs ?? BigInt(Date.UTC(2026, 10, 28, 1, 0, 0)) * 1_000_000n;
    this.step = options.stepNs ?? 1_000n;
  }

  get lastAnswerAt(): number {
    return this.answeredAt;
  }

  /** The clock, advanced by one step per call. */
  tick(): bigint {
    this.clock += this.step;
    return this.clock;
  }

  /** Moves the clock forward (e.g. past the position's late-write window). */
  advance(ns: bigint): void {
    this.clock += ns;
  }

  add(options: Partial<Omit<ContainerInfo, 'id'>> & { id?: string } = {}): FakeContainer {
    const id = options.id ?? fakeId();
    const info: ContainerInfo = {
      id,
      name: options.name ?? `c-${id.slice(0, 8)}`,
      image: options.image ?? 'busybox',
      labels: options.labels ?? {},
      createdAt: options.createdAt ?? rfc3339(this.clock),
      tty: options.tty ?? false,
      logDriver: options.logDriver ?? 'json-file',
      logOptions: options.logOptions ?? {},
      running: true,
    };
    const container = new FakeContainer(info, this);
    this.containers.set(id, container);
    this.event('create', id);
    this.event('start', id);
    return container;
  }

  /** Writes an event to open events streams (and keeps it for `since` replays). */
  event(action: string, id: string, attributes: Record<string, string> = {}): void {
    const timeNano = this.tick();
    const name = this.containers.get(id)?.info.name;
    const text = `${JSON.stringify({ Type: 'container', Action: action, Actor: { ID: id, Attributes: { ...(name ? { name } : {}), ...attributes } }, time: Number(timeNano / 1_000_000_000n) }).slice(0, -1)},"timeNano":${timeNano}}\n`;
    this.history.push({ timeNano, text });
    for (const stream of this.eventStreams) stream.write(text);
  }

  /** Renames a container (the rename event carries the new name). */
  rename(id: string, name: string): void {
    const container = this.containers.get(id);
    if (!container) throw new Error(`no fake container ${id}`);
    Object.assign(container.info, { name });
    this.event('rename', id, { name, oldName: `/${name}-old` });
  }

  /** Breaks every open events stream (the daemon restarting, say). */
  dropEvents(): void {
    for (const stream of this.eventStreams) stream.destroy(new Error('events stream reset by fake daemon'));
    this.eventStreams.clear();
  }

  async version(): Promise<DaemonVersion> {
    this.calls.push('version');
    this.answeredAt = Date.now();
    return Promise.resolve({ ...this.daemon, components: [...this.daemon.components] });
  }

  async listContainers(): Promise<ContainerSummary[]> {
    this.calls.push('list');
    this.fail('list');
    this.answeredAt = Date.now();
    const listed = [...this.containers.values()].filter((c) => !c.removed).map((c) => ({ id: c.id, name: c.info.name, running: c.running }));
    for (const id of this.extraListedIds) listed.push({ id, name: 'odd', running: true });
    return Promise.resolve(listed);
  }

  async inspect(id: string): Promise<ContainerInfo> {
    this.calls.push(`inspect ${id}`);
    this.fail('inspect');
    const container = this.find(id);
    return Promise.resolve({ ...container.info, labels: { ...container.info.labels }, running: container.running });
  }

  async openLogs(id: string, query: LogQuery): Promise<ApiStream> {
    const libpod = query.libpodApiVersion !== undefined ? ` libpod=${query.libpodApiVersion}` : '';
    this.calls.push(`logs ${id} follow=${query.follow ? 1 : 0} since=${query.since ?? ''} tail=${query.tail ?? ''}${libpod}`);
    this.fail('openLogs');
    if (query.libpodApiVersion !== undefined && this.flavor !== 'podman') throw new DockerError('DOCKER_HTTP_STATUS', `HTTP 404: page not found`, { statusCode: 404 });
    const container = this.find(id);
    if (container.info.logDriver === 'none') {
      if (this.flavor === 'podman') {
        throw new DockerError('DOCKER_HTTP_STATUS', `read the logs of container ${id}: HTTP 500: failed to obtain logs for Container '${id}': this container is using the 'none' log driver, cannot read logs: this container is not logging output`, { statusCode: 500, reason: 'this container is not logging output' });
      }
      throw new DockerError('DOCKER_HTTP_STATUS', `read the logs of container ${id}: HTTP 501: configured logging driver does not support reading`, { statusCode: 501 });
    }
    // dockerd: the tail is taken first, then the since filter applies to what it returned.
    const windowed = query.tail === undefined ? container.entries : container.entries.slice(Math.max(0, container.entries.length - query.tail));
    // Docker: stamped at or after since; Podman: real time after since.
    const podman = this.flavor === 'podman';
    const from = podman ? (query.since === undefined ? -1n : podmanSinceNs(query.since)) : sinceNs(query.since);
    const stream = new PassThrough() as Follower;
    stream.framed = query.libpodApiVersion !== undefined;
    for (const entry of windowed) if (podman ? entry.ns > from : entry.ns >= from) stream.write(frame(entry, container.info.tty, this.flavor, stream.framed));
    if (query.follow && container.running) {
      container.followers.add(stream);
      stream.once('close', () => container.followers.delete(stream));
    } else {
      stream.end();
    }
    return Promise.resolve(stream);
  }

  async openEvents(options: { since?: string }): Promise<ApiStream> {
    this.calls.push('events');
    this.fail('events');
    this.answeredAt = Date.now();
    const stream = new PassThrough();
    if (options.since !== undefined) {
      const from = sinceNs(options.since);
      for (const event of this.history) if (event.timeNano >= from) stream.write(event.text);
    }
    this.eventStreams.add(stream);
    stream.once('close', () => this.eventStreams.delete(stream));
    return Promise.resolve(stream);
  }

  /**
   * What the daemon would return without follow, its parts merged into lines (each with its
   * first part's stamp, cut to the second on Podman): the oracle for a container.
   */
  expected(id: string): Array<{ timestamp: string; stream: string; message: string }> {
    const container = this.containers.get(id);
    if (!container) throw new Error(`no fake container ${id}`);
    const lines: Array<{ timestamp: string; stream: string; message: string }> = [];
    const pending = new Map<string, { timestamp: string; text: string }>();
    for (const e of container.entries) {
      if (e.raw) continue;
      const stamp = this.flavor === 'podman' ? `${secondStamp(e.ns).slice(0, 19)}.000000000Z` : rfc3339(e.ns);
      const open = pending.get(e.stream) ?? { timestamp: stamp, text: '' };
      open.text += e.text;
      if (e.partial) pending.set(e.stream, open);
      else {
        pending.delete(e.stream);
        lines.push({ timestamp: open.timestamp, stream: e.stream, message: open.text });
      }
    }
    return lines;
  }

  /** Open follow streams across all containers. */
  get openFollowers(): number {
    let count = 0;
    for (const container of this.containers.values()) count += container.followers.size;
    return count;
  }

  private find(id: string): FakeContainer {
    const container = this.containers.get(id);
    this.answeredAt = Date.now();
    if (!container || container.removed) {
      throw new DockerError('DOCKER_HTTP_STATUS', `container ${id}: HTTP 404: No such container: ${id}`, { statusCode: 404 });
    }
    return container;
  }

  private fail(kind: 'openLogs' | 'inspect' | 'list' | 'events'): void {
    const error = this.failures[kind].shift();
    if (error) throw error;
  }
}
