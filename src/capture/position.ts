// Exact resume positions in a container's log.
//
// Docker's `since` filter is inclusive and compares nanosecond timestamps, and several lines can
// carry the same timestamp (stdout and stderr written together, the chunks of one long line).
// Resuming by timestamp alone therefore loses or repeats lines. A position here is a pair:
//
//   since  a time; reopening the stream with `since` returns every line with timestamp >= since,
//          in the daemon's file order
//   skip   how many of the lines we already consumed have timestamp >= since
//
// Because we consume lines in file order, the consumed lines with timestamp >= since are exactly
// the first `skip` lines that the reopened stream returns, for ANY choice of `since`. So skipping
// them is exact. The choice of `since` only matters for lines the daemon wrote out of timestamp
// order (its stdout and stderr copiers stamp lines before they take the file lock, so a line can
// land in the file a few microseconds "late"): a not-yet-consumed line older than `since` would
// be filtered out by the daemon. So `since` is not the newest timestamp but the start of the
// millisecond before it, which tolerates up to a millisecond of such skew, and `skip` counts the
// consumed lines of those two milliseconds. This is the issue's "(last timestamp, lines at that
// timestamp)" generalised by a one-millisecond margin; it costs re-reading at most ~2 ms of lines.

/** Where to reopen a container's log stream. Plain data: it is persisted in positions.json. */
export interface Position {
  /** Milliseconds since the epoch; 0 = from the very beginning. */
  sinceMs: number;
  /** Lines with timestamp >= since that were already consumed. */
  skip: number;
}

export const BEGINNING: Position = Object.freeze({ sinceMs: 0, skip: 0 });

/** `since` for the Docker API: `SECONDS.NANOSECONDS` as a string (a JS number cannot hold ns). */
export function sinceParam(position: Position): string {
  if (position.sinceMs <= 0) return '0';
  const seconds = Math.floor(position.sinceMs / 1000);
  const nanos = (position.sinceMs % 1000) * 1_000_000;
  return `${seconds}.${String(nanos).padStart(9, '0')}`;
}

/** Milliseconds since the epoch of a Docker RFC 3339 timestamp (the nanoseconds are cut, not rounded). */
export function timestampMs(timestamp: string): number {
  // Docker writes UTC with a fixed width: `2026-11-28T01:43:21.152000367Z`. Date.parse keeps the ms.
  const ms = Date.parse(timestamp.length > 24 && timestamp.endsWith('Z') ? `${timestamp.slice(0, 23)}Z` : timestamp);
  if (Number.isNaN(ms)) throw new Error(`not an RFC 3339 timestamp: ${JSON.stringify(timestamp)}`);
  return ms;
}

/** Orders two positions: negative when a is earlier than b. */
export function comparePositions(a: Position, b: Position): number {
  return a.sinceMs !== b.sinceMs ? a.sinceMs - b.sinceMs : a.skip - b.skip;
}

/**
 * Follows the lines consumed from one container and says where to resume. Kept tiny: observe()
 * runs once per log line, and parses a timestamp only when the millisecond changes.
 *
 * Every line the stream returns must be observed, including the `skip` lines that a reopened
 * stream discards at its start: they were consumed before, and the counts need them.
 */
export class PositionTracker {
  private currentKey = '';
  private currentMs = -1;
  private currentCount = 0;
  private previousCount = 0;

  /** @param start the position the stream was opened at. */
  constructor(private readonly start: Position = BEGINNING) {}

  /** Records that the line with this timestamp was consumed. */
  observe(timestamp: string): void {
    const key = timestamp.slice(0, 23); // `YYYY-MM-DDTHH:MM:SS.mmm`: the millisecond
    if (key === this.currentKey) {
      this.currentCount += 1;
      return;
    }
    this.observeNewMillisecond(key, timestampMs(timestamp));
  }

  private observeNewMillisecond(key: string, ms: number): void {
    if (ms > this.currentMs) {
      this.previousCount = ms === this.currentMs + 1 ? this.currentCount : 0;
      this.currentKey = key;
      this.currentMs = ms;
      this.currentCount = 1;
    } else if (ms === this.currentMs - 1) {
      this.previousCount += 1; // written late, but still inside the window
    }
    // Older still: the daemon's `since` will not return it again, so it needs no counting.
  }

  /** Where to reopen so the next line read is the first one not yet observed. */
  position(): Position {
    if (this.currentMs < 0) return { sinceMs: this.start.sinceMs, skip: this.start.skip };
    // Never reach back before where this stream started: lines older than the start were
    // deliberately not read (initial_position: end), and every line we did read is >= start.
    return { sinceMs: Math.max(this.currentMs - 1, this.start.sinceMs), skip: this.previousCount + this.currentCount };
  }
}
