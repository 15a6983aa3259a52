// What capture hands to ship: one line, the container it came from, and where to resume after it.
import type { ContainerInfo } from '../docker/container-info.js';
import type { LogLine } from '../docker/log-line.js';
import type { Position } from './position.js';

export interface CapturedLine {
  container: ContainerInfo;
  line: LogLine;
  /** The position just after this line: reopening there reads the next line and not this one. */
  position: Position;
  /** Lines of the same container and stream with the very same timestamp before this one: with them it names the line. */
  ordinal: number;
  /**
   * Present when a multiline rule joined this record from several lines (`message` holds them
   * joined with `\n`, `line.timestamp` is the first one's), or when it is a part of a group cut
   * at capture.multiline.max_lines or max_bytes (`cut`). Absent for an ordinary line.
   */
  multiline?: { lines: number; cut?: true };
}

/**
 * The receiving end of capture (the ship layer's buffer, or a test's collector). Flow control
 * is undici's dispatcher contract: accept() says whether more is welcome; after a false, capture
 * stops reading from Docker (the daemon keeps the lines in its log files) until 'drain'.
 */
export interface LineConsumer {
  /** Takes one line (always: a false only asks for no more). Must not throw; must not block. */
  accept(line: CapturedLine): boolean;
  /**
   * The container was destroyed and its stream has ended: every one of its lines has been
   * passed to accept() already. Its checkpoint may be dropped once those lines are acknowledged.
   */
  containerGone(containerId: string): void;
  /** 'drain': after accept() returned false, the consumer has room again. */
  on(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
}
