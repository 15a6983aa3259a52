// One complete log line as Docker stored it, after frame parsing and partial-line merging.

export type LogStreamName = 'stdout' | 'stderr';

export interface LogLine {
  /** Docker's RFC 3339 time with nanoseconds, exactly as the daemon sent it (`2026-11-28T01:43:21.152000367Z`). */
  timestamp: string;
  stream: LogStreamName;
  /** The line's bytes without its ending (`\n`, or `\r\n` on a TTY). May be any bytes at all. */
  message: Buffer;
  /** True when the line was longer than `capture.max_line_bytes` and was cut to that size. */
  truncated: boolean;
  /** How many frames (16 KiB partial chunks) made this line: 1 for an ordinary line. */
  chunks: number;
}
