// throughput: one container holding N lines of ~100 bytes, read from the start. First the
// ceiling (frame-only reader, in this process), then the capturer shipping everything to the
// counting receiver. Both read the same, already-written log, so the ratio compares readers.
// --route file: the capturer reads the container's json-file log from the daemon's containers
// directory (docker.containers_dir = <data-root>/containers, capture.route file) instead of the
// API; the ceiling stays the API's frame-only reader, and dockerd's CPU shows what the file
// route saves the host.
import { join } from 'node:path';
import { createBenchContainer, daemonPid, waitForExit } from './bench-docker.js';
import { readLogCeiling } from './ceiling-reader.js';
import type { CeilingResult } from './ceiling-reader.js';
import { startCapturer } from './capturer-process.js';
import { startCountingReceiver } from './counting-receiver.js';
import { processCpuUs } from './proc-stats.js';
import { errorSummary, fastWriterScript, round, withOverrides } from './scenario.js';
import type { CapturerConfigSections, ScenarioContext, ScenarioResult } from './scenario.js';

export interface ThroughputOptions {
  lines: number;
  lineBytes: number;
  ceilingRuns: number;
  /** How the capturer reads the log: the Docker log API, or the json-file log from disk. */
  route: 'api' | 'file';
}

export async function runThroughput(ctx: ScenarioContext, options: ThroughputOptions): Promise<ScenarioResult> {
  const result: ScenarioResult = { scenario: 'throughput', route: options.route, lines: options.lines, line_bytes: options.lineBytes };
  ctx.note(`throughput: writing ${options.lines} lines into one container`);
  const container = await createBenchContainer(ctx.docker, {
    runId: ctx.runId,
    name: `lct-bench-${ctx.runId}-throughput`,
    script: fastWriterScript(options.lines, options.lineBytes),
  });
  const writeStarted = performance.now();
  await waitForExit(container, 15 * 60_000);
  result.container_write_s = round((performance.now() - writeStarted) / 1000, 1);

  // The best of a few runs: the first also warms the page cache for the capturer that follows.
  const dockerd = daemonPid(ctx.dockerHost);
  const dockerdCpuUs = (): number => (dockerd === undefined ? Number.NaN : processCpuUs(dockerd));
  let ceiling: CeilingResult | undefined;
  let ceilingDockerdCpuUs = Number.NaN;
  for (let run = 0; run < options.ceilingRuns; run++) {
    const dockerdBefore = dockerdCpuUs();
    const attempt = await readLogCeiling(ctx.dockerHost, container.id);
    const dockerdSpent = dockerdCpuUs() - dockerdBefore;
    ctx.note(`throughput: ceiling run ${run + 1}: ${attempt.lines} lines in ${round(attempt.wallMs / 1000, 2)} s`);
    if (!ceiling || attempt.wallMs < ceiling.wallMs) {
      ceiling = attempt;
      ceilingDockerdCpuUs = dockerdSpent;
    }
  }
  if (!ceiling) throw new Error('no ceiling run');
  if (ceiling.lines !== options.lines) throw new Error(`the container holds ${ceiling.lines} lines, expected ${options.lines}`);
  const ceilingLinesPerS = ceiling.lines / (ceiling.wallMs / 1000);
  result.ceiling_lines_per_s = Math.round(ceilingLinesPerS);
  result.ceiling_wall_s = round(ceiling.wallMs / 1000, 2);
  result.ceiling_cpu_us_per_line = round(ceiling.cpuUs / ceiling.lines, 2);
  result.ceiling_dockerd_cpu_us_per_line = round(ceilingDockerdCpuUs / ceiling.lines, 2);
  result.ceiling_mib_per_s = round(ceiling.bytes / 1024 / 1024 / (ceiling.wallMs / 1000), 1);

  const receiver = await startCountingReceiver();
  try {
    const spawnedAt = performance.now();
    const routeConfig: CapturerConfigSections = options.route === 'file'
      ? { docker: { containers_dir: join(((await ctx.docker.info()) as { DockerRootDir?: string }).DockerRootDir ?? '/var/lib/docker', 'containers') }, capture: { route: 'file' } }
      : {};
    const capturer = await startCapturer({ runId: ctx.runId, dockerHost: ctx.dockerHost, sinkUrl: receiver.url, cpuProfDir: ctx.cpuProfDir, config: withOverrides(ctx, routeConfig) });
    try {
      // The window starts when the capturer is ready (not at spawn: transpiling with tsx is not
      // capture work). Lines it delivered before then are taken out of the count.
      const readyAt = performance.now();
      const cpuAtReady = capturer.cpuUs();
      const dockerdAtReady = dockerdCpuUs();
      const linesAtReady = receiver.lines;
      result.capturer_startup_s = round((readyAt - spawnedAt) / 1000, 2);
      ctx.note(`throughput: capturer ready after ${result.capturer_startup_s} s (${linesAtReady} lines already delivered)`);
      await receiver.waitForLines(options.lines, { timeoutMs: 20 * 60_000, stallMs: 120_000 }).catch((error: unknown) => {
        ctx.note(`throughput: the capturer's stderr (tail):\n${capturer.stderrTail()}`);
        throw error;
      });
      const doneAt = receiver.lastAt;
      const cpuUs = capturer.cpuUs() - cpuAtReady;
      const dockerdSpent = dockerdCpuUs() - dockerdAtReady;
      const windowLines = receiver.lines - linesAtReady;
      const capturerLinesPerS = windowLines / ((doneAt - readyAt) / 1000);
      result.capturer_lines_per_s = Math.round(capturerLinesPerS);
      result.capturer_wall_s = round((doneAt - readyAt) / 1000, 2);
      result.capturer_wall_s_from_spawn = round((doneAt - spawnedAt) / 1000, 2);
      result.throughput_ratio = round(capturerLinesPerS / ceilingLinesPerS, 3);
      result.cpu_us_per_line = round(cpuUs / windowLines, 2);
      result.cpu_ratio = round(cpuUs / windowLines / (ceiling.cpuUs / ceiling.lines), 2);
      result.dockerd_cpu_us_per_line = round(dockerdSpent / windowLines, 2);
      result.peak_rss_mib = round(capturer.memory().peakRssMiB, 1);
      const metrics = await capturer.metrics();
      result.lines_by_file_route = metrics.series('log_capturer_lines_by_route_total', '{route="file"}') ?? 0;
      result.lines_by_api_route = metrics.series('log_capturer_lines_by_route_total', '{route="api"}') ?? 0;
      result.lines_received = receiver.lines;
      result.requests = receiver.requests;
      result.mib_shipped = round(receiver.bytes / 1024 / 1024, 1);
    } finally {
      result.capturer_exit_code = await capturer.stop();
    }
  } catch (error) {
    result.capturer_error = errorSummary(error);
    ctx.note(`throughput: capturer failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await receiver.stop();
  }
  return result;
}
