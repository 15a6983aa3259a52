// A container's json-file log files on disk, and which one follows which.
//
// What moby 20.10 does (read in its source, and seen here with real containers, see
// test/docker/json-file-rotation.test.ts): when the live file `<id>-json.log` reaches max-size,
// the writer CLOSES it, deletes the oldest rotated file, shifts `.N-1` -> `.N` … `.1` -> `.2`,
// renames the live file to `.1` and creates a new, empty live file under the old name. Each entry
// is one write() and rotation happens between entries, so no entry is ever split across files.
// With max-file=1 the live file is still renamed to `.1` (replacing the previous `.1`). With
// compress=true the old `.1` is gzipped to `.1.gz` (a NEW inode; the gzip header's Extra field
// holds {"lastTime": <time of its last entry>}) and then deleted, and the shifting works on the
// `.gz` names; the next rotation waits for that compression to finish.
//
// So names are positions in a queue, newest first, and inodes are the files' identities. The
// file that follows X is the one at X's index minus one. X is found by its inode when it is still
// uncompressed, or, once gzipped, by the lastTime in the `.gz` headers (we hold X open, so we
// know its last entry's time). A listing is taken twice until both agree, so a rotation
// happening while we list is not mistaken for a gap.
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalTimestamp } from './entry-time.js';
import { JsonFileError, errnoCode, fileError } from './json-file-error.js';
import type { JsonLogLocation } from './log-location.js';
import { parseEntry } from './json-file-entry.js';

export interface ListedFile {
  name: string;
  /** 0 = the live file, then 1, 2, … for `.1`, `.2`, … */
  index: number;
  compressed: boolean;
  dev: string;
  ino: string;
  size: number;
}

/** How many times to list before taking a listing that keeps changing. */
const LISTING_ATTEMPTS = 20;
/** A gzip header with its Extra field fits in this (moby's Extra is ~50 bytes). */
const GZIP_HEADER_BYTES = 4096;
/** The first entry of a file is read to tell a reused inode apart; entries are < 100 KiB (16 KiB escaped, plus attrs). */
const FIRST_ENTRY_MAX_BYTES = 1 << 20;

function parseName(baseName: string, name: string): { index: number; compressed: boolean } | undefined {
  if (name === baseName) return { index: 0, compressed: false };
  if (!name.startsWith(`${baseName}.`)) return undefined;
  const match = /^\.([1-9]\d{0,5})(\.gz)?$/.exec(name.slice(baseName.length));
  if (!match) return undefined;
  return { index: Number(match[1]), compressed: match[2] !== undefined };
}

async function listOnce(location: JsonLogLocation): Promise<ListedFile[]> {
  const names = await readdir(location.dir);
  const files: ListedFile[] = [];
  for (const name of names) {
    const parsed = parseName(location.baseName, name);
    if (!parsed) continue;
    try {
      const st = await stat(join(location.dir, name), { bigint: true });
      files.push({ name, index: parsed.index, compressed: parsed.compressed, dev: String(st.dev), ino: String(st.ino), size: Number(st.size) });
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error; // renamed or deleted between readdir and stat: the next listing sees it
    }
  }
  files.sort((a, b) => a.index - b.index || Number(a.compressed) - Number(b.compressed));
  return files;
}

const sameListing = (a: ListedFile[], b: ListedFile[]): boolean => a.length === b.length && a.every((f, i) => f.name === b[i]?.name && f.ino === b[i]?.ino);

/**
 * The container's log files, newest first, as one consistent snapshot (listed until two
 * listings agree). Rejects with JsonFileError (the directory is missing or unreadable).
 */
export async function listLogFiles(location: JsonLogLocation): Promise<ListedFile[]> {
  try {
    let previous = await listOnce(location);
    for (let attempt = 1; attempt < LISTING_ATTEMPTS; attempt += 1) {
      const next = await listOnce(location);
      if (sameListing(previous, next)) return next;
      previous = next;
    }
    return previous;
  } catch (error) {
    throw fileError(`list the log files in ${location.dir}`, location.dir, error);
  }
}

