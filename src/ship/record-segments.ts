// Where encoded records live until they are acknowledged: segments, buffers that records are
// written into one after the other (no Buffer per record), and the exact count of the memory they
// hold, which is what buffer.max_bytes bounds.
//
// Each container writes into a segment of its own, so its records lie next to each other and a
// batch of one container's records is usually a view of one segment, sent without a copy. A
// batch that is not (several containers, or a segment boundary) is copied once into a body that
// becomes a segment itself, and its records move there (their old segments are then released).
//
// Accounting is by segment, not by record: a segment's whole capacity counts from its
// allocation until its last record is released (acknowledged or dead-lettered), so the unused
// tail of a container's current segment counts too, and nothing the pipeline holds is left out.
// Segments grow with a container's backlog (small for a quiet container, up to maxSegmentBytes
// for a busy one) and never take more than the budget left under buffer.max_bytes beyond the
// one record being written, so the bound is overshot by at most one record, as before.

/** An append-only buffer of records. */
export class RecordSegment {
  /** Bytes written so far; records never move inside a segment, so views of them stay valid. */
  used = 0;
  /** Records in it not yet released. */
  live = 0;
  /** Still open for writing: the current segment of `owner`. */
  owner: SegmentOwner | undefined;

  constructor(readonly buffer: Buffer) {}

  get room(): number {
    return this.buffer.length - this.used;
  }
}

/** Whoever writes into a segment (a container's queue). */
export interface SegmentOwner {
  segment: RecordSegment | undefined;
}

/** Where one record is: `length` bytes at `start` of `segment`. */
export interface SegmentRecord {
  segment: RecordSegment;
  start: number;
  length: number;
}

/** The record's bytes, as a view (no copy). */
export function recordView(record: SegmentRecord): Buffer {
  return record.segment.buffer.subarray(record.start, record.start + record.length);
}

export class RecordMemory {
  /** Capacity of every segment not yet released: the memory records hold. */
  heldBytes = 0;
  readonly minSegmentBytes: number;
  readonly maxSegmentBytes: number;

  constructor(private readonly maxBytes: number) {
    this.minSegmentBytes = clamp(floorPowerOfTwo(maxBytes / 256), 1024, 16 * 1024);
    this.maxSegmentBytes = clamp(floorPowerOfTwo(maxBytes / 16), this.minSegmentBytes, 1024 * 1024);
  }

  /**
   * The owner's segment if it has `need` bytes of room, else a new one (the old one is closed for
   * writing). `backlog` (the owner's bytes waiting) sizes it; a record that needs more than the
   * largest segment gets a segment of its own, of exactly `need` bytes.
   */
  segmentFor(owner: SegmentOwner, need: number, backlog: number): RecordSegment {
    const current = owner.segment;
    if (current !== undefined && current.room >= need) return current;
    let size = need;
    if (need <= this.maxSegmentBytes) {
      size = clamp(ceilPowerOfTwo(Math.max(need, backlog)), this.minSegmentBytes, this.maxSegmentBytes);
      // Close to the bound: take no more than what is left of it (but always room for this record).
      size = Math.max(need, Math.min(size, this.maxBytes - this.heldBytes));
    }
    if (current !== undefined) this.close(current);
    const segment = new RecordSegment(Buffer.allocUnsafeSlow(size));
    segment.owner = owner;
    owner.segment = segment;
    this.heldBytes += size;
    return segment;
  }

  /**
   * The bytes of these records, in order, as one Buffer: a view when they lie next to each other
   * in one segment, else a copy into a new segment that the records move to.
   */
  join<R extends SegmentRecord>(records: readonly R[]): Buffer {
    const first = records[0];
    if (first === undefined) return Buffer.alloc(0);
    let total = 0;
    let contiguous = true;
    for (const record of records) {
      if (record.segment !== first.segment || record.start !== first.start + total) contiguous = false;
      total += record.length;
    }
    if (contiguous) return first.segment.buffer.subarray(first.start, first.start + total);
    const body = Buffer.allocUnsafeSlow(total);
    const joined = new RecordSegment(body);
    joined.used = total;
    joined.live = records.length;
    this.heldBytes += total;
    // Copy runs of neighbouring records at once, then move the records over.
    let at = 0;
    let runStart = 0;
    for (let i = 1; i <= records.length; i += 1) {
      const previous = records[i - 1] as R;
      const next = records[i];
      if (next !== undefined && next.segment === previous.segment && next.start === previous.start + previous.length) continue;
      const head = records[runStart] as R;
      const end = previous.start + previous.length;
      head.segment.buffer.copy(body, at, head.start, end);
      at += end - head.start;
      runStart = i;
    }
    at = 0;
    for (const record of records) {
      const old = record.segment;
      record.segment = joined;
      record.start = at;
      at += record.length;
      this.released(old);
    }
    return body;
  }

  /** The records were acknowledged or dead-lettered: they no longer hold their segments. */
  release(records: readonly SegmentRecord[]): void {
    for (const record of records) this.released(record.segment);
  }

  /** Counts a record into its segment (after writing it there). */
  written(segment: RecordSegment, end: number): void {
    segment.used = end;
    segment.live += 1;
  }

  private released(segment: RecordSegment): void {
    segment.live -= 1;
    if (segment.live === 0) this.free(segment);
  }

  /** No more records go into this segment: it is freed once its last record is released. */
  private close(segment: RecordSegment): void {
    if (segment.owner !== undefined && segment.owner.segment === segment) segment.owner.segment = undefined;
    segment.owner = undefined;
    if (segment.live === 0) this.heldBytes -= segment.buffer.length;
  }

  /** Its last record is gone. An owner's current segment is dropped too: an idle container holds nothing. */
  private free(segment: RecordSegment): void {
    if (segment.owner !== undefined) {
      this.close(segment);
      return;
    }
    this.heldBytes -= segment.buffer.length;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function floorPowerOfTwo(value: number): number {
  return value < 1 ? 1 : 2 ** Math.floor(Math.log2(value));
}

function ceilPowerOfTwo(value: number): number {
  return value <= 1 ? 1 : 2 ** Math.ceil(Math.log2(value));
}
