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
//
// Coarse stamps (Podman before its fix of late 2025 stamps log lines to the second on the wire,
// `…:21Z`): the daemon still FILTERS `since` by each part's real nanosecond time, exclusively
// (`time.After(since)`), and reads a float `since` only to ~240 ns but an RFC 3339 string
// exactly. So a position's `since` is a whole second S of the stamps, sent as the RFC 3339 text
// of S minus 1 ns: the daemon then returns every part whose real time is >= S, which is every
// part stamped >= S. `skip` counts the consumed lines stamped >= S. The tracker works the same
// way in units of the stamps' resolution (1 ms for Docker, 1 s for Podman 4): it counts lines per
// unit and rounds positions down to a whole unit.
//
// Parts stamped separately: Podman stamps each part of a long line when it read it, and filters
// each part by its own time, so a stream reopened at S returns a line whose first part is older
// than S cut to its later parts, at the same place in the order of lines (a line is complete
// when its last part comes). Lines are therefore counted by their LAST part's stamp
// (LogLine.lastPartTimestamp): the lines a reopened stream returns, cut or whole, are exactly the
// consumed lines whose last part is stamped >= S, and they come first. (Docker gives every part
// the first part's stamp, so there the two stamps are the same.)

import type { FilePosition } from '../docker/json-file/file-position.js';

/**
 * Where to reopen a container's log stream. Plain data: it is persisted in positions.json.
 *
 * `file` is the same point as a byte offset in the container's json-file log, present when the
 * lines up to here were read by the file route (see docker/json-file/file-position.ts): the file
 * route resumes there in O(1). The time part is always kept as well, exact, so the API route can
 * take over from any position (a file that became unreadable, or a changed configuration); a
 * position without `file` is found in the file by scanning it (FileContainerStream).
 */
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
  /** The same point in the json-file log (file route only). */
  file?: FilePosition;
  /**
   * With `file`: the line ordinals' counters after the lines before this point (event_id counts
   * lines sharing a timestamp), so a reading resumed at the byte offset, which does not see the
   * lines before it, gives every line the ordinal a single reading gives it.
   */
  ordinals?: LineOrdinalState;
}

/** The last timestamp of each stream and how many lines before the last one shared it. */
export interface LineOrdinalState {
  stdout: string;
  stdoutCount: number;
  stderr: string;
  stderrCount: number;
}

/** No line consumed before `position` is newer than this millisecond. */
export function newestConsumedMs(position: Position): number {
  return position.newestMs ?? position.sinceMs + LATE_WRITE_WINDOW_MS;
}

export const BEGINNING: Position = Object.freeze({ sinceMs: 0, skip: 0 });

/** How far back a line may land in the file behind a newer one and still never be lost. */
export const LATE_WRITE_WINDOW_MS = 250;

/**
 * How a daemon reads `since`:
 *   docker  `SECONDS.NANOSECONDS`, inclusive: the lines stamped at or after it
 *   podman  any RFC 3339 or a float, exclusive, compared with each part's real time; a float is
 *           read to ~240 ns only, so it gets the exact RFC 3339 text of since minus 1 ns (the parts
 *           at or after since). Docker answers an RFC 3339 `since` with 500.
 */
export type SinceStyle = 'docker' | 'podman';

/** How fine a daemon's stamps are, in ms: 1 (Docker: ns; or any daemon whose stamps have ms) or 1000 (Podman 4: whole seconds). */
export type StampResolutionMs = 1 | 1000;

/** `since` as the daemon wants it (see SinceStyle); `0` for the beginning. */
export function sinceParam(position: Position, style: SinceStyle = 'docker'): string {
  if (position.sinceMs <= 0) return '0';
  if (style === 'podman') return `${new Date(position.sinceMs - 1).toISOString().slice(0, 23)}999999Z`;
  const seconds = Math.floor(position.sinceMs / 1000);
  const nanos = (position.sinceMs % 1000) * 1_000_000;
  return `${seconds}.${String(nanos).padStart(9, '0')}`;
}

