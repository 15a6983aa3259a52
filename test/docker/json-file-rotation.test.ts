// json-file's own rotation on the real daemon (`--log-opt max-size=1m --log-opt max-file=3`, plain
// and compress=true), read by JsonFileReader while the container writes as fast as dockerd takes
// it. The API cannot return lines from deleted files, so the oracle is what the container wrote:
// `seq` numbers, which must arrive contiguous, each once. The container writes in bursts the test
// releases (through a file in a bind mount) once the reader has caught up with the last one, so
// the reader is never more than ~1.4 MB behind: no line can be rotated away unread, however slow
// the machine (a speed race the test would otherwise depend on).
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { FilePosition } from '../../src/docker/json-file/file-position.js';
import { JsonFileReader } from '../../src/docker/json-file/json-file-reader.js';
import { firstEntryTime } from '../../src/docker/json-file/log-files.js';
import type { JsonFileOutcome, JsonFileStart } from '../../src/docker/json-file/json-file-reader.js';
import type { JsonLogLocation } from '../../src/docker/json-file/log-location.js';
import { requireDocker } from '../support/docker.js';
import { SeqContainer } from '../support/seq-container.js';
import { waitForProgress } from '../support/wait-progress.js';

/**
 * The canonical time of the live log file's first entry, as positions keep it ('' when the file is
 * missing or has no complete entry yet): tells one live file from the next, as an inode cannot.
 */
async function liveFirstEntryTime(path: string): Promise<string> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    return await firstEntryTime(async (buffer, position) => (await file.read(buffer, 0, buffer.length, position)).bytesRead);
  } finally {
    await file.close();
  }
}

/** Lines per burst: about 1.5 MB of json-file, so every burst rotates a 1 MB file once or twice. */
const BURST = 20_000;
/** About 0.7 MB: at most one rotation of a 1 MB file. */
const SMALL_BURST = 9_000;

/** Reads the container's numbers, checking as they come that each is the next one. */
class SeqReader {
  next = 1;
  readonly reader: JsonFileReader;
  outcome: JsonFileOutcome | undefined;
  position: FilePosition | undefined;
  readonly warnings: string[] = [];

  constructor(location: JsonLogLocation, start: JsonFileStart, expectNext = 1) {
    this.next = expectNext;
    this.reader = new JsonFileReader({
      location,
      start,
      tty: false,
      maxLineBytes: 1000,
      follow: true,
      onLine: (line, position) => {
        const n = Number(line.message.toString());
        if (n !== this.next) throw new Error(`expected ${this.next}, got ${JSON.stringify(line.message.toString())} (${n < this.next ? 'a repeat' : 'a gap'})`);
        this.next += 1;
        this.position = position;
      },
      onWarning: (m) => this.warnings.push(m),
    });
    void this.reader.done.then((outcome) => {
      this.outcome = outcome;
    });
  }

  /** Waits until every number up to `last` was read; fails at once if the read ended. */
  async readUpTo(last: number): Promise<void> {
    await waitForProgress(`numbers up to ${last}`, () => {
      if (this.next > last) return true;
      if (this.outcome) throw new Error(`the read ended ${JSON.stringify(this.outcome)} at ${this.next - 1} of ${last}`);
      return false;
    }, () => this.next);
  }
}

