// scale: what a reopen costs the daemon, and what many containers beyond the pool cost (issue 10).
//   reopen   one idle container with a long log (hundreds of MB, written before the capturer
//            starts), capture.rotation_interval 10s: dockerd CPU per minute while nothing new
//            is written (a reopen by `since` decodes the whole file; by a tail window, a little)
//   many     hundreds of containers, most idle, a tenth writing steadily, some with logs of
//            100 MB, on max_streams 50 at the default rotation: line latency, CPU of dockerd
//            and the capturer, memory, open streams, every line once
//   growth   the same mix at several container counts: how the costs grow
import { statSync } from 'node:fs';
import type Docker from 'dockerode';
import { createBenchContainers, daemonPid } from './bench-docker.js';
import type { BenchContainerOptions } from './bench-docker.js';
import { startCapturer } from './capturer-process.js';
import type { CapturerProcess } from './capturer-process.js';
import { startCountingReceiver } from './counting-receiver.js';
import type { CountingReceiver } from './counting-receiver.js';
import { processCpuUs } from './proc-stats.js';
import { sampleCapturer } from './sampler.js';
import { errorSummary, fastWriterScript, round, steadyWriterScript, withOverrides } from './scenario.js';
import type { ScenarioContext, ScenarioResult } from './scenario.js';

export interface ScaleOptions {
  /** Size of the long log of the reopen part, in MB. */
  reopenLogMb: number;
  /** How long the reopen part measures, in seconds. */
  reopenSeconds: number;
  /** Containers of the `many` part. */
  containers: number;
  /** Of them, how many write steadily (10 lines/s) and how many hold a 100 MB log. */
  writers: number;
  bigLogs: number;
  bigLogMb: number;
  /** How long the writers write, in seconds. */
  seconds: number;
  maxStreams: number;
  /** Container counts of the growth part. */
  growth: number[];
  /** Run a different build of the capturer (a checkout's root with dist/), for before/after. */
  capturerRoot?: string;
}

const WRITER_RATE = 10;
const LINE_BYTES = 150;

function dockerdCpuUs(ctx: ScenarioContext): () => number {
  const pid = daemonPid(ctx.dockerHost);
  if (pid === undefined) throw new Error(`scale needs the private daemon (its pid gives dockerd's CPU); DOCKER_HOST=${ctx.dockerHost}`);
  return () => processCpuUs(pid);
}

/** Lines of about LINE_BYTES for a log of `mb` MB (json-file adds about 60 bytes per line). */
function linesFor(mb: number): number {
  return Math.ceil((mb * 1024 * 1024) / (LINE_BYTES + 60));
}

