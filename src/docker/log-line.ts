// One complete log line as the daemon stored it, after frame parsing and partial-line merging.

export type LogStreamName = 'stdout' | 'stderr';

export interface LogLine {
  /**
   * The line's time in one canonical form whatever the daemon wrote: UTC, RFC 3339 with exactly
   * nine fraction digits (`2026-11-28T01:43:21.152000367Z`). Docker's stamps are already in it;
   * Podman 4's `2026-11-28T01:43:21Z` becomes `2026-11-28T01:43:21.000000000Z`, a stamp with an
   * offset is moved to UTC. Always a real time. A line in several parts has its first part's.
   */
  timestamp: string;
  stream: LogStreamName;
  /** The line's bytes without its ending (`\n`, or `\r\n` on a TTY). May be any bytes at all. */
  message: Buffer;
  /** True when the line was longer than `capture.max_line_bytes` and was cut to that size. */
  truncated: boolean;
  /** How many frames or entries (partial chunks) made this line: 1 for an ordinary line. */
  chunks: number;
  /**
   * The last part's stamp (canonical form), present only when it differs from `timestamp`.
   * Docker gives every part of a line its first part's stamp; Podman stamps each part when it
   * read it, and filters `since` by each part's own time: a stream reopened at a time between
   * the two returns this line cut to its later parts. Positions count lines by this stamp.
   */
  lastPartTimestamp?: string;
}