describe('json-file route: json-file\'s own rotation (real daemon)', () => {
  it('follows max-size=1m max-file=3 rotations while the container writes, losing and repeating nothing; then a restart resumes across rotations', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const seq = await SeqContainer.start(docker, { 'max-size': '1m', 'max-file': '3' });
    try {
      const first = new SeqReader(seq.location, { kind: 'beginning' });
      await first.reader.open();
      const seen = new Set<string>();
      for (let burst = 0; burst < 12; burst += 1) {
        seq.release(BURST);
        await first.readUpTo(seq.written);
        for (const name of seq.logFiles()) seen.add(name);
      }
      t.diagnostic(`read ${first.next - 1} numbers across ${first.reader.rotations} rotations; files seen: ${[...seen].map((n) => n.slice(64)).join(' ')}`);
      assert.ok(first.reader.rotations >= 10, `rotations followed: ${first.reader.rotations}`);
      assert.deepEqual([...seen].map((n) => n.slice(64)).sort(), ['-json.log', '-json.log.1', '-json.log.2'], 'max-file=3: the live file and two rotated ones');
      await first.reader.close();
      const position = first.reader.position() as FilePosition;
      assert.deepEqual(first.warnings, []);

      // Down across a rotation: the position's file is renamed (to .1, then .2) while we are closed.
      assert.notEqual(position.firstEntryTime, '', 'the position knows its file by its first entry');
      seq.release(BURST);
      await waitForProgress('a rotation while closed', async () => (await liveFirstEntryTime(seq.location.path)) !== position.firstEntryTime, () => statSync(seq.location.path).size);
      const resumed = new SeqReader(seq.location, { kind: 'position', position }, first.next);
      await resumed.reader.open();
      await resumed.readUpTo(seq.written);
      assert.ok(resumed.reader.rotations >= 1, 'the resumed read started in a rotated file and moved on');
      assert.equal(resumed.reader.reread, position.skip);
      await resumed.reader.close();

      // Down across three rotations: the position's file was deleted (max-file=3): said, not guessed.
      const stale = resumed.reader.position() as FilePosition;
      seq.release(BURST * 3);
      // 4.5 MB: at least three rotations, so the file of the position is deleted (its inode may
      // already hold a newer file: ext4 hands freed inodes out again at once).
      await seq.writtenOut();
      const gone = new SeqReader(seq.location, { kind: 'position', position: stale }, resumed.next);
      await assert.rejects(gone.reader.open(), (error: Error & { code?: string }) => error.code === 'JSON_FILE_GONE');
    } finally {
      await seq.remove();
    }
  });

  it('follows compress=true rotations (the file it holds is gzipped under it), and says JSON_FILE_COMPRESSED for a position in a gzipped file', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const seq = await SeqContainer.start(docker, { 'max-size': '1m', 'max-file': '3', compress: 'true' });
    try {
      const reader = new SeqReader(seq.location, { kind: 'beginning' });
      await reader.reader.open();
      // With compress=true a rotated file stays plain only until it is gzipped, right after its
      // rotation: the file after the one we read must still be the live one when we get to it.
      // Bursts smaller than max-size make at most one rotation each, so that holds at any speed.
      for (let burst = 0; burst < 10; burst += 1) {
        seq.release(SMALL_BURST);
        await reader.readUpTo(seq.written);
      }
      assert.ok(reader.reader.rotations >= 5, `rotations followed: ${reader.reader.rotations}`);
      t.diagnostic(`${reader.reader.rotations} rotations followed; at ${reader.reader.rotationsFoundGzipped} of them dockerd had gzipped the file before we moved on`);
      assert.ok(seq.logFiles().some((name) => name.endsWith('.gz')), `rotated files are gzipped: ${seq.logFiles().join(' ')}`);
      await reader.reader.close();
      const position = reader.reader.position() as FilePosition;
      assert.notEqual(position.firstEntryTime, '', 'the position knows its file by its first entry');
      seq.release(BURST);
      // The live file is another one once its first entry is; its inode cannot tell: dockerd frees
      // the inode of a file it gzipped, and a later live file may get the same number.
      const rotatedAndGzipped = async (): Promise<boolean> => (await liveFirstEntryTime(seq.location.path)) !== position.firstEntryTime && !seq.logFiles().some((n) => n.endsWith('.1'));
      await waitForProgress('a rotation and its compression', rotatedAndGzipped, () => seq.logFiles().join());
      const again = new SeqReader(seq.location, { kind: 'position', position }, reader.next);
      await assert.rejects(again.reader.open(), (error: Error & { code?: string }) => error.code === 'JSON_FILE_COMPRESSED');
    } finally {
      await seq.remove();
    }
  });

  it('reads a stopped container to its end: end() after its exit hands on everything', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const seq = await SeqContainer.start(docker, { 'max-size': '1m', 'max-file': '3' });
    try {
      const reader = new SeqReader(seq.location, { kind: 'beginning' });
      await reader.reader.open();
      seq.release(BURST);
      await reader.readUpTo(seq.written);
      seq.release(BURST / 2);
      await seq.stop(); // the caller would see `die` in the events
      reader.reader.end();
      assert.deepEqual(await reader.reader.done, { kind: 'ended' });
      assert.equal(reader.next - 1, seq.written, 'every number, read after the exit without waiting for more');
    } finally {
      await seq.remove();
    }
  });
});