/** The `lastTime` moby writes into a rotated `.gz` file's header (canonical), or '' when it has none. */
export async function gzipLastTime(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(GZIP_HEADER_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    // RFC 1952: ID1 ID2 CM FLG MTIME(4) XFL OS [XLEN(2) extra] …
    if (bytesRead < 12 || head[0] !== 0x1f || head[1] !== 0x8b || ((head[3] as number) & 0x04) === 0) return '';
    const length = head.readUInt16LE(10);
    if (12 + length > bytesRead) return '';
    const extra: unknown = JSON.parse(head.toString('utf8', 12, 12 + length));
    const lastTime = (extra as { lastTime?: unknown } | null)?.lastTime;
    return typeof lastTime === 'string' ? (canonicalTimestamp(lastTime) ?? '') : '';
  } catch {
    return ''; // not moby's header: it cannot identify anything
  } finally {
    await handle.close();
  }
}

/**
 * The canonical time of the first entry of the open file `fd` (through `read`), or '' when it has
 * no complete valid first entry yet.
 */
export async function firstEntryTime(read: (buffer: Buffer, position: number) => Promise<number>): Promise<string> {
  let buffer = Buffer.alloc(16 * 1024);
  let filled = 0;
  for (;;) {
    const n = await read(buffer.subarray(filled), filled);
    filled += n;
    const lf = buffer.subarray(0, filled).indexOf(0x0a);
    if (lf >= 0) {
      const entry = parseEntry(buffer, 0, lf);
      return typeof entry === 'string' ? '' : entry.timestamp;
    }
    if (n === 0 || filled >= FIRST_ENTRY_MAX_BYTES) return '';
    if (filled === buffer.length) {
      const bigger = Buffer.alloc(buffer.length * 4);
      buffer.copy(bigger, 0, 0, filled);
      buffer = bigger;
    }
  }
}

export type Successor =
  /** Read this file next. `byGzipHeader`: X was found gzipped, by the lastTime in a `.gz` header. */
  | { kind: 'file'; file: ListedFile; byGzipHeader: boolean }
  /** X is still the live file: nothing follows it yet. */
  | { kind: 'live' }
  /** X was rotated but the file after it is not there yet (the live file is being created): look again. */
  | { kind: 'not-yet' }
  | { kind: 'unavailable'; error: JsonFileError };

/**
 * The file written after X, which we hold open and read to its end (`lastEntryTime` = the
 * canonical time of its last entry, '' if it had none).
 */
export async function findSuccessor(location: JsonLogLocation, x: { dev: string; ino: string }, lastEntryTime: string): Promise<Successor> {
  const files = await listLogFiles(location);
  let index = files.find((f) => !f.compressed && f.ino === x.ino && f.dev === x.dev)?.index;
  if (index === 0) return { kind: 'live' };
  const byGzipHeader = index === undefined;
  if (index === undefined && lastEntryTime !== '') {
    // Gzipped since: find it by the last entry's time moby put in the header.
    const matches: number[] = [];
    for (const f of files) if (f.compressed && (await gzipLastTime(join(location.dir, f.name))) === lastEntryTime) matches.push(f.index);
    if (matches.length === 1) index = matches[0];
    else if (matches.length > 1) {
      return { kind: 'unavailable', error: new JsonFileError('JSON_FILE_COMPRESSED', `the log file we read was compressed, and ${matches.length} compressed files end at the same time: which file follows it cannot be told`, { path: location.path }) };
    }
  }
  if (index === undefined) {
    const compressed = files.some((f) => f.compressed);
    return {
      kind: 'unavailable',
      error: compressed
        ? new JsonFileError('JSON_FILE_COMPRESSED', `the log file we read was rotated and compressed (or deleted) before the one after it could be found; this route does not read .gz files`, { path: location.path })
        : new JsonFileError('JSON_FILE_GONE', `the log file we read was rotated out and deleted (max-file reached) before the one after it could be found: the lines between are lost`, { path: location.path }),
    };
  }
  const next = files.filter((f) => f.index === index - 1);
  const plain = next.find((f) => !f.compressed);
  if (plain) return { kind: 'file', file: plain, byGzipHeader };
  if (next.length > 0) return { kind: 'unavailable', error: new JsonFileError('JSON_FILE_COMPRESSED', `the log file to read next (${next[0]?.name}) is compressed; this route does not read .gz files`, { path: location.path }) };
  return { kind: 'not-yet' };
}

/** The uncompressed file with this identity (dev is compared only when `firstEntryTime` cannot tell). */
export function fileWithInode(files: readonly ListedFile[], dev: string, ino: string, checkDev: boolean): ListedFile | undefined {
  return files.find((f) => !f.compressed && f.ino === ino && (!checkDev || f.dev === dev));
}

/** Whether the directory of the container exists (it goes away with `docker rm`). */
export async function directoryExists(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw fileError(`look at ${dir}`, dir, error);
  }
}
