// fan-in: many containers logging steadily at once, more than the stream pool holds, so streams
// take turns (rotation) and every line's latency includes its container's wait for a slot.
import { createBenchContainers } from './bench-docker.js';
import type { BenchContainerOptions } from './bench-docker.js';
import { startCapturer } from './capturer-process.js';
import { startCountingReceiver } from './counting-receiver.js';
import { sampleCapturer } from './sampler.js';
import { errorSummary, round, steadyWriterScript, withOverrides } from './scenario.js';
import type { ScenarioContext, ScenarioResult } from './scenario.js';

export interface FanInOptions {
  containers: number;
  linesPerSecond: number;
  seconds: number;
  lineBytes: number;
  maxStreams: number;
  rotationInterval: string;
}

export async function runFanIn(ctx: ScenarioContext, options: FanInOptions): Promise<ScenarioResult> {
  const expected = options.containers * options.linesPerSecond * options.seconds;
  const result: ScenarioResult = {
    scenario: 'fan-in',
    containers: options.containers,
    max_streams: options.maxStreams,
    rotation_interval: options.rotationInterval,
    offered_lines_per_s: options.containers * options.linesPerSecond,
    lines_expected: expected,
  };
  const receiver = await startCountingReceiver();
  try {
    const capturer = await startCapturer({
      runId: ctx.runId,
      dockerHost: ctx.dockerHost,
      sinkUrl: receiver.url,
      cpuProfDir: ctx.cpuProfDir,
      config: withOverrides(ctx, { capture: { max_streams: options.maxStreams, rotation_interval: options.rotationInterval } }),
    });
    const sampler = sampleCapturer(capturer, 1000);
    try {
      const cpuAtReady = capturer.cpuUs();
      const startedAt = performance.now();
      ctx.note(`fan-in: starting ${options.containers} containers`);
      const specs: BenchContainerOptions[] = Array.from({ length: options.containers }, (_, i) => ({
        runId: ctx.runId,
        name: `lct-bench-${ctx.runId}-fan-${i}`,
        script: steadyWriterScript(`c${i}`, options.linesPerSecond, options.seconds, options.lineBytes),
      }));
      await createBenchContainers(ctx.docker, specs);
      result.containers_started_s = round((performance.now() - startedAt) / 1000, 1);
      ctx.note(`fan-in: all started after ${result.containers_started_s} s; waiting for ${expected} lines`);
      // On a stall the figures of what did arrive are still reported, beside the error.
      let stalled: unknown;
      try {
        await receiver.waitForLines(expected, { timeoutMs: 15 * 60_000, stallMs: 120_000 });
      } catch (error) {
        stalled = error;
        // What the capturer knew when it stalled says which containers it missed.
        const status = (await capturer.status().catch(() => undefined)) as { capture?: { containers?: unknown[] } } | undefined;
        result.containers_known_to_capturer = status?.capture?.containers?.length ?? null;
        result.error = errorSummary(error);
        ctx.note(`fan-in: the capturer's stderr (tail):\n${capturer.stderrTail()}`);
      }
      const cpuUs = capturer.cpuUs() - cpuAtReady;
      const deliverySeconds = (receiver.lastAt - receiver.firstAt) / 1000;
      result.lines_received = receiver.lines;
      result.lines_missing = expected - receiver.lines;
      result.delivered_lines_per_s = Math.round(receiver.lines / deliverySeconds);
      result.delivery_window_s = round(deliverySeconds, 1);
      result.latency_p50_ms = round(receiver.latency.quantileMs(0.5) ?? Number.NaN, 1);
      result.latency_p99_ms = round(receiver.latency.quantileMs(0.99) ?? Number.NaN, 1);
      result.latency_max_ms = round(receiver.latency.maxMs, 1);
      result.peak_rss_mib = round(capturer.memory().peakRssMiB, 1);
      result.peak_heap_used_mib = round(sampler.peakHeapUsedBytes / 1024 / 1024, 1);
      result.peak_external_mib = round(sampler.peakExternalBytes / 1024 / 1024, 1);
      // Share of a core until the last line arrived (a stall wait after it is idle).
      result.cpu_s = round(cpuUs / 1e6, 1);
      result.cpu_core_share = round(cpuUs / 1e6 / ((receiver.lastAt - startedAt) / 1000), 2);
      result.cpu_us_per_line = round(cpuUs / receiver.lines, 1);
      const metrics = await capturer.metrics();
      result.rotations = metrics.sum('log_capturer_container_stream_rotations_total');
      if (stalled !== undefined) ctx.note(`fan-in: failed: ${String(result.error)}`);
    } finally {
      await sampler.stop();
      result.capturer_exit_code = await capturer.stop();
    }
  } catch (error) {
    result.error = errorSummary(error);
    ctx.note(`fan-in: failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await receiver.stop();
  }
  return result;
}