async function logBytes(docker: Docker, id: string): Promise<number> {
  const path = (await docker.getContainer(id).inspect()).LogPath;
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Waits until every container's log file has reached `bytes` (the writers run before the capturer starts). */
async function waitForLogs(ctx: ScenarioContext, ids: string[], bytes: number): Promise<void> {
  for (;;) {
    const sizes = await Promise.all(ids.map((id) => logBytes(ctx.docker, id)));
    if (sizes.every((size) => size >= bytes)) return;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function capturer(ctx: ScenarioContext, receiver: CountingReceiver, options: ScaleOptions, capture: Record<string, unknown>): Promise<CapturerProcess> {
  return startCapturer({
    runId: ctx.runId,
    dockerHost: ctx.dockerHost,
    sinkUrl: receiver.url,
    cpuProfDir: ctx.cpuProfDir,
    readyTimeoutMs: 300_000,
    ...(options.capturerRoot ? { repoRoot: options.capturerRoot } : {}),
    config: withOverrides(ctx, { capture: { initial_position: 'end', ...capture } }),
  });
}

export async function runScaleReopen(ctx: ScenarioContext, options: ScaleOptions): Promise<ScenarioResult> {
  const lines = linesFor(options.reopenLogMb);
  const result: ScenarioResult = { scenario: 'scale-reopen', log_mb: options.reopenLogMb, log_lines: lines, rotation_interval: '10s', seconds: options.reopenSeconds };
  const dockerdCpu = dockerdCpuUs(ctx);
  const receiver = await startCountingReceiver();
  try {
    ctx.note(`scale-reopen: writing a ${options.reopenLogMb} MB log`);
    const [container] = await createBenchContainers(ctx.docker, [{ runId: ctx.runId, name: `lct-bench-${ctx.runId}-long`, script: `${fastWriterScript(lines, LINE_BYTES, 'long ')}; while true; do sleep 3600; done` }]);
    if (!container) throw new Error('no container');
    await waitForLogs(ctx, [container.id], options.reopenLogMb * 1024 * 1024);
    result.log_file_mb = round((await logBytes(ctx.docker, container.id)) / 1024 / 1024, 0);
    const process = await capturer(ctx, receiver, options, { rotation_interval: '10s' });
    try {
      // Let the first open settle, then measure a quiet stretch of reopens.
      await new Promise((resolve) => setTimeout(resolve, 15_000));
      const dockerdBefore = dockerdCpu();
      const capturerBefore = process.cpuUs();
      const metricsBefore = await process.metrics();
      await new Promise((resolve) => setTimeout(resolve, options.reopenSeconds * 1000));
      const minutes = options.reopenSeconds / 60;
      result.dockerd_cpu_s_per_min = round((dockerdCpu() - dockerdBefore) / 1e6 / minutes, 2);
      result.capturer_cpu_s_per_min = round((process.cpuUs() - capturerBefore) / 1e6 / minutes, 2);
      const metrics = await process.metrics();
      result.reopens = metrics.sum('log_capturer_stream_opens_total') - metricsBefore.sum('log_capturer_stream_opens_total');
      result.tail_windows_widened = metrics.sum('log_capturer_tail_window_widened_total');
      result.tail_window_fallbacks = metrics.sum('log_capturer_tail_window_fallbacks_total');
      result.lines_shipped = receiver.lines;
    } finally {
      result.capturer_exit_code = await process.stop();
    }
  } catch (error) {
    result.error = errorSummary(error);
  } finally {
    await receiver.stop();
  }
  return result;
}

interface Mix {
  containers: number;
  writers: number;
  bigLogs: number;
}

/** Creates the mix: big logs first (written before the capturer starts), idle ones, then steady writers once the capturer runs. */
async function createMix(ctx: ScenarioContext, mix: Mix, options: ScaleOptions, tag: string): Promise<{ idle: BenchContainerOptions[]; writers: BenchContainerOptions[]; bigIds: string[] }> {
  const big: BenchContainerOptions[] = Array.from({ length: mix.bigLogs }, (_, i) => ({
    runId: ctx.runId,
    name: `lct-bench-${ctx.runId}-${tag}-big${i}`,
    script: `${fastWriterScript(linesFor(options.bigLogMb), LINE_BYTES, `big${i} `)}; while true; do sleep 3600; done`,
  }));
  const idleCount = mix.containers - mix.writers - mix.bigLogs;
  const idle: BenchContainerOptions[] = Array.from({ length: idleCount }, (_, i) => ({
    runId: ctx.runId,
    name: `lct-bench-${ctx.runId}-${tag}-idle${i}`,
    script: `echo "idle${i} started"; while true; do sleep 3600; done`,
  }));
  const writers: BenchContainerOptions[] = Array.from({ length: mix.writers }, (_, i) => ({
    runId: ctx.runId,
    name: `lct-bench-${ctx.runId}-${tag}-w${i}`,
    script: `${steadyWriterScript(`w${i}`, WRITER_RATE, options.seconds, LINE_BYTES)}; while true; do sleep 3600; done`,
    start: false,
  }));
  const bigContainers = await createBenchContainers(ctx.docker, big);
  await createBenchContainers(ctx.docker, idle);
  if (big.length > 0) {
    ctx.note(`scale: waiting for ${big.length} logs of ${options.bigLogMb} MB`);
    await waitForLogs(ctx, bigContainers.map((c) => c.id), options.bigLogMb * 1024 * 1024);
  }
  return { idle, writers, bigIds: bigContainers.map((c) => c.id) };
}

/** Runs one mix with a capturer: starts the writers, waits for every line, reports the costs. */
async function measureMix(ctx: ScenarioContext, scenario: string, mix: Mix, options: ScaleOptions, tag: string): Promise<ScenarioResult> {
  const result: ScenarioResult = { scenario, containers: mix.containers, writers: mix.writers, big_logs: mix.bigLogs, big_log_mb: options.bigLogMb, max_streams: options.maxStreams, writer_lines_per_s: WRITER_RATE, seconds: options.seconds };
  const dockerdCpu = dockerdCpuUs(ctx);
  const receiver = await startCountingReceiver({ keepIdentities: true });
  try {
    const made = await createMix(ctx, mix, options, tag);
    const process = await capturer(ctx, receiver, options, { max_streams: options.maxStreams });
    const sampler = sampleCapturer(process, 1000);
    let maxStreams = 0;
    const streamsTimer = setInterval(() => {
      void process.metrics().then((m) => {
        maxStreams = Math.max(maxStreams, m.sum('log_capturer_container_streams_active'));
      }, () => {});
    }, 1000);
    try {
      // Idle containers settle (each is read once; its banner predates the start: not shipped).
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const dockerdBefore = dockerdCpu();
      const capturerBefore = process.cpuUs();
      const startedAt = performance.now();
      ctx.note(`scale(${tag}): starting ${made.writers.length} writers`);
      const writers = await createBenchContainers(ctx.docker, made.writers);
      await Promise.all(writers.map((c) => c.start()));
      const expected = mix.writers * WRITER_RATE * options.seconds;
      result.lines_expected = expected;
      try {
        await receiver.waitForLines(expected, { timeoutMs: (options.seconds + 600) * 1000, stallMs: 120_000 });
      } catch (error) {
        result.error = errorSummary(error);
      }
      const elapsed = (performance.now() - startedAt) / 1000;
      result.dockerd_cpu_core_share = round((dockerdCpu() - dockerdBefore) / 1e6 / elapsed, 3);
      result.capturer_cpu_core_share = round((process.cpuUs() - capturerBefore) / 1e6 / elapsed, 3);
      result.lines_received = receiver.lines;
      let duplicated = 0;
      for (const count of receiver.identities.values()) if (count > 1) duplicated += count - 1;
      result.lines_duplicated = duplicated;
      result.lines_lost = expected - (receiver.identities.size);
      result.latency_p50_ms = round(receiver.latency.quantileMs(0.5) ?? Number.NaN, 0);
      result.latency_p99_ms = round(receiver.latency.quantileMs(0.99) ?? Number.NaN, 0);
      result.latency_max_ms = round(receiver.latency.maxMs, 0);
      result.peak_rss_mib = round(process.memory().peakRssMiB, 1);
      result.max_streams_open = maxStreams;
      const metrics = await process.metrics();
      for (const kind of ['start', 'rotation', 'turn', 'reconnect', 'poll']) result[`opens_${kind}`] = metrics.series('log_capturer_stream_opens_total', `{kind="${kind}"}`) ?? 0;
      result.tail_windows_widened = metrics.sum('log_capturer_tail_window_widened_total');
    } finally {
      clearInterval(streamsTimer);
      await sampler.stop();
      result.capturer_exit_code = await process.stop(60_000);
    }
  } catch (error) {
    result.error = errorSummary(error);
  } finally {
    await receiver.stop();
  }
  return result;
}

export async function runScaleMany(ctx: ScenarioContext, options: ScaleOptions): Promise<ScenarioResult> {
  return measureMix(ctx, 'scale-many', { containers: options.containers, writers: options.writers, bigLogs: options.bigLogs }, options, 'many');
}

export async function runScaleGrowth(ctx: ScenarioContext, options: ScaleOptions, count: number, removeAll: () => Promise<number>): Promise<ScenarioResult> {
  await removeAll();
  const writers = Math.max(1, Math.round(count / 10));
  return measureMix(ctx, `scale-growth-${count}`, { containers: count, writers, bigLogs: 0 }, { ...options, bigLogs: 0 }, `g${count}`);
}

