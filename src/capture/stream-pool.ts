// At most `capacity` Docker log streams open at once. Containers beyond that wait in a FIFO queue.
// A freed slot goes straight to the first waiter (no barging), so a stream that yields after a
// rotation interval and queues again at the back cannot starve anyone: every waiter is served
// after at most (queue length / capacity) rotation intervals.

export interface PoolSlot {
  /** Who holds it (a container id). */
  readonly key: string;
}

/** Rejection of an acquire() that was cancelled while it waited. */
export class AcquireCancelledError extends Error {
  constructor(readonly key: string) {
    super(`waiting for a stream slot was cancelled for ${key}`);
    this.name = 'AcquireCancelledError';
  }
}

interface Waiter {
  key: string;
  resolve: (slot: PoolSlot) => void;
  reject: (error: Error) => void;
}

class Slot implements PoolSlot {
  released = false;
  constructor(readonly key: string) {}
}

export class StreamPool {
  private readonly waiters: Waiter[] = [];
  private held = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`stream pool capacity must be a positive integer, got ${capacity}`);
  }

  get inUse(): number {
    return this.held;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** True when someone waits: a stream that has had its turn should then give its slot up. */
  hasWaiters(): boolean {
    return this.waiters.length > 0;
  }

  /** Resolves with a slot when one is free and everyone queued before `key` has been served. */
  acquire(key: string): Promise<PoolSlot> {
    if (this.held < this.capacity && this.waiters.length === 0) {
      this.held += 1;
      return Promise.resolve(new Slot(key));
    }
    return new Promise<PoolSlot>((resolve, reject) => {
      this.waiters.push({ key, resolve, reject });
    });
  }

  /** Gives a slot back (once; a second release of the same slot is ignored). */
  release(slot: PoolSlot): void {
    if (!(slot instanceof Slot) || slot.released) return;
    slot.released = true;
    const next = this.waiters.shift();
    if (next) next.resolve(new Slot(next.key)); // handed over: `held` does not change
    else this.held -= 1;
  }

  /** Stops waiting for `key`: its acquire() rejects with AcquireCancelledError. True if it waited. */
  cancel(key: string): boolean {
    const index = this.waiters.findIndex((w) => w.key === key);
    if (index < 0) return false;
    const [waiter] = this.waiters.splice(index, 1);
    waiter?.reject(new AcquireCancelledError(key));
    return true;
  }

  /** Cancels every waiter (shutdown). */
  cancelAll(): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(new AcquireCancelledError(waiter.key));
  }
}
