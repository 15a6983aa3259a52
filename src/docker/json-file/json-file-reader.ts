// ONE read of one container's json-file log straight from disk: from a FilePosition (or the
// beginning, or the end) until the current end (follow: false) or until closed (follow: true),
// handing on the same LogLines as the API route, each with the exact position after it.
//
// Why it is safe:
//   - Reads use pread at our own offset on the fd we opened, so a file renamed under us is still
//     read whole: a rotated file is read to its end before we move on (its end is final: moby
//     closes a file before it renames it). Which file comes next is found by identity
//     (log-files.ts), never by guessing from names; when it cannot be found, or exists only
//     gzipped, the read ends `unavailable` with a JsonFileError saying so, and the caller goes
//     on through the API from the last line handed on. Nothing is skipped silently.
//   - Only complete entries (ending in `\n`) are decoded; a half-written one stays in the carry
//     until the rest arrives.
//   - Positions come from the decoder (json-file-decoder.ts): exact at any moment.
//
// Following growth: fs.watch on the container's DIRECTORY (one inotify watch: it sees writes to
// the live file and the renames of a rotation alike) wakes the reader; a poll (100 ms doubling to
// maxPollMs while nothing changes) backs it up, because fs.watch is not reliable everywhere
// (network and FUSE filesystems, Docker Desktop's shared folders, a full inotify queue, the
// per-user watch limit): a lost event costs at most one poll interval, never a line. A watch
// that cannot be set up (ENOSPC: watch limit) is reported once and the poll carries on. The watch
// is on only while we wait at the end of the file, and the first event turns it off and wakes us
// coalesceMs later: dockerd writes one entry per write() and every write is an event, which
// followed one by one cost 4.5 times the CPU of reading the same lines as a backlog (measured).
//
// Resources: one fd (two for a moment while moving to the next file), one watcher, one timer.
// close() stops the watcher and the timer at once and closes the fd at once, or as soon as a
// read in flight on it returns (closing an fd under a pread could let the number be reused and
// the read land in someone else's file); `done` resolves when all of it is released.
//
// The end of a container's output cannot be seen in its file (dockerd may write more at any
// time, after a restart too). The caller knows it from events: end() reads to the end, hands on
// a pending partial line as a line (as the API route does when its stream ends) and finishes.
import { closeSync, fstat, open, read, stat, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LogLine } from '../log-line.js';
import type { FilePosition, LogFileIdentity } from './file-position.js';
import { JsonFileDecoder } from './json-file-decoder.js';
import { JsonFileError, errnoCode, fileError } from './json-file-error.js';
import { directoryExists, fileWithInode, findSuccessor, firstEntryTime, listLogFiles } from './log-files.js';
import type { ListedFile } from './log-files.js';
import type { JsonLogLocation } from './log-location.js';

const openAsync = promisify(open);
const readAsync = promisify(read);
const fstatAsync = promisify(fstat);

/** Where a read starts. */
export type JsonFileStart =
  | { kind: 'position'; position: FilePosition }
  /** The oldest file still on disk (refused with JSON_FILE_COMPRESSED if older lines are only in .gz files). */
  | { kind: 'beginning' }
  /** After the last complete entry of the live file: only lines written from now on. */
  | { kind: 'end' };

/**
 * How a read finished. `ended`: it reached the end (follow off, or after end()). `closed`: we
 * closed it. `removed`: the container's directory went away (docker rm) after everything in
 * the file was read. `unavailable`: the file route cannot go on (see JsonFileError's codes): read
 * on through the API from the last line handed on.
 */
export type JsonFileOutcome =
  | { kind: 'ended' }
  | { kind: 'closed' }
  | { kind: 'removed' }
  | { kind: 'unavailable'; error: JsonFileError };