/** Characters of a canonical stamp that name its unit: `YYYY-MM-DDTHH:MM:SS.mmm` or `YYYY-MM-DDTHH:MM:SS`. */
const KEY_LENGTH: Record<StampResolutionMs, number> = { 1: 23, 1000: 19 };

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
 * runs once per log line, and parses a timestamp only when the unit (millisecond, or second for
 * coarse stamps) changes.
 *
 * Every line the stream returns must be observed, including the `skip` lines that a reopened
 * stream discards at its start: they were consumed before, and the counts need them. A line is
 * observed by its last part's stamp (see the header).
 */
export class PositionTracker {
  private currentKey = '';
  /** The newest unit observed: floor(ms / resolutionMs); -1 before the first line. */
  private currentUnit = -1;
  /** Lines consumed per unit of the window [currentUnit - windowUnits, currentUnit], as a ring. */
  private readonly counts: Uint32Array;
  /** Sum of `counts`: the consumed lines stamped in the window. */
  private windowCount = 0;
  /** While a partial line is being assembled: the position may not pass its timestamp (see pin()). */
  private pinnedMs = -1;
  private pinnedKey = '';
  private pinnedCount = 0;
  /** Lines observed at or after the start's since (the daemon sends no others). */
  private countFromStart = 0;
  private readonly startKey: string;
  /** How many characters of a stamp name its unit. */
  private readonly keyLength: number;
  /** The late-write window in whole units, rounded up: positions are whole units. */
  private readonly windowUnits: number;
  /**
   * Resumed mid-log (resumedAfterStart): the lines consumed before `start` with timestamp >= since
   * are not observed here (the file route reopens at a byte offset after them): they are
   * `start.skip` in number and no newer than this millisecond, and until the window has passed
   * it, positions are counted from the start's since, which counts them all.
   */
  private readonly unseenUntilMs: number;

  /**
   * @param start the position the stream was opened at.
   * @param windowMs how late a line may be written and still be counted (tests may shrink it).
   * @param resolutionMs how fine the daemon's stamps are: positions are whole multiples of it.
   * @param resumedAfterStart the reader starts right after the lines `start` counts (a byte
   *   offset) instead of at its `since` (where the API route starts and reads them again).
   */
  constructor(private readonly start: Position = BEGINNING, windowMs = LATE_WRITE_WINDOW_MS, private readonly resolutionMs: StampResolutionMs = 1, resumedAfterStart = false) {
    this.keyLength = KEY_LENGTH[resolutionMs];
    this.windowUnits = Math.ceil(windowMs / resolutionMs);
    this.counts = new Uint32Array(this.windowUnits + 1);
    this.startKey = start.sinceMs > 0 ? new Date(start.sinceMs).toISOString().slice(0, this.keyLength) : '';
    this.unseenUntilMs = resumedAfterStart && start.skip > 0 ? newestConsumedMs(start) : -1;
    if (this.unseenUntilMs >= 0) this.countFromStart = start.skip;
  }

  /** Records that the line with this timestamp (its last part's) was consumed. */
  observe(timestamp: string): void {
    const key = timestamp.slice(0, this.keyLength); // `YYYY-MM-DDTHH:MM:SS.mmm` (or `…:SS`): the unit
    if (this.pinnedMs >= 0 && key >= this.pinnedKey) this.pinnedCount += 1;
    if (key >= this.startKey) this.countFromStart += 1;
    if (key === this.currentKey) {
      (this.counts[this.currentUnit % this.counts.length] as number) += 1;
      this.windowCount += 1;
      return;
    }
    this.observeOtherUnit(key, timestampMs(timestamp));
  }

