// The wait helper itself, on a fake clock (sleeping advances time at once), so stall windows of
// minutes are tested in milliseconds, plus one short run on the real clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WaitFailed, stableKey, waitFor, waitForSettled } from './wait-for.js';
import type { WaitClock } from './wait-for.js';

/** Time passes only when a timer runs out; a timer runs out on the next turn of the event loop. */
class FakeClock implements WaitClock {
  at = 0;
  now(): number {
    return this.at;
  }
  timer(ms: number): { elapsed: Promise<void>; cancel(): void } {
    let cancelled = false;
    // setImmediate: an observation that settles on a microtask wins a race against a timer, and
    // the clock moves only for a timer that really ran out.
    const elapsed = new Promise<void>((resolve) => setImmediate(() => {
      if (!cancelled) this.at += ms;
      resolve();
    }));
    return { elapsed, cancel: () => (cancelled = true) };
  }
}

/** The error a wait fails with (asserting that it fails). */
async function failure(promise: Promise<unknown>): Promise<WaitFailed> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof WaitFailed, `a WaitFailed, not ${String(error)}`);
    return error;
  }
  assert.fail('the wait did not fail');
}

void describe('waitFor', () => {
  void it('returns the first observation for which until() holds', async () => {
    const clock = new FakeClock();
    let n = 0;
    const got = await waitFor('n to reach 5', { watch: () => (n += 1), until: (v) => v >= 5, clock });
    assert.equal(got, 5);
    assert.equal(clock.now(), 4 * 100, 'four default intervals between five observations');
  });

  void it('keeps waiting far past the stall window while the watched value moves', async () => {
    const clock = new FakeClock();
    let n = 0;
    const got = await waitFor('a slow counter', { watch: () => Math.floor((n += 1) / 5), until: (v) => v >= 100, stallMs: 1000, clock });
    assert.equal(got, 100);
    assert.ok(clock.now() > 20 * 1000, `waited ${clock.now()} ms on the fake clock: far longer than the 1 s stall window`);
  });

  void it('fails when the value stops changing, saying what was awaited, the value and for how long', async () => {
    const clock = new FakeClock();
    let n = 0;
    const error = await failure(waitFor('lines at the receiver', { watch: () => Math.min((n += 1), 7), until: (v) => v >= 10, stallMs: 5000, clock }));
    assert.match(error.message, /lines at the receiver/);
    assert.match(error.message, /no progress for 5\.0 s/);
    assert.match(error.message, /the watched value has been 7 since then/);
    // Progress stopped at the 7th observation (600 ms); the stall is measured from there.
    assert.equal(clock.now(), 600 + 5000);
  });

  void it('watches only the moving part when progress() is given', async () => {
    const clock = new FakeClock();
    let polls = 0;
    const error = await failure(waitFor('ready', {
      watch: () => ({ status: 503, polls: (polls += 1) }),
      until: (o) => o.status === 200,
      progress: (o) => o.status,
      stallMs: 2000,
      clock,
    }));
    assert.match(error.message, /no progress for 2\.0 s/);
    assert.match(error.message, /status: 503/);
  });

  void it('falling: a wobbling value makes progress only with a new lowest value', async () => {
    const clock = new FakeClock();
    const lags = [9, 7, 8, 5, 6, 5.5, 6, 5.2, 5.9, 6.1];
    let i = 0;
    const error = await failure(waitFor('lag below 1 s', {
      watch: () => lags[Math.min((i += 1) - 1, lags.length - 1)] as number,
      until: (lag) => lag < 1,
      direction: 'falling',
      stallMs: 1000,
      clock,
    }));
    assert.match(error.message, /the lowest value seen, at 5, was not undercut/);
    // The lowest value, 5, came with the 4th observation (300 ms).
    assert.equal(clock.now(), 300 + 1000);

    let lag = 20;
    const clock2 = new FakeClock();
    const reached = await waitFor('lag below 1 s', { watch: () => (lag = lag * 0.95), until: (v) => v < 1, direction: 'falling', stallMs: 1000, clock: clock2 });
    assert.ok(reached < 1);
  });

  void it('rising: only a new highest value is progress', async () => {
    const clock = new FakeClock();
    const values = [1, 3, 2, 3, 2];
    let i = 0;
    const error = await failure(waitFor('a high count', { watch: () => values[Math.min((i += 1) - 1, values.length - 1)] as number, until: (v) => v > 10, direction: 'rising', stallMs: 500, clock }));
    assert.match(error.message, /the highest value seen, at 3, was not passed/);
  });

  void it('ends at the safety cap a value that keeps changing without ever arriving', async () => {
    const clock = new FakeClock();
    let flip = false;
    const error = await failure(waitFor('a flapping value', { watch: () => (flip = !flip), until: () => false, stallMs: 1000, capMs: 30_000, clock }));
    assert.match(error.message, /safety cap of 30\.0 s/);
    assert.ok(clock.now() >= 30_000 && clock.now() < 30_200);
  });

  void it('takes a throwing watch as an observation: a new error text is progress, the last one is reported', async () => {
    const clock = new FakeClock();
    let n = 0;
    const got = await waitFor('a server to answer', {
      watch: () => {
        n += 1;
        if (n < 4) throw new Error(`ECONNREFUSED attempt ${n}`);
        return 'ok';
      },
      until: (v) => v === 'ok',
      stallMs: 150,
      clock,
    });
    assert.equal(got, 'ok');

    const error = await failure(waitFor('a server to answer', {
      watch: (): string => {
        throw new Error('ECONNREFUSED');
      },
      until: () => true,
      stallMs: 1000,
      clock: new FakeClock(),
    }));
    assert.match(error.message, /error: ECONNREFUSED/);
  });

  void it('gives up on an observation that never returns, after the stall window', async () => {
    const clock = new FakeClock();
    const error = await failure(waitFor('a hung fetch', { watch: () => new Promise<number>(() => undefined), until: () => true, stallMs: 3000, clock }));
    assert.match(error.message, /an observation did not return for 3\.0 s/);
  });

  void it('failIf ends the wait at once with its reason', async () => {
    const clock = new FakeClock();
    let n = 0;
    const error = await failure(waitFor('healthz', { watch: () => (n += 1), until: () => false, failIf: () => (n >= 3 ? 'the process exited with code 1' : undefined), clock }));
    assert.match(error.message, /healthz: the process exited with code 1/);
    assert.equal(n, 3);
  });

  void it('uses the caller\'s description of an observation', async () => {
    const error = await failure(waitFor('records', { watch: () => [1, 2, 3], until: () => false, describe: (v) => `${v.length} records`, stallMs: 200, clock: new FakeClock() }));
    assert.match(error.message, /has been 3 records since then/);
  });

  void it('works on the real clock with tiny intervals', async () => {
    let n = 0;
    const timer = setInterval(() => (n += 1), 2);
    try {
      assert.ok((await waitFor('a timer to tick 5 times', { watch: () => n, until: (v) => v >= 5, intervalMs: 1, stallMs: 5000 })) >= 5);
    } finally {
      clearInterval(timer);
    }
    const error = await failure(waitFor('a value that never moves', { watch: () => 1, until: () => false, intervalMs: 1, stallMs: 30 }));
    const stalled = Number(/no progress for (\d+) ms/.exec(error.message)?.[1]);
    assert.ok(stalled >= 30, `stalled ${stalled} ms, at least the 30 ms window: ${error.message}`);
  });
});

