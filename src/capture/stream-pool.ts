// At most `capacity` Docker log streams open at once: that bound is the point of the pool.
//
// While every running container fits (demand <= capacity), each one gets a follow stream and
// keeps it. When more containers run than there are slots, a few slots (a tenth, at least one)
// are reserved for polls: short reads without follow, from a container's position to the end of
// its log, which is how a container without a follow stream still has its lines read within
// about a poll interval. The other slots are follow slots, handed out first-in first-out to the
// containers that are writing; a follower gives its slot back when its turn (rotation interval)
// is over and someone waits, when it has been quiet for a while and someone waits, or when the
// pool has to shrink the follow slots to make room for polls. With a single slot and several
// containers, every container is polled in turn.
//
// A freed slot goes straight to the first waiter of its kind (no barging), so nobody starves.

export type SlotKind = 'follow' | 'poll';

export interface PoolSlot {
  /** Who holds it (a container id). */
  readonly key: string;
  readonly kind: SlotKind;
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
  constructor(readonly key: string, readonly kind: SlotKind) {}
}

export class StreamPool {
  private readonly waiters: Record<SlotKind, Waiter[]> = { follow: [], poll: [] };
  private readonly held: Record<SlotKind, number> = { follow: 0, poll: 0 };
  private demand = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`stream pool capacity must be a positive integer, got ${capacity}`);
  }

  /** Slots held now (follow and poll). */
  get inUse(): number {
    return this.held.follow + this.held.poll;
  }

  get following(): number {
    return this.held.follow;
  }

  get polling(): number {
    return this.held.poll;
  }

  /** Containers waiting for a slot (a follow slot or a poll). */
  get waiting(): number {
    return this.waiters.follow.length + this.waiters.poll.length;
  }

  /** More containers run than there are slots: some are read by polls. */
  get shared(): boolean {
    return this.demand > this.capacity;
  }

  /** Slots kept for polls while the pool is shared. */
  get pollReserve(): number {
    if (!this.shared) return 0;
    return Math.max(1, Math.round(this.capacity / 10));
  }

  /** How many follow streams may be open now. */
  get followLimit(): number {
    return this.capacity - this.pollReserve;
  }

  /** Followers beyond the limit (after demand grew): they should give their slots back. */
  get overCommitted(): boolean {
    return this.held.follow > this.followLimit;
  }

  /** True when a container waits for a follow slot: a follower that has had its turn should yield. */
  hasWaiters(): boolean {
    return this.waiters.follow.length > 0;
  }

  /** How many containers want to be read now (the running ones). */
  setDemand(demand: number): void {
    this.demand = Math.max(0, demand);
    this.pump();
  }

  /** A slot at once if one is free for this kind and nobody queued before; else undefined. */
  tryAcquire(key: string, kind: SlotKind): PoolSlot | undefined {
    if (this.waiters[kind].length > 0 || !this.canGrant(kind)) return undefined;
    this.held[kind] += 1;
    return new Slot(key, kind);
  }

  /** Resolves with a slot when one is free for this kind and everyone queued before `key` has one. */
  acquire(key: string, kind: SlotKind = 'follow'): Promise<PoolSlot> {
    const slot = this.tryAcquire(key, kind);
    if (slot) return Promise.resolve(slot);
    return new Promise<PoolSlot>((resolve, reject) => {
      this.waiters[kind].push({ key, resolve, reject });
    });
  }

  /** Gives a slot back (once; a second release of the same slot is ignored). */
  release(slot: PoolSlot): void {
    if (!(slot instanceof Slot) || slot.released) return;
    slot.released = true;
    this.held[slot.kind] -= 1;
    this.pump();
  }

  /** Stops waiting for `key` (any kind): its acquire() rejects with AcquireCancelledError. True if it waited. */
  cancel(key: string, kind?: SlotKind): boolean {
    let cancelled = false;
    for (const k of kind ? [kind] : (['follow', 'poll'] as const)) {
      const list = this.waiters[k];
      const index = list.findIndex((w) => w.key === key);
      if (index < 0) continue;
      const [waiter] = list.splice(index, 1);
      waiter?.reject(new AcquireCancelledError(key));
      cancelled = true;
    }
    if (cancelled) this.pump();
    return cancelled;
  }

  /** Cancels every waiter (shutdown). */
  cancelAll(): void {
    for (const kind of ['follow', 'poll'] as const) {
      for (const waiter of this.waiters[kind].splice(0)) waiter.reject(new AcquireCancelledError(waiter.key));
    }
  }

  private canGrant(kind: SlotKind): boolean {
    if (this.inUse >= this.capacity) return false;
    if (kind === 'follow') return this.held.follow < this.followLimit;
    // Polls use the reserve; any free slot too when nobody waits to follow.
    return this.held.poll < this.pollReserve || this.waiters.follow.length === 0;
  }

  private pump(): void {
    for (const kind of ['poll', 'follow'] as const) {
      const list = this.waiters[kind];
      while (list.length > 0 && this.canGrant(kind)) {
        const next = list.shift() as Waiter;
        this.held[kind] += 1;
        next.resolve(new Slot(next.key, kind));
      }
    }
  }
}
