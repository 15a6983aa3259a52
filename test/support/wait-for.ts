// The one way tests wait. A wait ends when its condition holds, and fails only when the thing it
// watches has stopped moving: the machines are shared and loaded (load averages of 5-20 on 2
// cores), so "it took longer than N seconds" says nothing about the code under test, while
// "nothing changed for N seconds" does. A very large overall cap only ends a truly hung run.
//
//   const lag = await waitFor('lag to fall below 1 s', {
//     watch: async () => lagNow(),          // one observation
//     until: (lag) => lag < 1,              // done?
//     direction: 'falling',                 // progress = a new lowest value
//   });
//
// Progress is, by default, any change of the observation (or of `progress(observation)` when the
// observation holds more than the moving part). Watch the distance to the goal, not a clock:
// a counter that grows whether or not the goal comes nearer (elapsed seconds, a busy process's
// CPU time after its start-up) would hide a hang until the cap.
import { inspect } from 'node:util';

/**
 * How long the watched value may stay unchanged before the wait fails. Everything the tests
 * watch moves at least every few seconds when the code works: lines arrive every few ms, the
 * capturer retries with backoffs of at most 30 s (capture) / 10 s (events) / 500 ms (test sinks),
 * the readiness counters tick every second. 60 s without any change is a factor of 2 over the
 * longest of those and of 10 over a typical step on an unloaded machine, i.e. it tolerates the
 * slowdown of a load average of about 20 on 2 cores before calling it a hang.
 */
export const DEFAULT_STALL_MS = 60_000;
/** Ends a wait that keeps "moving" without ever arriving (a flapping value): only a hung run gets here. */
export const SAFETY_CAP_MS = 10 * 60_000;
/** Between observations. Small, since most observations are cheap; expensive ones pass their own. */
export const DEFAULT_INTERVAL_MS = 100;

export interface WaitClock {
  now(): number;
  /** Resolves `elapsed` after ms, unless cancelled first (a cancelled timer keeps nothing alive). */
  timer(ms: number): { elapsed: Promise<void>; cancel(): void };
}

export const realClock: WaitClock = {
  now: () => performance.now(),
  timer: (ms) => {
    let handle: NodeJS.Timeout | undefined;
    const elapsed = new Promise<void>((resolve) => {
      handle = setTimeout(resolve, ms);
    });
    return { elapsed, cancel: () => clearTimeout(handle) };
  },
};

export interface WaitSpec<T> {
  /** Takes one observation. A throw is an observation too ("error: ..."), not a failure. */
  watch: () => T | Promise<T>;
  /** True when the wait is over; the observation is returned. */
  until: (observation: T) => boolean;
  /** The moving part of an observation (default: all of it). Compared by value (JSON, Maps and Sets included). */
  progress?: (observation: T) => unknown;
  /**
   * What counts as progress: `changed` (default) any new value; `rising` / `falling` only a new
   * highest / lowest number (for quantities that converge and may wobble, like lag).
   */
  direction?: 'changed' | 'rising' | 'falling';
  /** Fail when there was no progress for this long (default DEFAULT_STALL_MS). Say why when you change it. */
  stallMs?: number;
  /** The wait as a whole may not take longer than this (default SAFETY_CAP_MS). */
  capMs?: number;
  intervalMs?: number;
  /** Checked before each observation: a message ends the wait at once (e.g. "the capturer exited"). */
  failIf?: () => string | undefined;
  /** How an observation reads in the failure message (default util.inspect, shortened). */
  describe?: (observation: T) => string;
  clock?: WaitClock;
}

/** The wait gave up: no progress for the stall window, or the safety cap was reached, or failIf fired. */
export class WaitFailed extends Error {
  override readonly name = 'WaitFailed';
}

type Observation<T> = { kind: 'value'; value: T } | { kind: 'error'; error: unknown } | { kind: 'pending' };

