// What one stream hands on, counted the same way on both routes (ContainerStream for the API,
// FileContainerStream for json-file on disk): the lines, their first and last stamps for the
// task's status and the tail planner, and the shared per-stream and per-route tallies.
// Per stream, not per line: the hot path allocates nothing here, and the shared tallies are
// added once per read (hundreds of lines), not once per line.
import type { Tally } from '../telemetry/scraped-counter.js';
import type { CaptureTelemetry } from './capture-telemetry.js';
import type { CapturedLine, LineConsumer } from './captured-line.js';

export class HandedLines {
  /** Lines handed to the consumer (not counting the ones skipped to reach the position). */
  count = 0;
  first: string | undefined;
  last: string | undefined;
  private uncountedStdout = 0;
  private uncountedStderr = 0;

  constructor(
    private readonly telemetry: CaptureTelemetry,
    /** The route's own line tally (api or file). */
    private readonly routeLines: Tally,
    private readonly consumer: Pick<LineConsumer, 'accept'>,
    private readonly onBackpressure: () => void,
  ) {}

  /** Counts a line and hands it to the consumer; a full consumer asks the stream to pause. */
  handOn(captured: CapturedLine): void {
    const line = captured.line;
    this.count += 1;
    this.first ??= line.timestamp;
    this.last = line.timestamp;
    if (line.stream === 'stdout') this.uncountedStdout += 1;
    else this.uncountedStderr += 1;
    if (line.chunks > 1) this.telemetry.partialLineMerged();
    if (line.truncated) this.telemetry.lineTruncated();
    if (!this.consumer.accept(captured)) this.onBackpressure();
  }

  /** Adds the lines handed on since the last call to the shared tallies (after each read). */
  addToTallies(): void {
    const total = this.uncountedStdout + this.uncountedStderr;
    if (total === 0) return;
    this.telemetry.stdoutLines.count += this.uncountedStdout;
    this.telemetry.stderrLines.count += this.uncountedStderr;
    this.routeLines.count += total;
    this.uncountedStdout = 0;
    this.uncountedStderr = 0;
  }
}
