import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AcquireCancelledError, StreamPool } from './stream-pool.js';
import type { PoolSlot } from './stream-pool.js';

/** Lets every already-settled promise callback run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('StreamPool', () => {
  it('hands out at most capacity slots and queues the rest', async () => {
    const pool = new StreamPool(2);
    const a = await pool.acquire('a');
    await pool.acquire('b');
    let cGot = false;
    const c = pool.acquire('c').then((slot) => { cGot = true; return slot; });
    await settle();
    assert.equal(cGot, false);
    assert.equal(pool.inUse, 2);
    assert.equal(pool.waiting, 1);
    assert.equal(pool.hasWaiters(), true);
    pool.release(a);
    assert.equal((await c).key, 'c');
    assert.equal(pool.inUse, 2);
    assert.equal(pool.hasWaiters(), false);
  });

  it('serves waiters first-in first-out and does not let a newcomer barge in', async () => {
    const pool = new StreamPool(1);
    const first = await pool.acquire('first');
    const order: string[] = [];
    const waits = ['w1', 'w2', 'w3'].map((key) => pool.acquire(key).then((slot) => { order.push(key); return slot; }));
    pool.release(first);
    const w1 = await waits[0];
    assert.ok(w1);
    // A newcomer arriving now queues behind w2 and w3 even though w1 is about to release.
    const late = pool.acquire('late').then((slot) => { order.push('late'); return slot; });
    pool.release(w1);
    pool.release((await waits[1]) as PoolSlot);
    pool.release((await waits[2]) as PoolSlot);
    pool.release(await late);
    assert.deepEqual(order, ['w1', 'w2', 'w3', 'late']);
    assert.equal(pool.inUse, 0);
  });

  it('ignores a second release of the same slot', async () => {
    const pool = new StreamPool(1);
    const slot = await pool.acquire('a');
    pool.release(slot);
    pool.release(slot);
    assert.equal(pool.inUse, 0);
    await pool.acquire('b');
    assert.equal(pool.inUse, 1);
  });

  it('cancels a waiting acquire without leaking its place or a slot', async () => {
    const pool = new StreamPool(1);
    const held = await pool.acquire('a');
    const gone = pool.acquire('gone');
    const next = pool.acquire('next');
    assert.equal(pool.cancel('gone'), true);
    await assert.rejects(gone, AcquireCancelledError);
    assert.equal(pool.cancel('gone'), false);
    assert.equal(pool.waiting, 1);
    pool.release(held);
    assert.equal((await next).key, 'next');
    pool.cancelAll();
    assert.equal(pool.inUse, 1);
  });

  it('cancelAll rejects every waiter', async () => {
    const pool = new StreamPool(1);
    await pool.acquire('a');
    const waits = [pool.acquire('b'), pool.acquire('c')];
    pool.cancelAll();
    for (const wait of waits) await assert.rejects(wait, AcquireCancelledError);
    assert.equal(pool.waiting, 0);
  });

  it('gives every one of many contenders equal turns when holders yield after each turn (no starvation)', async () => {
    const capacity = 3;
    const contenders = 10;
    const turnsEach = 20;
    const pool = new StreamPool(capacity);
    const turns = new Map<string, number>();
    let concurrent = 0;
    let maxConcurrent = 0;
    const history: string[] = [];

    // Each contender models a container stream: take a slot, read for one "rotation interval",
    // then yield if anyone waits (else keep the slot), until it has had its turns.
    const contender = async (key: string): Promise<void> => {
      let slot = await pool.acquire(key);
      for (let turn = 0; turn < turnsEach; turn += 1) {
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        history.push(key);
        turns.set(key, (turns.get(key) ?? 0) + 1);
        await settle();
        concurrent -= 1;
        if (turn === turnsEach - 1) break;
        if (pool.hasWaiters()) {
          pool.release(slot);
          slot = await pool.acquire(key);
        }
      }
      pool.release(slot);
    };
    await Promise.all(Array.from({ length: contenders }, (_, i) => contender(`c${i}`)));

    assert.equal(maxConcurrent, capacity);
    for (let i = 0; i < contenders; i += 1) assert.equal(turns.get(`c${i}`), turnsEach);
    // Fair turns: while all contenders are still busy, between two turns of the same contender
    // every other contender gets a turn (round robin), so no one waits more than one round.
    const busyPhase = history.slice(0, contenders * (turnsEach - 1));
    for (let i = 0; i < busyPhase.length; i += 1) {
      const next = busyPhase.indexOf(busyPhase[i] as string, i + 1);
      if (next >= 0) assert.ok(next - i <= contenders, `${busyPhase[i]} waited ${next - i} turns at ${i}`);
    }
    assert.equal(pool.inUse, 0);
    assert.equal(pool.waiting, 0);
  });
});
