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
// order: its stdout and stderr copiers stamp a line before they take the file lock, so while one
// copier writes a burst, a line of the other stream stamped earlier lands in the file "late"
// (measured here: 5 ms behind a 2,000-line printf). A not-yet-consumed line older than `since`
// would be filtered out by the daemon. So `since` is not the newest timestamp but
// LATE_WRITE_WINDOW_MS before it, and `skip` counts the consumed lines of that window (one
// counter per millisecond). This is the "(last timestamp, lines at that timestamp)"
// generalised by a margin; it costs re-reading one window of lines at each reopening.

/** Where to reopen a container's log stream. Plain data: it is persisted in positions.json. */
export interface Position {
  /** Milliseconds since the epoch; 0 = from the very beginning. */
  sinceMs: number;
  /** Lines with timestamp >= since that were already consumed. */
  skip: number;
  /**
   * The newest consumed line's millisecond, present only when it is later than since plus the
   * late-write window (a long line still arriving held the position back). Without it that
   * bound holds, and a reopened stream knows any line after it was never consumed (which is how
   * it notices that the daemon rotated skipped lines away: see PositionedLineReader).
   */
  newestMs?: number;
}

/** No line consumed before `position` is newer than this millisecond. */
export function newestConsumedMs(position: Position): number {
  return position.newestMs ?? position.sinceMs + LATE_WRITE_WINDOW_MS;
}

export const BEGINNING: Position = Object.freeze({ sinceMs: 0, skip: 0 });

/** How far back a line may land in the file behind a newer one and still never be lost. */
export const LATE_WRITE_WINDOW_MS = 250;

/** `since` for the Docker API: `SECONDS.NANOSECONDS` as a string (a JS number cannot hold ns). */
export function sinceParam(position: Position): string {
  if (position.sinceMs <= 0) return '0';
  const seconds = Math.floor(position.sinceMs / 1000);
  const nanos = (position.sinceMs % 1000) * 1_000_000;
  return `${seconds}.${String(nanos).padStart(9, '0')}`;
}

/**
 * The canonical timestamp text of a millisecond (`2026-11-28T01:43:21.152000000Z`): the form
 * the frame parser gives every line, so that comparing texts compares times.
 */
export function timestampText(ms: number): string {
  return `${new Date(Math.max(0, ms)).toISOString().slice(0, 23)}000000Z`;
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
  /** Lines consumed per millisecond of the window [currentMs - window, currentMs], as a ring. */
  private readonly counts: Uint32Array;
  /** Sum of `counts`: the consumed lines with timestamp >= currentMs - window. */
  private windowCount = 0;
  /** While a partial line is being assembled: the position may not pass its timestamp (see pin()). */
  private pinnedMs = -1;
  private pinnedKey = '';
  private pinnedCount = 0;
  /** Lines observed at or after the start's since (the daemon sends no others). */
  private countFromStart = 0;
  private readonly startKey: string;

  /**
   * @param start the position the stream was opened at.
   * @param windowMs how late a line may be written and still be counted (tests may shrink it).
   */
  constructor(private readonly start: Position = BEGINNING, private readonly windowMs = LATE_WRITE_WINDOW_MS) {
    this.counts = new Uint32Array(windowMs + 1);
    this.startKey = start.sinceMs > 0 ? new Date(start.sinceMs).toISOString().slice(0, 23) : '';
  }

  /** Records that the line with this timestamp was consumed. */
  observe(timestamp: string): void {
    const key = timestamp.slice(0, 23); // `YYYY-MM-DDTHH:MM:SS.mmm`: the millisecond
    if (this.pinnedMs >= 0 && key >= this.pinnedKey) this.pinnedCount += 1;
    if (key >= this.startKey) this.countFromStart += 1;
    if (key === this.currentKey) {
      (this.counts[this.currentMs % this.counts.length] as number) += 1;
      this.windowCount += 1;
      return;
    }
    this.observeOtherMillisecond(key, timestampMs(timestamp));
  }

  private observeOtherMillisecond(key: string, ms: number): void {
    const size = this.counts.length;
    if (ms > this.currentMs) {
      // The window slides forward: the milliseconds it leaves are forgotten.
      const leaving = this.currentMs < 0 ? 0 : Math.min(ms - this.currentMs, size);
      for (let i = 1; i <= leaving; i += 1) {
        const slot = (this.currentMs + i) % size; // the slot of ms (currentMs + i) - size
        this.windowCount -= this.counts[slot] as number;
        this.counts[slot] = 0;
      }
      this.currentKey = key;
      this.currentMs = ms;
    } else if (ms < this.currentMs - this.windowMs) {
      return; // older than the window: the daemon's `since` will not return it again
    }
    (this.counts[ms % size] as number) += 1; // this millisecond, or a line written late
    this.windowCount += 1;
  }

  /** Consumed lines with timestamp >= ms, for ms inside the window. */
  private countFrom(ms: number): number {
    if (this.currentMs < 0) return 0;
    let total = 0;
    for (let m = Math.max(ms, this.currentMs - this.windowMs); m <= this.currentMs; m += 1) total += this.counts[m % this.counts.length] as number;
    return total;
  }

  /**
   * A line with this timestamp has begun (its first 16 KiB frame arrived) but is not complete.
   * Lines of the other stream may complete meanwhile and move the window past it; if the stream
   * were closed then, reopening there would filter the unfinished line out. So until unpin(),
   * position() reaches back no later than the millisecond before it, counting from there.
   * Call it before observing any line that completes after the partial one began.
   */
  pin(timestamp: string): void {
    if (this.pinnedMs >= 0) return; // the oldest pending line pinned it already
    // Counts are held for the window only; a partial line older than that was written out of
    // order by more than the window tolerates anyway. Before any line was observed (a reopened
    // stream whose first frame is a partial) the count is 0: the lines skipped at the start are
    // observed, and counted, as they come.
    const ms = Math.max(timestampMs(timestamp) - 1, this.currentMs - this.windowMs, this.start.sinceMs);
    this.pinnedMs = ms;
    this.pinnedKey = new Date(ms).toISOString().slice(0, 23);
    this.pinnedCount = this.countFrom(ms);
  }

  /** No partial line is pending any more. */
  unpin(): void {
    this.pinnedMs = -1;
  }

  /** Where to reopen so the next line read is the first one not yet observed. */
  position(): Position {
    if (this.currentMs < 0) return { ...this.start };
    const windowStart = this.currentMs - this.windowMs;
    if (this.pinnedMs >= 0 && this.pinnedMs < Math.max(windowStart, this.start.sinceMs)) {
      return this.currentMs > this.pinnedMs + LATE_WRITE_WINDOW_MS ? { sinceMs: this.pinnedMs, skip: this.pinnedCount, newestMs: this.currentMs } : { sinceMs: this.pinnedMs, skip: this.pinnedCount };
    }
    // Never reach back before where this stream started: lines older than the start were
    // deliberately not read (initial_position: end), and every line we did read is >= start.
    if (this.start.sinceMs > windowStart) return { sinceMs: this.start.sinceMs, skip: this.countFromStart };
    return { sinceMs: windowStart, skip: this.windowCount };
  }
}
