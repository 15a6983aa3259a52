// Fixed-bucket latency histogram: a million samples cost one array increment each, no objects.
const BUCKET_MS = 0.1;
const MAX_MS = 120_000;

export class LatencyHistogram {
  private readonly buckets = new Uint32Array(Math.ceil(MAX_MS / BUCKET_MS) + 1);
  private total = 0;
  private maxSeen = 0;

  record(ms: number): void {
    const clamped = ms < 0 ? 0 : ms;
    if (clamped > this.maxSeen) this.maxSeen = clamped;
    const index = Math.min(Math.floor(clamped / BUCKET_MS), this.buckets.length - 1);
    this.buckets[index] = (this.buckets[index] ?? 0) + 1;
    this.total += 1;
  }

  get count(): number {
    return this.total;
  }

  get maxMs(): number {
    return this.maxSeen;
  }

  /** The upper edge of the bucket holding quantile q (0..1); undefined with no samples. */
  quantileMs(q: number): number | undefined {
    if (this.total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i] ?? 0;
      if (seen >= rank) return Math.min((i + 1) * BUCKET_MS, this.maxSeen);
    }
    return this.maxSeen;
  }
}
