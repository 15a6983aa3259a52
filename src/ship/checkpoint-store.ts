// The acknowledged position of every container, persisted to `<state_dir>/positions.json`.
//
// Only the ack tracker commits here, so every position on disk is one the receiver has taken.
// Writes are atomic (temporary file, fsync, rename, fsync of the directory): after a crash the
// file is either the old or the new version, never half of one. A file we cannot parse is
// reported and set aside, never trusted: trusting garbage could skip logs. No write or read
// here follows a symlink, and the directory must be ours alone (see state-dir.ts).
//
// File format:
//   { "version": 1, "containers": { "<id>": { "since_ms": n, "skip": n, "newest_ms"?: n, "last_timestamp": "...", "name": "..." } } }
// (newest_ms only where a long line held the position back: see Position.newestMs)
import { mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Counter } from 'prom-client';
import type { Position } from '../capture/position.js';
import type { PositionSource } from '../capture/position-source.js';
import { isContainerId } from '../docker/container-id.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import type { Logger } from '../utils/logger.js';
import type { CheckpointCommitter } from './ack-tracker.js';
import { STATE_DIR_MODE, UnsafeStateDirError, isTemporaryOf, openForReading, prepareStateDir, writeFileAtomically } from './state-dir.js';

export const POSITIONS_FILE = 'positions.json';

interface StoredPosition {
  since_ms: number;
  skip: number;
  newest_ms?: number;
  last_timestamp: string;
  name: string;
}

export interface CheckpointStoreOptions {
  stateDir: string;
  flushIntervalMs: number;
  logger: Logger;
  registry: MetricsRegistry;
}

