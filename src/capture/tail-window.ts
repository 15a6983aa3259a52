// How to ask the daemon for a container's log from a position, so that a reopen costs what is
// new rather than the whole log file.
//
// Docker answers `since` by decoding every entry of every log file of the container and
// dropping the older ones (moby daemon/logger/loggerutils/logfile.go, in v20.10 as in v29), so a
// `since` read of an idle container with a 300 MB log costs the daemon seconds of CPU to return
// nothing. `tail=N` reads backwards from the end of the file instead and costs only N entries.
// So a stream is reopened with a tail window (positioned-line-reader.ts proves, from the lines
// it returns, that it reaches back to the position, and drops what `since` would drop), sized
// from what the container is known to write. A window that is too short is asked for again,
// WIDEN times wider; `since` alone is the last resort, and the way to read a log known to be
// small (the whole log fitted in a window: the scan costs little, and a tail window could never
// prove anything about it because nothing lies before it).
import type { Position } from './position.js';
import type { LogOpening } from './positioned-line-reader.js';

/** The smallest window: enough for the proof to find lines before the position on a quiet log. */
export const MIN_TAIL = 64;
/** Beyond this a window costs about what `since` does; it is not widened further. */
export const MAX_TAIL = 4_194_304;
export const WIDEN = 8;
/** The guess of what was written since the last read counts for at most this many windows' worth. */
const WRITTEN_GUESS_CAP_FACTOR = 4;

export type TailFallback = 'small_log' | 'too_large';

/** `since` where the daemon's own filter may be trusted; else the whole log, filtered here. */
function sinceOpening(trustSince: boolean): LogOpening {
  return trustSince ? { kind: 'since' } : { kind: 'all' };
}

export class TailWindowPlanner {
  /** Lines per millisecond the container was last seen writing (0 when unknown). */
  private rate = 0;
  /** Date.now() when the last read finished: what was written since then is new. */
  private lastReadAt = 0;
  /** After a window showed the whole log is small: read by `since` until this many more lines came. */
  private smallLogLinesLeft = 0;

  /**
   * @param enabled false for daemons whose `tail` is not to be used: then always `since`.
   * @param trustSince false where the daemon's `since` filter may leave out lines (see
   *   positioned-line-reader.ts: `all`): then the whole log is read and filtered here instead.
   */
  constructor(private readonly enabled: () => boolean, private readonly trustSince: () => boolean = () => true) {}

  /** How to open a stream at `position` now. */
  plan(position: Position, now: number): LogOpening {
    if (position.sinceMs <= 0) return { kind: 'beginning' };
    if (!this.enabled() || this.smallLogLinesLeft > 0) return sinceOpening(this.trustSince());
    // Lines the window must hold: the ones at or after since (skip), about as many again in the
    // late-write margin before it, and what was written since the last read; with room to spare
    // (MIN_TAIL), so one try usually does. Unknown after a restart: then small, and widened.
    // The rate guess is capped: a window too large costs the daemon all of it, one too small
    // only a wider try (8x, so the tries together cost about 1.14 times the last one), and a
    // burst's rate would make a long-quiet container look as if it wrote millions of lines.
    const guessed = this.lastReadAt > 0 ? this.rate * Math.max(0, now - this.lastReadAt) : 0;
    const written = Math.min(guessed, WRITTEN_GUESS_CAP_FACTOR * (position.skip + MIN_TAIL));
    return { kind: 'tail', tail: clamp(Math.ceil(2 * (position.skip + written)) + MIN_TAIL) };
  }

  /** The window did not reach back: the next try, or `since` when it would be too large. */
  widen(opening: LogOpening): { opening: LogOpening; fallback?: TailFallback } {
    if (opening.kind !== 'tail') return { opening };
    const tail = opening.tail * WIDEN;
    if (tail > MAX_TAIL) return { opening: sinceOpening(this.trustSince()), fallback: 'too_large' };
    return { opening: { kind: 'tail', tail } };
  }

  /**
   * What a finished stream showed: its window was the whole log (`whole`), and how many lines it
   * read spanning how much log time (their timestamps: a backlog read in a second is still
   * minutes of writing), for sizing the next window.
   */
  learn(outcome: { verdict: string | undefined; tail: number | undefined; lines: number; logSpanMs: number; now: number }): TailFallback | undefined {
    if (outcome.lines > 1) this.rate = outcome.lines / Math.max(1, outcome.logSpanMs);
    this.lastReadAt = outcome.now;
    if (this.smallLogLinesLeft > 0) this.smallLogLinesLeft = Math.max(0, this.smallLogLinesLeft - outcome.lines);
    if (outcome.verdict === 'whole' && outcome.tail !== undefined) {
      this.smallLogLinesLeft = outcome.tail;
      return 'small_log';
    }
    return undefined;
  }
}

function clamp(tail: number): number {
  return Math.min(MAX_TAIL, Math.max(MIN_TAIL, tail));
}