export interface JsonFileReaderOptions {
  location: JsonLogLocation;
  start: JsonFileStart;
  /** `Config.Tty` of the container: its lines end in `\r\n`, removed whole (as the API route does). */
  tty: boolean;
  maxLineBytes: number;
  /** Keep reading as the file grows and rotates (until close() or end()), or stop at the current end. */
  follow: boolean;
  /**
   * A line not handed on before, and the position just after it. Returning false pauses the
   * reader after this line (resume() goes on), like pause() called from here.
   */
  onLine: (line: LogLine, position: FilePosition) => boolean | void;
  /** Something to log that loses nothing: a damaged entry skipped, no fs.watch (polling), a truncated file. */
  onWarning?: (message: string) => void;
  /** Bytes came from the file (before they are decoded): for byte counters, and a moment to flush line counters. */
  onRead?: (bytes: number) => void;
  /** Bytes asked of each read (default 128 KiB). */
  readBytes?: number;
  /** Longest wait between two looks at an idle file when no watch event comes (default 1000 ms). */
  maxPollMs?: number;
  /** After a watch event, wait this long before reading, so that one read takes a burst of writes (default 5 ms). */
  coalesceMs?: number;
}

interface OpenFile {
  fd: number;
  identity: LogFileIdentity;
  /** File offset of the next byte to read. */
  readOffset: number;
  /** Bytes read but not decoded: an entry still being written, or lines left by a pause. */
  carry: Buffer;
  /** File offset of carry[0]. */
  carryOffset: number;
  /** No longer the live file: its end is final. */
  rotated: boolean;
}

const DEFAULT_READ_BYTES = 128 * 1024;
const MIN_POLL_MS = 100;
/** An unfinished entry longer than this is not one (dockerd's are < 100 KiB): the file is damaged there. */
const MAX_ENTRY_BYTES = 4 << 20;
/** The end start looks this far back for the end of the last complete entry. */
const END_SCAN_BYTES = 1 << 20;
/** Attempts to open a listed file that keeps being renamed under us. */
const OPEN_ATTEMPTS = 10;
/** A rotated file whose successor is not there yet is looked at again this often, this many times, before waiting as usual. */
const NOT_YET_WAIT_MS = 10;
const NOT_YET_RETRIES = 100;

export class JsonFileReader {
  /** Lines handed on. */
  get lines(): number {
    return this.decoder.handed;
  }
  /** Bytes read from files. */
  bytes = 0;
  /** Rotated files read to their end and moved on from. */
  rotations = 0;
  /** Of those, the ones moby had gzipped before we moved on (found again by the gzip header's lastTime). */
  rotationsFoundGzipped = 0;
  /** Resolves once the read is over and its fd, watcher and timer are released. Never rejects. */
  readonly done: Promise<JsonFileOutcome>;

  private readonly options: JsonFileReaderOptions;
  private readonly location: JsonLogLocation;
  private readonly decoder: JsonFileDecoder;
  private readonly readBytes: number;
  private readonly maxPollMs: number;
  private readonly coalesceMs: number;
  private current: OpenFile | undefined;
  /** follow off: the live file and its size when the read was opened; reading stops there. */
  private endTarget: { ino: string; size: number } | undefined;
  private opened = false;
  private openCalled = false;
  /** An asynchronous step (read, stat, listing, open) is in flight: only one at a time. */
  private busy = false;
  private paused = false;
  private closing = false;
  private finished = false;
  private endRequested = false;
  private outcome: JsonFileOutcome | undefined;
  private watcher: FSWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private pollMs = MIN_POLL_MS;
  /** Waiting at the end of the live file for it to change. */
  private waiting = false;
  /** A watch event came since the last read began: the file may have changed after our last look. */
  private changed = false;
  /** Times in a row the file after a rotated one was not there yet. */
  private notYet = 0;
  private resolveDone!: (outcome: JsonFileOutcome) => void;
  /** fs.watch failed once here: the poll alone wakes us from then on. */
  private watchUnavailable = false;
  private readonly onWatchEvent = (_event: string, name: string | Buffer | null): void => {
    // Writes to the live file and the renames of a rotation; the directory's other files (config, hosts) change rarely.
    if (typeof name === 'string' && !name.startsWith(this.location.baseName)) return;
    this.changed = true;
    if (!this.waiting) return;
    // dockerd writes one entry per write(), and each sends an event: stop watching (we read until
    // the end anyway) and read in a moment, so one wake-up and one read serve a whole burst.
    this.stopWatching();
    this.cancelPoll();
    this.waitBriefly();
  };
  private readonly onWatchError = (error: Error): void => {
    this.stopWatching();
    this.watchUnavailable = true;
    this.warn(`fs.watch on ${this.location.dir} failed (${errnoCode(error) ?? error.message}): polling every ${this.maxPollMs} ms at most`);
  };