export class CheckpointStore implements PositionSource, CheckpointCommitter {
  private readonly path: string;
  private readonly entries = new Map<string, StoredPosition>();
  private dirty = false;
  private failing = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private noFile = true;
  private readonly writes: Counter<'result'>;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: CheckpointStoreOptions) {
    this.path = join(options.stateDir, POSITIONS_FILE);
    this.writes = new Counter({ name: 'log_capturer_checkpoint_writes_total', help: 'Times positions.json was written.', labelNames: ['result'] as const, registers: [options.registry] });
    for (const result of ['ok', 'error'] as const) this.writes.inc({ result }, 0);
  }

  /**
   * True when no positions file existed. A corrupt file does NOT make a first run: treating it as
   * one would let `initial_position: end` skip logs; resuming from the beginning repeats instead.
   */
  get firstRun(): boolean {
    return this.noFile;
  }

  /**
   * Reads positions.json. Throws UnsafeStateDirError when the state directory belongs to another
   * user or others may write to it: the capturer must not start then.
   */
  async load(): Promise<void> {
    try {
      await prepareStateDir(this.options.stateDir);
      await this.removeTemporaryFiles();
    } catch (error) {
      if (error instanceof UnsafeStateDirError) throw error;
      this.reportFailure('cannot create the state directory', error);
    }
    let text: string;
    try {
      text = await readText(this.path);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') {
        this.noFile = true;
        return;
      }
      this.noFile = false;
      if (errorCode(error) === 'ELOOP') {
        // Not ours to trust: containers resume from their initial position, and the next write
        // replaces the link itself (a rename never follows one).
        this.dirty = true;
        this.options.logger.error({ path: this.path }, 'positions.json is a symbolic link, which is never followed: ignored it; containers resume from their initial position (lines may be shipped again)');
        return;
      }
      this.reportFailure('cannot read positions.json', error);
      return;
    }
    this.noFile = false;
    const parsed = parsePositions(text);
    if (parsed === undefined) {
      const aside = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      try {
        await rename(this.path, aside);
      } catch (error) {
        this.reportFailure('cannot move the corrupt positions.json aside', error);
      }
      this.options.logger.error({ path: this.path, moved_to: aside }, 'positions.json is corrupt: set it aside and ignored it; containers resume from their initial position (lines may be shipped again)');
      return;
    }
    let refused = 0;
    for (const [id, entry] of parsed) {
      // An id goes into URL paths: only the daemon's own form is taken from a file.
      if (isContainerId(id)) this.entries.set(id, entry);
      else refused += 1;
    }
    if (refused > 0) this.options.logger.warn({ path: this.path, refused }, 'positions.json: ignored entries whose key is not a 64-hex container id');
  }

  get(containerId: string): Position | undefined {
    const entry = this.entries.get(containerId);
    if (entry === undefined) return undefined;
    return entry.newest_ms === undefined ? { sinceMs: entry.since_ms, skip: entry.skip } : { sinceMs: entry.since_ms, skip: entry.skip, newestMs: entry.newest_ms };
  }

  commit(containerId: string, position: Position, lastTimestamp: string, containerName: string): void {
    this.entries.set(containerId, {
      since_ms: position.sinceMs,
      skip: position.skip,
      ...(position.newestMs === undefined ? {} : { newest_ms: position.newestMs }),
      last_timestamp: lastTimestamp,
      name: containerName,
    });
    this.dirty = true;
  }

  forget(containerId: string): void {
    if (this.entries.delete(containerId)) this.dirty = true;
  }

  /** Drops the positions of containers that no longer exist (removed while we were down). */
  retainOnly(existingIds: ReadonlySet<string>): void {
    for (const id of [...this.entries.keys()]) if (!existingIds.has(id)) this.forget(id);
  }

  /** Writes positions.json if anything changed. Never throws: a failure is logged and reported. */
  flush(): Promise<void> {
    // One write at a time; a flush asked for during a write runs after it.
    this.writing = this.writing.then(() => this.writeIfDirty());
    return this.writing;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes the last positions; once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer !== undefined) clearInterval(this.timer);
      this.timer = undefined;
      await this.flush();
    })();
    return this.closing;
  }

  healthy(): boolean {
    return !this.failing;
  }

  /** Containers with a stored position (for /status). */
  size(): number {
    return this.entries.size;
  }

  /** Container id -> Docker timestamp of its newest acknowledged line (for /status: how far delivery has got). */
  acknowledgedTimestamps(): Record<string, string> {
    const timestamps: Record<string, string> = {};
    for (const [id, entry] of this.entries) timestamps[id] = entry.last_timestamp;
    return timestamps;
  }

  private async writeIfDirty(): Promise<void> {
    // After a failed write, retry even if nothing new was committed: the file is stale.
    if (!this.dirty && !this.failing) return;
    const containers: Record<string, StoredPosition> = {};
    for (const [id, entry] of this.entries) containers[id] = entry;
    const text = `${JSON.stringify({ version: 1, containers })}\n`;
    this.dirty = false;
    try {
      await mkdir(this.options.stateDir, { recursive: true, mode: STATE_DIR_MODE });
      await writeFileAtomically(this.path, text);
    } catch (error) {
      this.dirty = true;
      this.writes.inc({ result: 'error' });
      this.reportFailure('cannot write positions.json; capture goes on but positions do not advance on disk', error);
      return;
    }
    this.writes.inc({ result: 'ok' });
    if (this.failing) this.options.logger.info({ path: this.path }, 'positions.json is written again');
    this.failing = false;
  }

  /** Temporary files of writes a kill interrupted (unlink removes a symlink, not its target). */
  private async removeTemporaryFiles(): Promise<void> {
    for (const name of await readdir(this.options.stateDir)) {
      if (isTemporaryOf(this.path, name) || name === `${POSITIONS_FILE}.tmp`) await unlink(join(this.options.stateDir, name)).catch(() => undefined);
    }
  }

  /** One error log per episode of failure, not one per flush interval. */
  private reportFailure(what: string, error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.options.logger.error({ path: this.path, state_dir: this.options.stateDir, code: errorCode(error), err: error }, `${what}: check that checkpoint.state_dir is writable and the disk is not full`);
  }
}

/** The file's text; a symlink is refused (ELOOP) rather than followed. */
async function readText(path: string): Promise<string> {
  const file = await openForReading(path);
  try {
    return await file.readFile('utf8');
  } finally {
    await file.close();
  }
}

function parsePositions(text: string): Map<string, StoredPosition> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value) || value.version !== 1 || !isObject(value.containers)) return undefined;
  const out = new Map<string, StoredPosition>();
  for (const [id, entry] of Object.entries(value.containers)) {
    if (!isObject(entry)) return undefined;
    const { since_ms: sinceMs, skip, newest_ms: newestMs, last_timestamp: lastTimestamp, name } = entry;
    if (newestMs !== undefined && (typeof newestMs !== 'number' || !Number.isFinite(newestMs) || newestMs < 0)) return undefined;
    if (typeof sinceMs !== 'number' || !Number.isFinite(sinceMs) || sinceMs < 0) return undefined;
    if (typeof skip !== 'number' || !Number.isInteger(skip) || skip < 0) return undefined;
    out.set(id, { since_ms: sinceMs, skip, ...(typeof newestMs === 'number' ? { newest_ms: newestMs } : {}), last_timestamp: typeof lastTimestamp === 'string' ? lastTimestamp : '', name: typeof name === 'string' ? name : '' });
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}
