// Turns the bytes of `GET /containers/{id}/logs?timestamps=1` into LogLines, for Docker and
// Podman. The stream comes in one of two formats, each read by its own reader:
//   multiplexed-stream-reader.ts  frames with 8-byte headers (containers without a TTY; and every
//                                 container on Podman's /libpod/ endpoint)
//   tty-stream-reader.ts          a TTY's raw stream: timestamped entries and nothing else
// What both share (timestamps: log-timestamp.ts; merging parts into lines and truncation:
// line-assembler.ts; resynchronisation after undecodable bytes: log-stream-reader.ts) is
// written once. This class only picks the reader.
import type { LogLine } from './log-line.js';
import type { LogStreamReader } from './log-stream-reader.js';
import { MultiplexedStreamReader } from './multiplexed-stream-reader.js';
import { TtyStreamReader } from './tty-stream-reader.js';

/**
 * How the stream is framed:
 * - 'multiplexed': 8-byte frame headers (Docker and Podman without a TTY; Podman's
 *   /libpod/containers/{id}/logs for every container);
 * - 'docker-tty': Docker's raw TTY stream (a line longer than 16 KiB comes in 16 KiB entries);
 * - 'podman-tty': Podman's raw TTY stream from its Docker-compatible endpoint (entries of any
 *   size: see tty-stream-reader.ts).
 */
export type LogFraming = 'multiplexed' | 'docker-tty' | 'podman-tty';

export interface LogFrameParserOptions {
  /** The container has a TTY: its lines end in `\r\n`, and by default its stream is 'docker-tty'. */
  tty: boolean;
  /** Default: 'docker-tty' for a TTY, 'multiplexed' otherwise. A raw stream needs `tty`. */
  framing?: LogFraming;
  /** Longer lines are cut to this many bytes and marked `truncated: true`. */
  maxLineBytes: number;
  onLine: (line: LogLine) => void;
  /**
   * Type 3 frames (the daemon's own errors), undecodable bytes, and entries whose timestamp is
   * not a real time: reported, never a log line.
   */
  onDaemonError: (message: string) => void;
}

export class LogFrameParser {
  private readonly reader: LogStreamReader;

  constructor(options: LogFrameParserOptions) {
    const framing = options.framing ?? (options.tty ? 'docker-tty' : 'multiplexed');
    const readerOptions = { maxLineBytes: options.maxLineBytes, crlf: options.tty, onLine: options.onLine, onDaemonError: options.onDaemonError };
    if (framing === 'multiplexed') {
      this.reader = new MultiplexedStreamReader(readerOptions);
    } else {
      if (!options.tty) throw new Error(`a ${framing} stream is the stream of a TTY: set tty`);
      this.reader = new TtyStreamReader(readerOptions, framing === 'docker-tty' ? 'docker-16k' : 'podman');
    }
  }

  /** Bytes held for incomplete frames and lines. */
  get pendingBytes(): number {
    return this.reader.pendingBytes;
  }

  /**
   * Timestamp of the oldest line begun but not yet emitted (a partial line, or a frame cut by a
   * chunk boundary), or undefined. Positions must not pass it: see PositionTracker.pin().
   */
  get oldestPendingTimestamp(): string | undefined {
    return this.reader.oldestPendingTimestamp;
  }

  /**
   * The coarsest precision of the daemon's timestamps seen so far, in nanoseconds: 1 while they
   * all had nine fraction digits (Docker), 1e9 once one was cut to the second (Podman 4). Lines
   * carry their stamps in canonical form (nine digits), so this says how much of them is real.
   * Kept across end() and discard(): it describes the daemon, not one stream.
   */
  get timestampResolutionNs(): number {
    return this.reader.timestampResolutionNs;
  }

  /**
   * Bytes of the stream that were dropped as undecodable (not a frame, not a timestamp, not a
   * real time), since this parser was made: counted across end() and discard().
   */
  get undecodableBytes(): number {
    return this.reader.undecodableBytes;
  }

  /**
   * Feeds the next bytes of the stream, split anywhere. The parser may keep views into `chunk`
   * (no copy), so the caller must not modify it afterwards (Node's stream chunks are never reused).
   */
  push(chunk: Buffer): void {
    this.reader.push(chunk);
  }

  /**
   * The stream ended naturally (the container stopped): a pending partial line is a line of the
   * log (killed mid-line, or no final newline) and is emitted whole. Then the parser is reset.
   */
  end(): void {
    this.reader.end();
  }

  /** The stream was closed by us (rotation): partial lines are dropped unseen; they will be read again. */
  discard(): void {
    this.reader.discard();
  }
}