/** Waits until `spec.until` holds for an observation, and returns that observation. */
export async function waitFor<T>(what: string, spec: WaitSpec<T>): Promise<T> {
  const clock = spec.clock ?? realClock;
  const stallMs = spec.stallMs ?? DEFAULT_STALL_MS;
  const capMs = spec.capMs ?? SAFETY_CAP_MS;
  const intervalMs = spec.intervalMs ?? DEFAULT_INTERVAL_MS;
  const direction = spec.direction ?? 'changed';
  const progressOf = spec.progress ?? ((o: T): unknown => o);
  const show = (o: Observation<T> | undefined): string => {
    if (o === undefined || o.kind === 'pending') return '(none yet)';
    if (o.kind === 'error') return `error: ${errorText(o.error)}`;
    return spec.describe ? spec.describe(o.value) : shorten(inspect(o.value, { depth: 4, breakLength: Infinity, maxArrayLength: 20, maxStringLength: 300 }));
  };

  const started = clock.now();
  let lastProgressAt = started;
  let mark: { key: string } | { best: number } | undefined;
  let markShown = '(none yet)';
  let last: Observation<T> | undefined;
  let observations = 0;

  /**
   * Whether this observation moved. The first one sets the mark without counting; `markShown`
   * keeps the observation the stall is measured from (for `changed` the latest, for
   * `rising`/`falling` the one with the best value).
   */
  const moved = (o: Observation<T>): boolean => {
    if (o.kind === 'pending') return false;
    if (direction === 'changed') {
      const key = o.kind === 'error' ? `error: ${errorText(o.error)}` : stableKey(progressOf(o.value));
      const before = mark;
      mark = { key };
      markShown = show(o);
      return before !== undefined && 'key' in before && before.key !== key;
    }
    if (o.kind === 'error') return false;
    const n = Number(progressOf(o.value));
    if (Number.isNaN(n)) return false;
    const before = mark;
    const first = before === undefined || !('best' in before);
    const better = !first && (direction === 'rising' ? n > before.best : n < before.best);
    if (first || better) {
      mark = { best: n };
      markShown = show(o);
    }
    return better;
  };

  for (;;) {
    const failure = spec.failIf?.();
    if (failure !== undefined) throw new WaitFailed(`gave up waiting for ${what}: ${failure} (last observation: ${show(last)})`);

    const deadline = Math.min(lastProgressAt + stallMs, started + capMs);
    const observed = await observe(spec.watch, clock, deadline - clock.now());
    const now = clock.now();
    observations += 1;
    if (observed.kind === 'value' && spec.until(observed.value)) return observed.value;
    if (observed.kind !== 'pending') {
      if (moved(observed)) lastProgressAt = now;
      last = observed;
    }

    const waited = now - started;
    const still = now - lastProgressAt;
    if (waited >= capMs) {
      throw new WaitFailed(`gave up waiting for ${what}: the safety cap of ${seconds(capMs)} was reached although it kept changing; last observation: ${show(last)}`);
    }
    if (still >= stallMs) {
      const stuck = observed.kind === 'pending'
        ? `an observation did not return for ${seconds(still)}`
        : direction === 'changed'
          ? `no progress for ${seconds(still)}: the watched value has been ${markShown} since then`
          : `no progress for ${seconds(still)}: the ${direction === 'rising' ? 'highest' : 'lowest'} value seen, at ${markShown}, was not ${direction === 'rising' ? 'passed' : 'undercut'} since then`;
      throw new WaitFailed(`gave up waiting for ${what}: ${stuck} (stall window ${seconds(stallMs)}; ${seconds(waited)} and ${observations} observations in all; last observation: ${show(last)})`);
    }
    await clock.timer(Math.max(0, Math.min(intervalMs, deadline - now))).elapsed;
  }
}

/** One observation, given up as `pending` when it has not returned within `budgetMs` (the rest is left to finish on its own). */
async function observe<T>(watch: () => T | Promise<T>, clock: WaitClock, budgetMs: number): Promise<Observation<T>> {
  let pending: Promise<Observation<T>>;
  try {
    const result = watch();
    if (!(result instanceof Promise)) return { kind: 'value', value: result };
    pending = result.then((value): Observation<T> => ({ kind: 'value', value }), (error: unknown): Observation<T> => ({ kind: 'error', error }));
  } catch (error) {
    return { kind: 'error', error };
  }
  const timer = clock.timer(Math.max(0, budgetMs));
  try {
    return await Promise.race([pending, timer.elapsed.then((): Observation<T> => ({ kind: 'pending' }))]);
  } finally {
    timer.cancel();
  }
}

/**
 * Waits for a promise that settles once (a process exit, a container's end), failing when
 * `progress()` (what the awaited thing is visibly doing) stops changing for the stall window.
 */
export async function waitForSettled<T>(what: string, promise: Promise<T>, options: Omit<WaitSpec<unknown>, 'watch' | 'until' | 'progress'> & { progress?: () => unknown } = {}): Promise<T> {
  const box: { outcome?: { ok: true; value: T } | { ok: false; error: unknown } } = {};
  promise.then((value) => {
    box.outcome = { ok: true, value };
  }, (error: unknown) => {
    box.outcome = { ok: false, error };
  });
  const { progress, ...rest } = options;
  await waitFor(what, {
    ...rest,
    watch: async () => ({ settled: box.outcome !== undefined, doing: await progress?.() }),
    until: (o) => o.settled,
    progress: (o) => o.doing,
  });
  const outcome = box.outcome as { ok: true; value: T } | { ok: false; error: unknown };
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** A comparable text for a value: JSON with Maps, Sets, Buffers and bigints spelled out. */
export function stableKey(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Map) return { map: [...v.entries()] };
    if (v instanceof Set) return { set: [...v.values()] };
    if (typeof v === 'bigint') return `${v}n`;
    if (v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) return { buffer: Buffer.from((v as { data: number[] }).data).toString('base64') };
    if (v === undefined) return '(undefined)';
    return v;
  }) ?? '(undefined)';
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error);
}

function shorten(text: string, max = 600): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
