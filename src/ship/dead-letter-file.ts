// Records the receiver refused as a whole (400), or that are too large for it even alone (413),
// go to `<state_dir>/dead-letter.ndjson`: one line per record,
// `{"dead_letter_reason":"...","status":400,"record":{...the record as sent...}}`.
// They are handled, not lost: a person can inspect and replay them.
//
// BOUNDED: the file shares its volume with positions.json, and a disk filled by dead letters
// would stop checkpoints too. When a write would take it past checkpoint.dead_letter_max_bytes,
// it becomes `dead-letter.ndjson.1` (the previous `.1` and its records are dropped, counted) and
// a new file starts; a record larger than the bound by itself is dropped and counted. Dead
// letters therefore take at most twice the bound on disk.
//
// PRIVATE: full log lines. Files are created 0600 (an older file is narrowed to 0600 when it is
// next written), inside a state directory that is 0700, and never through a symlink or a hard
// link (state-dir.ts): a write the file system refuses keeps the records and retries them.
import { mkdir, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ShipTelemetry } from './ship-telemetry.js';
import { STATE_DIR_MODE, openForAppending, openForReading } from './state-dir.js';

export const DEAD_LETTER_FILE = 'dead-letter.ndjson';
export const ROTATED_DEAD_LETTER_FILE = `${DEAD_LETTER_FILE}.1`;
export interface DeadLetterFileOptions {
  stateDir: string;
  /** checkpoint.dead_letter_max_bytes */
  maxBytes: number;
  telemetry: ShipTelemetry;
}

export class DeadLetterFile {
  readonly path: string;
  readonly rotatedPath: string;
  readonly maxBytes: number;
  private readonly stateDir: string;
  private readonly telemetry: ShipTelemetry;

  constructor(options: DeadLetterFileOptions) {
    this.stateDir = options.stateDir;
    this.path = join(options.stateDir, DEAD_LETTER_FILE);
    this.rotatedPath = join(options.stateDir, ROTATED_DEAD_LETTER_FILE);
    this.maxBytes = options.maxBytes;
    this.telemetry = options.telemetry;
  }

  /** Appends the records (each one JSON object ending in `\n`). Throws when the disk refuses. */
  async write(records: readonly Buffer[], reason: string, status: number): Promise<void> {
    const prefix = Buffer.from(`{"dead_letter_reason":${JSON.stringify(reason)},"status":${status},"record":`);
    const suffix = Buffer.from('}\n');
    let tooLarge = 0;
    const lines: Buffer[] = [];
    for (const record of records) {
      const end = record.length > 0 && record[record.length - 1] === 0x0a ? record.length - 1 : record.length;
      const length = prefix.length + end + suffix.length;
      if (length > this.maxBytes) tooLarge += 1;
      else lines.push(Buffer.concat([prefix, record.subarray(0, end), suffix], length));
    }
    if (tooLarge > 0) this.telemetry.deadLettersDropped(tooLarge, 'too_large', this.path, this.maxBytes);
    if (lines.length === 0) return;
    await mkdir(this.stateDir, { recursive: true, mode: STATE_DIR_MODE });
    let file = await openForAppending(this.path);
    try {
      let size = (await file.stat()).size;
      let pending: Buffer[] = [];
      for (const line of lines) {
        if (size + line.length > this.maxBytes && size > 0) {
          await writeAll(file, pending);
          pending = [];
          await file.close();
          await this.rotate();
          file = await openForAppending(this.path);
          size = 0;
        }
        pending.push(line);
        size += line.length;
      }
      await writeAll(file, pending);
    } finally {
      await file.close();
    }
  }

  /** The current file becomes the rotated one; the records of the rotated one it replaces are dropped. */
  private async rotate(): Promise<void> {
    const dropped = await countLines(this.rotatedPath);
    await rename(this.path, this.rotatedPath);
    this.telemetry.deadLettersRotated(this.path, this.rotatedPath, dropped, this.maxBytes);
  }
}

async function writeAll(file: FileHandle, parts: Buffer[]): Promise<void> {
  // writeFile writes it all (write() may write less); O_APPEND puts it at the end.
  if (parts.length > 0) await file.writeFile(Buffer.concat(parts));
}

/** Records in a dead-letter file (one per line); 0 when there is no such file, or a symlink (the rename replaces the link). */
async function countLines(path: string): Promise<number> {
  let file: FileHandle;
  try {
    file = await openForReading(path);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    if (code === 'ENOENT' || code === 'ELOOP') return 0;
    throw error;
  }
  try {
    const buffer = Buffer.allocUnsafe(64 * 1024);
    let lines = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return lines;
      const read = buffer.subarray(0, bytesRead);
      for (let at = read.indexOf(0x0a); at >= 0; at = read.indexOf(0x0a, at + 1)) lines += 1;
    }
  } finally {
    await file.close();
  }
}
