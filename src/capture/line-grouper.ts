// The grouping state machine of ONE stream (stdout or stderr) of one container: Vector's line_agg
// decisions (see multiline-rule.ts), plus the limits that keep a group bounded. It knows nothing
// of time, positions or records: the caller (MultilineJoiner) feeds it lines in order and emits
// what it returns, and tells it when a group timed out (flush). Pure, so every mode is unit-tested.
import type { MultilineRule } from './multiline-rule.js';

export interface GroupLimits {
  /** A group holds at most this many lines. */
  maxLines: number;
  /** A group's joined message (its lines and the `\n` between them) holds at most this many bytes; a longer single line stands alone. */
  maxBytes: number;
}

export interface Group<T, O> {
  items: T[];
  /** Bytes of the joined message: the lines' bytes plus one per `\n` between two of them. */
  bytes: number;
  /** Given by the caller when the group began; a group that goes on after a cut keeps its first part's. */
  origin: O;
  /** It goes on from a group cut at the limits (its first line is not a start line). */
  continued: boolean;
}

/** Why a group is complete: its rule said so, or it reached max_lines or max_bytes and was cut. */
export type GroupEnd = 'rule' | 'limit';

export interface Step<T, O> {
  /** Groups complete now, in order: emit them before anything else of this line. */
  ended: Array<{ group: Group<T, O>; end: GroupEnd }>;
  /**
   * What became of the line: it joined a group (the open one, or one of `ended`), it opened a new
   * group (now open), or it belongs to no group and is a record of its own (emit it after `ended`).
   */
  line: 'joined' | 'opened' | 'single';
}

type Decision = 'continue' | 'end-include' | 'end-exclude';

function decide(rule: MultilineRule, text: string): Decision {
  const matched = rule.conditionPattern.test(text);
  switch (rule.mode) {
    case 'continue_through': return matched ? 'continue' : 'end-exclude';
    case 'continue_past': return matched ? 'continue' : 'end-include';
    case 'halt_before': return matched ? 'end-exclude' : 'continue';
    case 'halt_with': return matched ? 'end-include' : 'continue';
  }
}

export class LineGrouper<T, O> {
  private group: Group<T, O> | undefined;

  constructor(private readonly rule: MultilineRule, private readonly limits: GroupLimits) {}

  /** The open group, if any. */
  get open(): Group<T, O> | undefined {
    return this.group;
  }

  /**
   * Feeds one line. `text` is its message as text (for the patterns), `bytes` its length in
   * bytes, `origin` what a group opened by this line carries (see Group.origin).
   */
  offer(item: T, text: string, bytes: number, origin: O): Step<T, O> {
    const group = this.group;
    if (group === undefined) return this.vacant(item, text, bytes, origin, []);
    const decision = decide(this.rule, text);
    if (decision === 'end-exclude') {
      this.group = undefined;
      return this.vacant(item, text, bytes, origin, [{ group, end: 'rule' }]);
    }
    const ended: Step<T, O>['ended'] = [];
    let into = group;
    if (group.items.length >= this.limits.maxLines || group.bytes + 1 + bytes > this.limits.maxBytes) {
      // Joining would pass a limit: what the group holds is complete (cut), and it goes on with this line.
      ended.push({ group, end: 'limit' });
      into = { items: [item], bytes, origin: group.origin, continued: true };
      this.group = into;
    } else {
      group.items.push(item);
      group.bytes += 1 + bytes;
    }
    if (decision === 'end-include') {
      this.group = undefined;
      ended.push({ group: into, end: 'rule' });
    }
    return { ended, line: 'joined' };
  }

  /** Ends the open group now (timeout, the stream's end, shutdown); returns it, if any. */
  flush(): Group<T, O> | undefined {
    const group = this.group;
    this.group = undefined;
    return group;
  }

  private vacant(item: T, text: string, bytes: number, origin: O, ended: Step<T, O>['ended']): Step<T, O> {
    if (!this.rule.startPattern.test(text)) return { ended, line: 'single' };
    this.group = { items: [item], bytes, origin, continued: false };
    return { ended, line: 'opened' };
  }
}
