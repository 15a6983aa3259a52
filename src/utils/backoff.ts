// The one backoff of the capturer: every retry (a log stream, the events stream, a sink request)
// waits initial * 2^attempt, capped at max, with "equal jitter": half of that step is fixed and
// half is random. The random half spreads many containers, or many capturers, that failed
// together; the fixed half means a daemon or receiver that just failed is never asked again
// within a few milliseconds (full jitter draws near-zero delays as often as long ones).

export interface BackoffOptions {
  /** The first delay's ceiling, in ms. */
  initialMs: number;
  /** No delay is longer than this, in ms. */
  maxMs: number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;

  /** @param random the jitter source, a number in [0, 1) (tests pin it). */
  constructor(options: BackoffOptions, private readonly random: () => number = Math.random) {
    this.initialMs = Math.max(1, options.initialMs);
    this.maxMs = Math.max(this.initialMs, options.maxMs);
  }

  /** Failures since the last reset(). */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt, in ms; each call counts one more failure. */
  next(): number {
    const step = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.round(step / 2 + (step / 2) * this.random());
  }

  /** After a success: the next failure starts again from the initial delay. */
  reset(): void {
    this.attempt = 0;
  }
}
