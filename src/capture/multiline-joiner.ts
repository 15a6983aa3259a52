// One container's multiline grouping, between its streams and the consumer: it joins lines into
// records by the container's rule (a LineGrouper per stream: stdout and stderr are grouped apart,
// as they are written apart), ends groups that wait longer than the timeout, and says for every
// record where capture may resume without losing or splitting a group.
//
// POSITIONS. A line's own position is "reopen here and the next line read is the one after me".
// A record made of lines that are not all handed on yet cannot carry that: if the checkpoint
// advanced to it and we were killed, the open group's first lines would never be read again. So
// every record carries the SAFE position: the latest point in the container's line order (both
// streams interleaved) where no group is cut, i.e. no group, open or complete, has lines on both
// sides. It is at most the first line of the oldest open group, and moves further back over
// complete groups of the other stream that straddle it. Reopened there after a kill, each
// stream starts at a group boundary with no group open, so the groups are formed again exactly
// as the first time (the rule decides from the lines alone; only a timeout, which depends on
// time, can end a group differently) and each is shipped whole: records shipped before the kill
// come again as the same whole records, never as fragments. It only moves forward (the lines
// that come later can only open groups later), so complete groups that end before it are
// forgotten. A group cut at the limits is one group here: its first part's start holds.
//
// The task's own reopening (rotation, a slot handed over) is different: it goes on after the
// last line READ, and this object, which outlives the streams, keeps the open groups growing.
//
// TIME. A group is complete when its stream brought no line for `timeout` (Vector's rule). The
// time a task spends without a stream it closed itself (reopening for rotation) or paused by
// backpressure is not waiting for the container, so the task suspends the clock meanwhile and
// each open group gets its full timeout again when reading resumes. One timer serves both streams.
import type { LogStreamName } from '../docker/log-line.js';
import type { CaptureTelemetry, MultilineEnd } from './capture-telemetry.js';
import type { CapturedLine, LineConsumer } from './captured-line.js';
import { LineGrouper } from './line-grouper.js';
import type { Group, GroupLimits } from './line-grouper.js';
import type { MultilineRule } from './multiline-rule.js';
import type { Position } from './position.js';

/** A point between two lines of the container's line order: before line `seq` (0 = before the first). */
interface Cut {
  seq: number;
  /** Reopening here reads line `seq` next. */
  position: Position;
}

/** A complete group, as the safe position needs it: it covers the points after its first line up to its last. */
interface Span {
  first: Cut;
  lastSeq: number;
}

/** Complete groups kept to judge the safe position; beyond it the oldest is forgotten (see spans). */
const MAX_SPANS = 10_000;

const NEWLINE = Buffer.from('\n');

/** A line and its place in the container's line order. */
interface Entry {
  line: CapturedLine;
  seq: number;
}

interface StreamGrouping {
  grouper: LineGrouper<Entry, Cut>;
  /** Date.now() after which its open group is complete. */
  deadline: number;
}

export interface MultilineJoinerOptions {
  rule: MultilineRule;
  limits: GroupLimits;
  consumer: Pick<LineConsumer, 'accept'>;
  /** Where the task starts reading: nothing before it is handed on by this joiner. */
  start: Position;
  /** The consumer said it is full while a record was emitted outside a stream's read (timeout, flush). */
  onBackpressure: () => void;
  telemetry: Pick<CaptureTelemetry, 'multilineRecord'>;
}

export class MultilineJoiner {
  private readonly streams: Record<LogStreamName, StreamGrouping>;
  /** Lines accepted so far: the next line's seq. */
  private seq = 0;
  /** The position after the last line accepted. */
  private lastPosition: Position;
  /** Complete groups of two or more lines that may still straddle the safe position, oldest first. */
  private spans: Span[] = [];
  private safe: Cut;
  private timer: NodeJS.Timeout | undefined;
  private suspended = false;
  private closed = false;

  constructor(private readonly options: MultilineJoinerOptions) {
    this.streams = {
      stdout: { grouper: new LineGrouper(options.rule, options.limits), deadline: 0 },
      stderr: { grouper: new LineGrouper(options.rule, options.limits), deadline: 0 },
    };
    this.lastPosition = { ...options.start };
    this.safe = { seq: 0, position: this.lastPosition };
  }

  /** Lines held in open groups (for tests and status). */
  get pendingLines(): number {
    return (this.streams.stdout.grouper.open?.items.length ?? 0) + (this.streams.stderr.grouper.open?.items.length ?? 0);
  }