  private observeOtherUnit(key: string, ms: number): void {
    const size = this.counts.length;
    const unit = this.resolutionMs === 1 ? ms : Math.floor(ms / this.resolutionMs);
    if (unit > this.currentUnit) {
      // The window slides forward: the units it leaves are forgotten.
      const leaving = this.currentUnit < 0 ? 0 : Math.min(unit - this.currentUnit, size);
      for (let i = 1; i <= leaving; i += 1) {
        const slot = (this.currentUnit + i) % size; // the slot of unit (currentUnit + i) - size
        this.windowCount -= this.counts[slot] as number;
        this.counts[slot] = 0;
      }
      this.currentKey = key;
      this.currentUnit = unit;
    } else if (unit < this.currentUnit - this.windowUnits) {
      return; // older than the window: the daemon's `since` will not return it again
    }
    (this.counts[unit % size] as number) += 1; // this unit, or a line written late
    this.windowCount += 1;
  }

  /** Consumed lines stamped in the unit of `ms` or later, for units inside the window. */
  private countFrom(ms: number): number {
    if (this.currentUnit < 0) return 0;
    let total = 0;
    const from = Math.max(Math.floor(ms / this.resolutionMs), this.currentUnit - this.windowUnits);
    for (let u = from; u <= this.currentUnit; u += 1) total += this.counts[u % this.counts.length] as number;
    return total;
  }

  /**
   * A line with this timestamp has begun (its first part arrived) but is not complete. Lines of
   * the other stream may complete meanwhile and move the window past it; if the stream were
   * closed then, reopening there would filter the unfinished line out. So until unpin(),
   * position() reaches back no later than the millisecond before it (with coarse stamps: the
   * start of its unit), counting from there.
   * Call it before observing any line that completes after the partial one began.
   */
  pin(timestamp: string): void {
    if (this.pinnedMs >= 0) return; // the oldest pending line pinned it already
    // Counts are held for the window only; a partial line older than that was written out of
    // order by more than the window tolerates anyway. Before any line was observed (a reopened
    // stream whose first frame is a partial) the count is 0: the lines skipped at the start are
    // observed, and counted, as they come.
    const stampMs = timestampMs(timestamp);
    const before = this.resolutionMs === 1 ? stampMs - 1 : Math.floor(stampMs / this.resolutionMs) * this.resolutionMs;
    const ms = Math.max(before, (this.currentUnit - this.windowUnits) * this.resolutionMs, this.start.sinceMs);
    if (ms <= this.unseenUntilMs) {
      // Lines not observed here may be newer than ms: only the start's since counts them.
      this.pinnedMs = this.start.sinceMs;
      this.pinnedKey = this.startKey;
      this.pinnedCount = this.countFromStart;
      return;
    }
    this.pinnedMs = ms;
    this.pinnedKey = new Date(ms).toISOString().slice(0, this.keyLength);
    this.pinnedCount = this.countFrom(ms);
  }

  /** No partial line is pending any more. */
  unpin(): void {
    this.pinnedMs = -1;
  }

  /** Where to reopen so the next line read is the first one not yet observed. */
  position(): Position {
    if (this.currentUnit < 0) return { ...this.start };
    const newestMs = this.currentUnit * this.resolutionMs;
    const windowStart = (this.currentUnit - this.windowUnits) * this.resolutionMs;
    // Resumed mid-log and lines not observed here may still be in the window (see unseenUntilMs).
    if (windowStart <= this.unseenUntilMs) return at(this.start.sinceMs, this.countFromStart, Math.max(newestMs, this.unseenUntilMs));
    if (this.pinnedMs >= 0 && this.pinnedMs < Math.max(windowStart, this.start.sinceMs)) return at(this.pinnedMs, this.pinnedCount, newestMs);
    // Never reach back before where this stream started: lines older than the start were
    // deliberately not read (initial_position: end), and every line we did read is >= start.
    if (this.start.sinceMs > windowStart) return at(this.start.sinceMs, this.countFromStart, newestMs);
    return at(windowStart, this.windowCount, newestMs);
  }
}

/** A position, saying where its newest consumed line is when that is beyond since plus the window (see Position.newestMs). */
function at(sinceMs: number, skip: number, newestMs: number): Position {
  return newestMs > sinceMs + LATE_WRITE_WINDOW_MS ? { sinceMs, skip, newestMs } : { sinceMs, skip };
}
