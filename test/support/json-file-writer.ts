// Writes a json-file log into a directory the way moby 20.10's LogFile does, for reader tests that
// need rotations on demand (the real daemon's are tested in test/docker/): one write() per entry;
// before an entry, when the live file holds >= maxSize bytes, rotate: delete the oldest, shift
// `.N-1` -> `.N` … and rename the live file to `.1` (with max-file=1 too), then create a new live
// file; with compress, `.1` becomes `.1.gz` (gzip header Extra = {"lastTime": <last entry's
// time>}) and the plain `.1` is deleted.
import { appendFileSync, closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { goRfc3339Nano, jsonFileLine } from './json-file-model.js';
import type { ModelEntry } from './json-file-model.js';

export interface WriterOptions {
  maxSize: number;
  maxFile: number;
  compress?: boolean;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A gzip file with moby's header Extra field. */
export function mobyGzip(data: Buffer, lastTime: string): Buffer {
  const extra = Buffer.from(JSON.stringify({ lastTime }));
  const header = Buffer.alloc(12);
  header[0] = 0x1f;
  header[1] = 0x8b;
  header[2] = 8; // deflate
  header[3] = 0x04; // FEXTRA
  header[9] = 0xff; // OS unknown (Go writes 255)
  header.writeUInt16LE(extra.length, 10);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length >>> 0, 4);
  return Buffer.concat([header, extra, deflateRawSync(data), trailer]);
}

export class ModelLogWriter {
  readonly path: string;
  private size = 0;
  private lastTime = '';
  rotations = 0;

  constructor(private readonly dir: string, private readonly baseName: string, private readonly options: WriterOptions) {
    this.path = join(dir, baseName);
    writeFileSync(this.path, '');
  }

  write(entries: readonly ModelEntry[]): void {
    for (const entry of entries) {
      if (this.size >= this.options.maxSize) this.rotate();
      const line = Buffer.from(jsonFileLine(entry));
      // One write() per entry, as moby's f.Write(b).
      const fd = openSync(this.path, 'a');
      try {
        writeSync(fd, line);
      } finally {
        closeSync(fd);
      }
      this.size += line.length;
      this.lastTime = goRfc3339Nano(entry.ns);
    }
  }

  /** Appends raw bytes (a half-written entry, damage). */
  writeRaw(bytes: Buffer): void {
    appendFileSync(this.path, bytes);
    this.size += bytes.length;
  }

  rotate(): void {
    const { maxFile, compress } = this.options;
    const name = this.path;
    const ext = compress ? '.gz' : '';
    if (maxFile >= 2) {
      tryUnlink(`${name}.${maxFile - 1}${ext}`);
      for (let i = maxFile - 1; i > 1; i -= 1) tryRename(`${name}.${i - 1}${ext}`, `${name}.${i}${ext}`);
    }
    tryRename(name, `${name}.1`);
    writeFileSync(name, '');
    this.size = 0;
    this.rotations += 1;
    if (compress && maxFile >= 2) {
      writeFileSync(`${name}.1.gz`, mobyGzip(readFileSync(`${name}.1`), this.lastTime));
      unlinkSync(`${name}.1`);
    }
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not there
  }
}

function tryRename(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    // not there
  }
}
