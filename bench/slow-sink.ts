// slow-sink: the receiver holds every reply; the capturer must stop reading from Docker once
// buffer.max_bytes is held, so its memory stays bounded, and still deliver every line once.
import { createBenchContainer } from './bench-docker.js';
import { startCapturer } from './capturer-process.js';
import { startCountingReceiver } from './counting-receiver.js';
import { sampleCapturer } from './sampler.js';
import { errorSummary, fastWriterScript, round, toMiB, withOverrides } from './scenario.js';
import type { ScenarioContext, ScenarioResult } from './scenario.js';

export interface SlowSinkOptions {
  lines: number;
  lineBytes: number;
  replyDelayMs: number;
  bufferMaxBytes: number;
}

export async function runSlowSink(ctx: ScenarioContext, options: SlowSinkOptions): Promise<ScenarioResult> {
  const result: ScenarioResult = {
    scenario: 'slow-sink',
    lines_expected: options.lines,
    reply_delay_ms: options.replyDelayMs,
    buffer_max_mib: toMiB(options.bufferMaxBytes),
  };
  const receiver = await startCountingReceiver({ delayMs: options.replyDelayMs, keepIdentities: true });
  try {
    const capturer = await startCapturer({
      runId: ctx.runId,
      dockerHost: ctx.dockerHost,
      sinkUrl: receiver.url,
      cpuProfDir: ctx.cpuProfDir,
      config: withOverrides(ctx, { buffer: { max_bytes: options.bufferMaxBytes } }),
    });
    const sampler = sampleCapturer(capturer, 250);
    try {
      result.rss_at_ready_mib = round(capturer.memory().rssMiB, 1);
      const startedAt = performance.now();
      await createBenchContainer(ctx.docker, {
        runId: ctx.runId,
        name: `lct-bench-${ctx.runId}-slow`,
        script: fastWriterScript(options.lines, options.lineBytes),
      });
      ctx.note(`slow-sink: container writing ${options.lines} lines; replies delayed ${options.replyDelayMs} ms`);
      let arrived = true;
      try {
        await receiver.waitForLines(options.lines, { timeoutMs: 15 * 60_000, stallMs: 120_000 });
      } catch (error) {
        arrived = false;
        ctx.note(`slow-sink: the capturer's stderr (tail):\n${capturer.stderrTail()}`);
        result.error = error instanceof Error ? error.message : String(error);
      }
      let duplicated = 0;
      for (const times of receiver.identities.values()) if (times > 1) duplicated += times - 1;
      result.lines_received = receiver.lines;
      result.distinct_lines_received = receiver.identities.size;
      result.duplicated = duplicated;
      result.all_lines_arrived = arrived && receiver.identities.size === options.lines;
      result.duration_s = round((performance.now() - startedAt) / 1000, 1);
      result.mib_shipped = round(receiver.bytes / 1024 / 1024, 1);
      result.peak_rss_mib = round(capturer.memory().peakRssMiB, 1);
      result.peak_buffer_mib = toMiB(sampler.peakBufferBytes);
      result.paused_seen = sampler.pausedSeen;
      result.peak_heap_used_mib = toMiB(sampler.peakHeapUsedBytes);
      result.peak_external_mib = toMiB(sampler.peakExternalBytes);
      result.rss_growth_over_buffer = round((result.peak_rss_mib - result.rss_at_ready_mib) / toMiB(options.bufferMaxBytes), 2);
    } finally {
      await sampler.stop();
      result.capturer_exit_code = await capturer.stop();
    }
  } catch (error) {
    result.error = errorSummary(error);
    ctx.note(`slow-sink: failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await receiver.stop();
  }
  return result;
}