void describe('waitForSettled', () => {
  void it('returns the value, passes a rejection on, and fails when the awaited thing shows no progress', async () => {
    assert.equal(await waitForSettled('a resolved promise', Promise.resolve(42), { clock: new FakeClock() }), 42);
    await assert.rejects(waitForSettled('a rejected promise', Promise.reject(new Error('boom')), { clock: new FakeClock() }), /boom/);

    let bytes = 0;
    const clock = new FakeClock();
    const error = await failure(waitForSettled('a container to exit', new Promise(() => undefined), {
      progress: () => (bytes = Math.min(bytes + 10, 50)),
      stallMs: 1000,
      clock,
    }));
    assert.match(error.message, /a container to exit: no progress for 1\.0 s/);
    assert.match(error.message, /doing: 50/);
  });
});

void describe('stableKey', () => {
  void it('compares Maps, Sets, Buffers and bigints by value', () => {
    assert.equal(stableKey(new Map([['a', 1]])), stableKey(new Map([['a', 1]])));
    assert.notEqual(stableKey(new Map([['a', 1]])), stableKey(new Map([['a', 2]])));
    assert.notEqual(stableKey(new Set([1])), stableKey(new Set([2])));
    assert.notEqual(stableKey(Buffer.from('a')), stableKey(Buffer.from('b')));
    assert.notEqual(stableKey(1n), stableKey(2n));
    assert.notEqual(stableKey(undefined), stableKey(null));
  });
});