  constructor(options: JsonFileReaderOptions) {
    this.options = options;
    this.location = options.location;
    this.readBytes = Math.max(4096, options.readBytes ?? DEFAULT_READ_BYTES);
    this.maxPollMs = Math.max(MIN_POLL_MS, options.maxPollMs ?? 1000);
    this.coalesceMs = Math.max(0, options.coalesceMs ?? 5);
    this.decoder = new JsonFileDecoder({
      tty: options.tty,
      maxLineBytes: options.maxLineBytes,
      onLine: (line, position) => {
        if (options.onLine(line, position) !== false) return true;
        this.paused = true;
        return false;
      },
      onBadEntry: (reason, offset) => this.warn(`skipped a damaged entry at byte ${offset} of ${this.location.baseName}: ${reason}`),
    });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** Lines read again to get back to the start position (its `skip`). */
  get reread(): number {
    return this.decoder.reread;
  }

  /** Bytes held for partial lines and unfinished entries. */
  get pendingBytes(): number {
    return this.decoder.pendingBytes + (this.current?.carry.length ?? 0);
  }

  get isOpen(): boolean {
    return this.opened && !this.finished;
  }

  /** Time of the first piece of the oldest line begun but not handed on yet (undefined: none). */
  get oldestPendingTimestamp(): string | undefined {
    return this.decoder.oldestPendingTimestamp;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Opens the file the start names and begins reading. Rejects with a JsonFileError when the
   * file route cannot read this log (then nothing needs closing, and `done` resolves
   * `unavailable` with the same error).
   */
  async open(): Promise<void> {
    if (this.openCalled) throw new Error('JsonFileReader.open() called twice');
    this.openCalled = true;
    let first: { file: OpenFile; offset: number; skip: number };
    try {
      first = await this.openStart();
    } catch (error) {
      const failure = fileError(`open the log of ${this.location.baseName}`, this.location.path, error);
      this.outcome ??= { kind: 'unavailable', error: failure };
      this.finish();
      throw failure;
    }
    if (this.closing) {
      // close() came while we were opening.
      closeSync(first.file.fd);
      this.finish();
      return;
    }
    this.current = first.file;
    this.decoder.begin(first.file.identity, first.offset, first.skip);
    this.opened = true;
    this.pump();
  }

  /** Where to resume so that the next line is the first one not handed on (undefined until open() resolved, unless started at a position). */
  position(): FilePosition | undefined {
    if (this.opened || this.current !== undefined) return this.decoder.position();
    const start = this.options.start;
    return start.kind === 'position' ? { ...start.position } : undefined;
  }

  /** Stop reading (after the line being handed on, when called from onLine) until resume(). */
  pause(): void {
    this.paused = true;
    this.decoder.stop();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.pump();
  }

  /**
   * The container stopped (the caller saw it in the events): read what is left, hand on a
   * pending partial line as a line, and end with `ended`. A paused reader does so once resumed.
   */
  end(): void {
    if (this.endRequested || this.finished || this.closing) return;
    this.endRequested = true;
    if (this.waiting) this.wake();
  }

  /** Stops at once; resolves when the fd, watcher and timer are released. */
  close(): Promise<JsonFileOutcome> {
    if (!this.closing && !this.finished) {
      this.closing = true;
      this.outcome ??= { kind: 'closed' };
      this.decoder.stop(); // when called from onLine: no line after this one
      this.stopWatching();
      this.cancelPoll();
      // A step in flight finishes the close when it returns (it must not use a closed fd).
      if (!this.busy && this.opened) this.finish();
    }
    if (!this.openCalled) this.finish();
    return this.done;
  }

  // --- opening --------------------------------------------------------------------------------

  private async openStart(): Promise<{ file: OpenFile; offset: number; skip: number }> {
    const start = this.options.start;
    for (let attempt = 0; attempt < OPEN_ATTEMPTS; attempt += 1) {
      const files = await listLogFiles(this.location);
      const live = files.find((f) => f.index === 0 && !f.compressed);
      if (!this.options.follow && live) this.endTarget = { ino: live.ino, size: live.size };
      let chosen: ListedFile | undefined;
      if (start.kind === 'position') {
        const p = start.position;
        chosen = fileWithInode(files, p.dev, p.ino, p.firstEntryTime === '');
        if (!chosen) throw this.positionFileGone(`the file of the saved position (inode ${p.ino})`, files);
      } else if (start.kind === 'beginning') {
        const oldestIndex = files.reduce((max, f) => Math.max(max, f.index), -1);
        chosen = files.find((f) => f.index === oldestIndex && !f.compressed);
        if (oldestIndex >= 0 && !chosen) throw new JsonFileError('JSON_FILE_COMPRESSED', `the oldest lines of ${this.location.baseName} are in compressed rotated files; this route does not read .gz files`, { path: this.location.path });
      } else {
        chosen = live;
      }
      if (!chosen) throw new JsonFileError('JSON_FILE_NOT_FOUND', `no ${this.location.baseName} in ${this.location.dir}: the container does not log to json-file, or the directory is not the daemon's containers directory`, { path: this.location.path });
      const file = await this.openListed(chosen);
      if (!file) continue; // renamed between the listing and the open: list again
      try {
        return await this.placeStart(file, chosen, files);
      } catch (error) {
        closeSync(file.fd);
        throw error;
      }
    }
    throw new JsonFileError('JSON_FILE_IO', `the log files of ${this.location.baseName} kept changing while we opened them (${OPEN_ATTEMPTS} attempts)`, { path: this.location.path });
  }

  /** Opens a listed file by name and checks it is still the listed inode (or undefined: it moved). */
  private async openListed(listed: ListedFile): Promise<OpenFile | undefined> {
    const path = join(this.location.dir, listed.name);
    let fd: number;
    try {
      fd = await openAsync(path, 'r');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw fileError(`open ${path}`, path, error);
    }
    try {
      const st = await fstatAsync(fd, { bigint: true });
      if (String(st.ino) !== listed.ino || String(st.dev) !== listed.dev) {
        closeSync(fd);
        return undefined;
      }
    } catch (error) {
      closeSync(fd);
      throw fileError(`stat ${path}`, path, error);
    }
    const identity: LogFileIdentity = { dev: listed.dev, ino: listed.ino, firstEntryTime: '' };
    return { fd, identity, readOffset: 0, carry: Buffer.alloc(0), carryOffset: 0, rotated: listed.index > 0 };
  }

  private readAt(fd: number): (buffer: Buffer, position: number) => Promise<number> {
    return async (buffer, position) => (await readAsync(fd, buffer, 0, buffer.length, position)).bytesRead;
  }

  /**
   * The position's file is not on disk as a plain file any more. With gzipped rotated files
   * around it was most likely gzipped (its lines are there, for the API to read), else deleted.
   */
  private positionFileGone(what: string, files: ListedFile[]): JsonFileError {
    if (files.some((f) => f.compressed)) return new JsonFileError('JSON_FILE_COMPRESSED', `${what} is not on disk uncompressed: compressed or deleted by rotation; this route does not read .gz files`, { path: this.location.path });
    return new JsonFileError('JSON_FILE_GONE', `${what} was rotated out and deleted: the lines after the position that were in it are lost`, { path: this.location.path });
  }

  private async placeStart(file: OpenFile, listed: ListedFile, files: ListedFile[]): Promise<{ file: OpenFile; offset: number; skip: number }> {
    const start = this.options.start;
    const size = Number((await fstatAsync(file.fd, { bigint: true })).size);
    let offset = 0;
    let skip = 0;
    if (start.kind === 'position') {
      const p = start.position;
      if (p.firstEntryTime !== '' || p.offset > 0) {
        const first = await firstEntryTime(this.readAt(file.fd));
        if (p.firstEntryTime !== '' && first !== p.firstEntryTime) {
          // Its inode was freed (the file gzipped or deleted by rotation) and now holds a newer file.
          throw this.positionFileGone(`the file of the saved position (inode ${p.ino}, now holding another file: first entry ${first || 'none'}, not ${p.firstEntryTime})`, files);
        }
        file.identity.firstEntryTime = p.firstEntryTime !== '' ? p.firstEntryTime : first;
      }
      if (p.offset > size) throw new JsonFileError('JSON_FILE_GONE', `the file of the saved position (${listed.name}) is shorter (${size} bytes) than the position (${p.offset}): it was truncated`, { path: this.location.path });
      offset = p.offset;
      skip = p.skip;
    } else if (start.kind === 'end') {
      offset = await this.endOfLastEntry(file.fd, size);
      if (offset > 0) file.identity.firstEntryTime = await firstEntryTime(this.readAt(file.fd));
    }
    file.readOffset = offset;
    file.carryOffset = offset;
    return { file, offset, skip };
  }

  /** The offset just after the last `\n` in the first `size` bytes (0 if none in the last MiB). */
  private async endOfLastEntry(fd: number, size: number): Promise<number> {
    const from = Math.max(0, size - END_SCAN_BYTES);
    const tail = Buffer.alloc(size - from);
    let filled = 0;
    while (filled < tail.length) {
      const n = (await readAsync(fd, tail, filled, tail.length - filled, from + filled)).bytesRead;
      if (n === 0) break;
      filled += n;
    }
    const lf = tail.subarray(0, filled).lastIndexOf(0x0a);
    return lf < 0 ? 0 : from + lf + 1;
  }

  // --- reading --------------------------------------------------------------------------------

  /** Takes the next step unless one is in flight, or we are paused, waiting or finished. */
  private pump(): void {
    if (this.busy || this.finished || this.closing || this.paused || !this.opened) return;
    const file = this.current as OpenFile;
    // Lines left in the carry by a pause come first.
    if (file.carry.length > 0 && file.carry.lastIndexOf(0x0a) >= 0) {
      this.decodeCarry(file, file.carry);
      if (this.paused || this.closing || this.finished) return; // onLine may pause or close
    }
    if (this.endTarget !== undefined && file.identity.ino === this.endTarget.ino && file.readOffset >= this.endTarget.size) {
      this.finishAtEnd();
      return;
    }
    this.readNext(file);
  }

  private readNext(file: OpenFile): void {
    const carry = file.carry;
    if (carry.length > MAX_ENTRY_BYTES) {
      // No entry is this long: the bytes are damaged. Drop them up to the next `\n` (later reads find it).
      this.warn(`skipped ${carry.length} bytes of ${this.location.baseName} at byte ${file.carryOffset} holding no complete entry (damaged file)`);
      file.carryOffset += carry.length;
      file.carry = Buffer.alloc(0);
      this.skipToNextLine(file);
      return;
    }
    const size = Math.max(this.readBytes, carry.length);
    const buffer = Buffer.allocUnsafe(carry.length + size);
    carry.copy(buffer, 0);
    this.busy = true;
    this.changed = false;
    read(file.fd, buffer, carry.length, size, file.readOffset, (error, n) => {
      this.busy = false;
      if (this.closing) {
        this.finish();
        return;
      }
      if (error) {
        this.fail(fileError(`read ${this.location.baseName}`, this.location.path, error));
        return;
      }
      if (n === 0) {
        this.atEnd(file);
        return;
      }
      file.readOffset += n;
      this.bytes += n;
      this.options.onRead?.(n);
      this.pollMs = MIN_POLL_MS;
      this.decodeCarry(file, buffer.subarray(0, carry.length + n));
      if (this.closing || this.finished || this.paused) return; // onLine closed (finish() ran) or paused: resume() goes on
      if (n < size && this.options.follow && !this.endRequested && !file.rotated) {
        // A short read of the live file: we caught up with a writer. Reading again at once would
        // take a few lines per read (dockerd writes line by line); a moment later, a whole burst.
        this.waitBriefly();
        return;
      }
      this.pump();
    });
  }

  /** Decodes the complete entries of `buffer` (file bytes from file.carryOffset); keeps the rest as the carry. */
  private decodeCarry(file: OpenFile, buffer: Buffer): void {
    const lastLf = buffer.lastIndexOf(0x0a);
    if (lastLf < 0) {
      file.carry = buffer;
      return;
    }
    // Raw bytes checked once per read: a valid read lets the decoder hand out views of it.
    const used = this.decoder.decode(buffer, 0, lastLf + 1, file.identity, file.carryOffset, isUtf8(buffer.subarray(0, lastLf + 1)));
    file.carryOffset += used;
    file.carry = buffer.subarray(used);
  }

  /** After damaged bytes: reads on until a `\n`, and resumes decoding after it. */
  private skipToNextLine(file: OpenFile): void {
    const buffer = Buffer.allocUnsafe(this.readBytes);
    this.busy = true;
    read(file.fd, buffer, 0, buffer.length, file.readOffset, (error, n) => {
      this.busy = false;
      if (this.closing) return this.finish();
      if (error) return this.fail(fileError(`read ${this.location.baseName}`, this.location.path, error));
      if (n === 0) return this.atEnd(file);
      const lf = buffer.subarray(0, n).indexOf(0x0a);
      file.readOffset += n;
      this.bytes += n;
      if (lf < 0) {
        file.carryOffset += n;
        return this.skipToNextLine(file);
      }
      file.carryOffset += lf + 1;
      file.carry = Buffer.from(buffer.subarray(lf + 1, n));
      this.pump();
    });
  }

  /** A read returned nothing: the file is at its end for now, or for good. */
  private atEnd(file: OpenFile): void {
    if (file.rotated) {
      if (file.carry.length > 0) {
        this.warn(`the rotated file ${this.location.baseName} (inode ${file.identity.ino}) ends with ${file.carry.length} bytes of an unfinished entry (dockerd stopped mid-write?): dropped`);
        file.carryOffset += file.carry.length;
        file.carry = Buffer.alloc(0);
      }
      this.moveToNextFile(file);
      return;
    }
    // Is it still the live file, and did it shrink?
    this.busy = true;
    stat(this.location.path, { bigint: true }, (error, st) => {
      this.busy = false;
      if (this.closing) return this.finish();
      if (error && errnoCode(error) !== 'ENOENT') return this.fail(fileError(`stat ${this.location.path}`, this.location.path, error));
      if (error || String(st.ino) !== file.identity.ino || String(st.dev) !== file.identity.dev) {
        // Renamed away (a new live file follows, or the container was removed): read it to its final end.
        file.rotated = true;
        this.pump();
        return;
      }
      const size = Number(st.size);
      if (size < file.readOffset) {
        this.truncated(file, size);
        return;
      }
      if (size > file.readOffset || this.changed) {
        this.pump();
        return;
      }
      if (!this.options.follow || this.endRequested) {
        this.finishAtEnd();
        return;
      }
      this.waitForChange();
    });
  }

  /**
   * The live file is shorter than what we read: something truncated it in place (not json-file's
   * own rotation, which renames). Its old content is gone; pending pieces are handed on as they
   * are and reading starts again at its beginning.
   */
  private truncated(file: OpenFile, size: number): void {
    this.warn(`${this.location.baseName} was truncated in place (${file.readOffset} -> ${size} bytes): lines written to it since our last read are lost; reading it again from its start`);
    this.decoder.flush();
    if (this.closing || this.finished) return; // closed from onLine
    const identity: LogFileIdentity = { dev: file.identity.dev, ino: file.identity.ino, firstEntryTime: '' };
    this.current = { fd: file.fd, identity, readOffset: 0, carry: Buffer.alloc(0), carryOffset: 0, rotated: false };
    this.decoder.nextFile(identity);
    this.pump();
  }

  /** The rotated file `file` is read to its end: go on with the one written after it. */
  private moveToNextFile(file: OpenFile): void {
    this.busy = true;
    void this.openSuccessor(file).then(
      (next) => {
        this.busy = false;
        if (this.closing) {
          if (next && typeof next === 'object') closeSync(next.fd);
          this.finish();
          return;
        }
        if (next === 'removed') {
          this.decoder.flush();
          this.outcome ??= { kind: 'removed' };
          this.finish();
          return;
        }
        if (next === 'not-yet') {
          // Renamed, but the new live file is not there yet: moby creates it right after the
          // rename, so look again shortly; a read that must end does after a while.
          this.notYet += 1;
          if (this.notYet <= NOT_YET_RETRIES) this.waitForChange(NOT_YET_WAIT_MS);
          else if (!this.options.follow || this.endRequested) this.finishAtEnd();
          else this.waitForChange();
          return;
        }
        this.notYet = 0;
        closeSync(file.fd);
        this.current = next;
        this.rotations += 1;
        this.decoder.nextFile(next.identity);
        this.pump();
      },
      (error: unknown) => {
        this.busy = false;
        if (this.closing) return this.finish();
        this.fail(fileError(`find the log file after ${this.location.baseName} (inode ${file.identity.ino})`, this.location.path, error));
      },
    );
  }

  private async openSuccessor(file: OpenFile): Promise<OpenFile | 'removed' | 'not-yet'> {
    for (let attempt = 0; attempt < OPEN_ATTEMPTS; attempt += 1) {
      if (!(await directoryExists(this.location.dir))) return 'removed';
      let successor;
      try {
        successor = await findSuccessor(this.location, file.identity, this.decoder.lastEntryTime);
      } catch (error) {
        if (error instanceof JsonFileError && error.code === 'JSON_FILE_NOT_FOUND') return 'removed';
        throw error;
      }
      if (successor.kind === 'unavailable') throw successor.error;
      if (successor.kind === 'not-yet' || successor.kind === 'live') return 'not-yet';
      const next = await this.openListed(successor.file);
      if (next) {
        if (successor.byGzipHeader) this.rotationsFoundGzipped += 1;
        return next;
      }
    }
    throw new JsonFileError('JSON_FILE_IO', `the log files of ${this.location.baseName} kept changing while we looked for the next one (${OPEN_ATTEMPTS} attempts)`, { path: this.location.path });
  }

  // --- waiting --------------------------------------------------------------------------------

  private startWatching(): void {
    try {
      this.watcher = watch(this.location.dir, { persistent: true }, this.onWatchEvent);
      this.watcher.on('error', this.onWatchError);
    } catch (error) {
      this.watcher = undefined;
      this.watchUnavailable = true;
      this.warn(`cannot watch ${this.location.dir} (${errnoCode(error) ?? String(error)}): polling every ${this.maxPollMs} ms at most`);
    }
  }

  private stopWatching(): void {
    const watcher = this.watcher;
    if (!watcher) return;
    this.watcher = undefined;
    watcher.off('error', this.onWatchError);
    watcher.close();
  }

  /**
   * At the end of the live file: wait for a watch event or the next poll, then look again. The
   * watch is on only while we wait (a file being written sends an event per entry, and reading
   * needs none of them); it is set up first and the file looked at once more, since a write
   * between our last look and the watch would send no event.
   */
  private waitForChange(delayMs = this.pollMs): void {
    if (this.changed) {
      // A write came while we looked: look again now.
      this.changed = false;
      setImmediate(() => this.pump());
      return;
    }
    if (this.options.follow && this.watcher === undefined && !this.watchUnavailable) {
      this.startWatching();
      if (this.watcher !== undefined) {
        setImmediate(() => this.pump());
        return;
      }
    }
    this.waiting = true;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.pollMs = Math.min(this.pollMs * 2, this.maxPollMs);
      this.wake();
    }, delayMs);
  }

