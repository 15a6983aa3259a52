// The `time` of a json-file entry, turned into the timestamp text the API route gives every line,
// by the API route's own TimestampReader (log-timestamp.ts): the same validation (a stamp with
// no real time in it, month 13 or second 60, is refused: downstream code parses timestamps and
// must never meet one) and the same canonical form, UTC with nine fraction digits. That matters
// here because json-file writes Go's RFC3339Nano, which DROPS the trailing zeros of the fraction
// (`…:22.0253Z`, or `…:22Z` when it is zero), while the API prints the same instant with nine.
//
// TimestampReader reads a stamp followed by the space the API puts after it; in a json-file the
// stamp is followed by a quote, so its bytes are copied (30 at most) into a buffer of our own
// that has the space.
import { MAX_STAMP_BYTES, TimestampReader } from '../log-timestamp.js';

const SPACE = 0x20;

export class EntryTimeReader {
  private readonly stamps = new TimestampReader();
  private readonly scratch = Buffer.alloc(MAX_STAMP_BYTES);

  /** The canonical timestamp of the time text buf[start, end), or undefined when it is not a real RFC 3339 time. */
  read(buf: Buffer, start: number, end: number): string | undefined {
    const length = end - start;
    if (length <= 0 || length >= MAX_STAMP_BYTES) return undefined;
    buf.copy(this.scratch, 0, start, end);
    this.scratch[length] = SPACE;
    return this.stamps.read(this.scratch, 0, length + 1) === length + 1 ? this.stamps.accept() : undefined;
  }

  /** The same, for a time that is already a string (the general entry parser, gzip headers). */
  readText(text: string): string | undefined {
    const bytes = Buffer.from(text, 'latin1');
    return this.read(bytes, 0, bytes.length);
  }
}

const shared = new EntryTimeReader();

/** canonical form of an RFC 3339 time string, or undefined (see EntryTimeReader). */
export function canonicalTimestamp(text: string): string | undefined {
  return shared.readText(text);
}
