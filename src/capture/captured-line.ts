// What capture hands to ship: one line, the container it came from, and where to resume after it.
import type { ContainerInfo } from '../docker/container-info.js';
import type { LogLine } from '../docker/log-line.js';
import type { Position } from './position.js';

export interface CapturedLine {
  container: ContainerInfo;
  line: LogLine;
  /** The position just after this line: reopening there reads the next line and not this one. */
  position: Position;
}

/** The receiving end of capture (the ship layer's buffer, or a test's collector). */
export interface LineConsumer {
  /** Takes one line. Must not throw; must not block. Flow control goes through CaptureFlow. */
  accept(line: CapturedLine): void;
  /**
   * The container was destroyed and its stream has ended: every one of its lines has been
   * passed to accept() already. Its checkpoint may be dropped once those lines are acknowledged.
   */
  containerGone(containerId: string): void;
}

/** What the ship layer uses to apply backpressure to capture. */
export interface CaptureFlow {
  /** Stop reading from Docker (the daemon keeps the data in its log files). */
  pause(): void;
  resume(): void;
}