  /** Looks again in coalesceMs (or at once when end() or a watch event says so). */
  private waitBriefly(): void {
    this.waiting = true;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.wake();
    }, this.coalesceMs);
  }

  private wake(): void {
    this.cancelPoll();
    this.stopWatching();
    this.pump();
  }

  private cancelPoll(): void {
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.waiting = false;
  }

  // --- finishing ------------------------------------------------------------------------------

  /** The read reached its end: pending partial lines are lines of the log, as the API route's end() has them. */
  private finishAtEnd(): void {
    this.decoder.flush();
    this.outcome ??= { kind: 'ended' };
    this.finish();
  }

  private fail(error: JsonFileError): void {
    this.outcome ??= { kind: 'unavailable', error };
    this.finish();
  }

  private warn(message: string): void {
    this.options.onWarning?.(message);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopWatching();
    this.cancelPoll();
    const file = this.current;
    if (file) {
      try {
        closeSync(file.fd);
      } catch {
        // already closed
      }
    }
    this.current = undefined;
    const outcome = this.outcome ?? { kind: 'closed' };
    // A closed watcher's handle is released by libuv in the close phase of the loop (its inotify
    // watch is removed at once): `done` waits one full turn of the loop so that it is gone.
    setImmediate(() => setImmediate(() => this.resolveDone(outcome)));
  }
}
