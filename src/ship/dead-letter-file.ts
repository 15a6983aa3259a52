// Records the receiver refused as a whole (400), or that are too large for it even alone (413),
// go to `<state_dir>/dead-letter.ndjson`: one line per record,
// `{"dead_letter_reason":"...","status":400,"record":{...the record as sent...}}`.
// They are handled, not lost: a person can inspect and replay them.
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export const DEAD_LETTER_FILE = 'dead-letter.ndjson';

export class DeadLetterFile {
  readonly path: string;

  constructor(private readonly stateDir: string) {
    this.path = join(stateDir, DEAD_LETTER_FILE);
  }

  /** Appends the records (each one JSON object ending in `\n`). Throws when the disk refuses. */
  async write(records: readonly Buffer[], reason: string, status: number): Promise<void> {
    const prefix = Buffer.from(`{"dead_letter_reason":${JSON.stringify(reason)},"status":${status},"record":`);
    const suffix = Buffer.from('}\n');
    const parts: Buffer[] = [];
    for (const record of records) {
      const end = record.length > 0 && record[record.length - 1] === 0x0a ? record.length - 1 : record.length;
      parts.push(prefix, record.subarray(0, end), suffix);
    }
    await mkdir(this.stateDir, { recursive: true });
    await appendFile(this.path, Buffer.concat(parts));
  }
}