  /** One line from a stream, in the container's line order. Returns false when the consumer is full. */
  accept(line: CapturedLine): boolean {
    const stream = this.streams[line.line.stream];
    const before: Cut = { seq: this.seq, position: this.lastPosition };
    this.seq += 1;
    this.lastPosition = line.position;
    const message = line.line.message;
    const step = stream.grouper.offer({ line, seq: before.seq }, message.toString('utf8'), message.length, before);
    let more = true;
    for (const { group, end } of step.ended) {
      this.completed(group);
      more = this.emit(group, end) && more;
    }
    if (step.line === 'single') more = this.options.consumer.accept({ ...line, position: this.safePosition() }) && more;
    else if (stream.grouper.open !== undefined) {
      stream.deadline = Date.now() + this.options.rule.timeoutMs;
      this.arm();
    }
    return more;
  }

  /**
   * Stops the timeout clock: no stream is read for a reason of ours (reopening, backpressure).
   * resume() starts it again with a full timeout for every open group.
   */
  suspend(): void {
    this.suspended = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  resume(): void {
    if (!this.suspended || this.closed) return;
    this.suspended = false;
    const deadline = Date.now() + this.options.rule.timeoutMs;
    for (const stream of Object.values(this.streams)) if (stream.grouper.open !== undefined) stream.deadline = deadline;
    this.arm();
  }

  /** Emits every open group now: the container stopped, or capture stops. Returns false when the consumer is full. */
  flush(): boolean {
    let more = true;
    for (const stream of Object.values(this.streams)) {
      const group = stream.grouper.flush();
      if (group === undefined) continue;
      this.completed(group);
      more = this.emit(group, 'flush') && more;
    }
    if (this.timer !== undefined) clearTimeout(this.timer); // nothing left to time
    this.timer = undefined;
    return more;
  }

  /** Releases the timer (after flush(), or when the open groups are to be read again). Final. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer !== undefined || this.suspended || this.closed) return;
    let next = Infinity;
    for (const stream of Object.values(this.streams)) if (stream.grouper.open !== undefined) next = Math.min(next, stream.deadline);
    if (next === Infinity) return;
    this.timer = setTimeout(() => this.expire(), Math.max(1, next - Date.now()));
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    let more = true;
    for (const stream of Object.values(this.streams)) {
      if (stream.grouper.open === undefined || stream.deadline > now) continue;
      const group = stream.grouper.flush() as Group<Entry, Cut>;
      this.completed(group);
      more = this.emit(group, 'timeout') && more;
    }
    if (!more) this.options.onBackpressure();
    this.arm();
  }

  /** A group is complete: remember what it spans, if it spans a point between lines. */
  private completed(group: Group<Entry, Cut>): void {
    const lastSeq = (group.items[group.items.length - 1] as Entry).seq;
    if (lastSeq <= group.origin.seq) return; // one line: it spans no point between lines
    this.spans.push({ first: group.origin, lastSeq });
    // Only while groups of both streams keep overlapping does this grow (the safe position then
    // cannot move); past the bound the oldest is forgotten, and a kill then may split that group.
    if (this.spans.length > MAX_SPANS) this.spans.shift();
  }

  /**
   * Hands a group on as one record: the lines joined with `\n`, the first line's timestamp. A
   * record of one line that is not part of a cut group is an ordinary line and says nothing more.
   */
  private emit(group: Group<Entry, Cut>, end: MultilineEnd): boolean {
    const first = (group.items[0] as Entry).line;
    const cut = end === 'limit' || group.continued;
    this.options.telemetry.multilineRecord(end);
    if (group.items.length === 1 && !cut) return this.options.consumer.accept({ ...first, position: this.safePosition() });
    const parts: Buffer[] = [];
    let truncated = false;
    let chunks = 0;
    for (const { line } of group.items) {
      if (parts.length > 0) parts.push(NEWLINE);
      parts.push(line.line.message);
      truncated ||= line.line.truncated;
      chunks += line.line.chunks;
    }
    return this.options.consumer.accept({
      container: first.container,
      line: { timestamp: first.line.timestamp, stream: first.line.stream, message: Buffer.concat(parts, group.bytes), truncated, chunks },
      position: this.safePosition(),
      ordinal: first.ordinal, // the record is named by its first line (event_id): the same on every reading
      multiline: cut ? { lines: group.items.length, cut: true } : { lines: group.items.length },
    });
  }

  /** The latest point where no group is cut (see the header); it only moves forward. */
  private safePosition(): Position {
    let cut: Cut = { seq: this.seq, position: this.lastPosition };
    for (const stream of Object.values(this.streams)) {
      const open = stream.grouper.open;
      if (open !== undefined && open.origin.seq < cut.seq) cut = open.origin;
    }
    for (let moved = true; moved;) {
      moved = false;
      for (const span of this.spans) {
        if (span.first.seq < cut.seq && span.lastSeq >= cut.seq) {
          cut = span.first;
          moved = true;
        }
      }
    }
    if (cut.seq < this.safe.seq) cut = this.safe; // it never moves back (see the header)
    this.safe = cut;
    if (this.spans.length > 0) this.spans = this.spans.filter((span) => span.lastSeq >= cut.seq);
    return cut.position;
  }
}
