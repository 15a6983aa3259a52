// throughput: one container holding N lines of ~100 bytes, read from the start. First the
// ceiling (frame-only reader, in this process), then the capturer shipping everything to the
// counting receiver, once per capturer route. Both read the same, already-written log, so the
// ratio compares readers. The host pays dockerd's CPU as well as the reader's, so every row
// reports the reader's CPU, dockerd's CPU (from /proc/<pid>/stat of the private daemon) and
// their sum per line.
//
// Peer: docker-loghose (npm) reads through `attach`, which only sees output written while it is
// attached, so it runs on the same container WHILE the container writes (the container waits a
// few seconds before writing so it can attach). dockerd's CPU in its row is therefore the cost
// of the write itself (json-file) plus the attach copy; `container_write_dockerd_cpu_us_per_line`
// is the same window's dockerd CPU and is the plain write cost in runs with `--no-loghose`.
//
// Podman (`--daemon podman`): the daemon's figures are those of `podman system service` (named
// podman_service_* instead of dockerd_*); the write is conmon's work, so the container stays
// running until its last line is in the log file, and conmon's CPU is read then. No peer (its
// attach is Docker's), no file route (Podman writes k8s-file, not json-file).
//
// `--keep-running`: the container keeps running until the capturer has delivered every line, so
// the capturer follows it (streams rotated at capture.rotation_interval) instead of reading an
// exited container. `--exact`: after the capturer row, what the receiver got is compared with the
// daemon's own lines without follow (bench/exactness.ts).
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import type Docker from 'dockerode';
import { daemonLines } from '../test/support/docker.js';
import { podmanLines } from '../test/support/podman.js';
import { waitFor } from '../test/support/wait-for.js';
import { conmonPid, createBenchContainer, daemonContainersDir, daemonPid, waitForExit, waitForLogTail } from './bench-docker.js';
import type { CapturerProcess } from './capturer-process.js';
import { compareWithOracle } from './exactness.js';
import { readLogCeiling } from './ceiling-reader.js';
import type { CeilingResult } from './ceiling-reader.js';
import { startCapturer } from './capturer-process.js';
import { startCountingReceiver } from './counting-receiver.js';
import type { CountingReceiver } from './counting-receiver.js';
import { readLogCeilingRaw } from './raw-ceiling-reader.js';
import { loghoseCli, startLoghose } from './loghose-peer.js';
import type { LoghosePeer } from './loghose-peer.js';
import { processCpuUs } from './proc-stats.js';
import { sampleCapturer } from './sampler.js';
import { errorSummary, fastWriterScript, round, toMiB, withOverrides } from './scenario.js';
import type { CapturerConfigSections, ScenarioContext, ScenarioResult } from './scenario.js';

export interface ThroughputOptions {
  lines: number;
  lineBytes: number;
  ceilingRuns: number;
  /** Run docker-loghose on the container while it writes (a peer row). */
  loghose: boolean;
  /** Run another checkout's build (its dist/) as the capturer: a before/after in one run. */
  capturerRoot?: string;
  /** Which capturer routes to measure, by name (default: api). */
  routes?: string[];
  /** The container runs on (idle) until the capturer delivered everything: it is followed, not read after its exit. */
  keepRunning?: boolean;
  /** Compare what the receiver got with the daemon's lines without follow (lost, duplicated, out of order). */
  exact?: boolean;
  /** The container writes at most this many lines a second (default: as fast as it can). */
  writeRate?: number;
  /**
   * Scrape the capturer's /metrics this often (ms) and report the peaks of V8's heap (used and
   * reserved), of external memory (Buffers) and of the delivery buffer: what its peak RSS is made
   * of. Off by default: scrapes cost the capturer CPU, which the row's CPU per line would count.
   */
  memorySampleMs?: number;
}

/**
 * One way the capturer reads a container, measured as its own row. Figures of the route named
 * `api` keep their historical names (`capturer_lines_per_s`, `cpu_us_per_line`, …); every other
 * route's are prefixed with its name (`file_capturer_lines_per_s`, `file_cpu_us_per_line`, …).
 *
 * HOOK for the file route (json-file read from disk): add an entry whose `config` turns it on
 * (and points it at the daemon's container directory: `daemonContainersDir(ctx.dockerHost)` in
 * bench-docker.ts gives it for the private daemon), e.g.
 *   { name: 'file', config: () => ({ capture: { <the file route's settings> } }) }
 * Everything else (ready window, CPU of the capturer and of dockerd, host sum, ratio to the
 * frame-only reader, peak RSS) is measured the same way for every route; dockerd should do
 * (almost) nothing on the file route, and its row will show that.
 */
export interface CapturerRoute {
  name: string;
  config: (ctx: ScenarioContext) => CapturerConfigSections;
}

export const CAPTURER_ROUTES: CapturerRoute[] = [
  { name: 'api', config: () => ({}) },
  {
    // The file route: the container's json-file log read from the daemon's containers directory.
    name: 'file',
    config: (ctx) => {
      const containersDir = daemonContainersDir(ctx.dockerHost);
      if (containersDir === undefined) throw new Error('the file route needs the private daemon (docker-daemon.sh), whose containers directory is known');
      return { docker: { containers_dir: containersDir }, capture: { route: 'file' } };
    },
  },
];

/** The routes a run measures (`--route`, default api alone). */
function chosenRoutes(names: readonly string[] | undefined): CapturerRoute[] {
  return CAPTURER_ROUTES.filter((route) => (names ?? ['api']).includes(route.name));
}

/** Seconds the container waits before writing when docker-loghose has to attach first. */
const ATTACH_WAIT_S = 5;

export async function runThroughput(ctx: ScenarioContext, options: ThroughputOptions): Promise<ScenarioResult> {
  const daemon = ctx.daemon ?? 'docker';
  const podman = daemon === 'podman';
  const result: ScenarioResult = { scenario: 'throughput', lines: options.lines, line_bytes: options.lineBytes };
  if (options.keepRunning) result.keep_running = true;
  const dockerd = daemonPid(ctx.dockerHost, daemon);
  const dockerdCpuUs = (): number => (dockerd === undefined ? Number.NaN : processCpuUs(dockerd));
  if (dockerd === undefined) ctx.note(`throughput: ${podman ? 'the Podman service is not the private one (podman-service.sh)' : 'dockerd is not the private daemon'}: its CPU is not reported`);

  const withLoghose = options.loghose && !podman && loghoseCli() !== undefined;
  if (options.loghose && podman) ctx.note('throughput: no docker-loghose row on Podman');
  else if (options.loghose && !withLoghose) result.loghose_error = 'docker-loghose is not installed (npm ci installs it: it is a devDependency)';
  const name = `lct-bench-${ctx.runId}-throughput`;
  ctx.note(`throughput: writing ${options.lines} lines into one container${withLoghose ? ', docker-loghose attached' : ''}`);
  const writer = fastWriterScript(options.lines, options.lineBytes, '', options.writeRate);
  if (options.writeRate !== undefined) result.write_rate_limit = options.writeRate;
  // Podman: alive after its last line so that conmon's CPU can be read; --keep-running: until the end.
  const staysAlive = podman || options.keepRunning === true;
  const lastLine = `${String(options.lines).padStart(9, '0')} `;
  const container = await createBenchContainer(ctx.docker, {
    runId: ctx.runId,
    name,
    script: staysAlive ? `trap "exit 0" TERM; ${writer}; while :; do sleep 1; done` : withLoghose ? `sleep ${ATTACH_WAIT_S}; ${writer}` : writer,
    start: false,
    daemon,
  });
  let stopped = false;
  const stopContainer = async (): Promise<void> => {
    if (stopped || !staysAlive) return;
    stopped = true;
    await container.stop({ t: 10 });
    await waitForExit(container, 5 * 60_000);
  };
  let loghose: LoghosePeer | undefined;
  if (withLoghose) loghose = startLoghose(ctx.dockerHost, `^/?${name}$`, dockerdCpuUs);
  try {
    const dockerdBeforeWrite = dockerdCpuUs();
    const writeStarted = performance.now();
    await container.start();
    if (staysAlive) {
      const conmon = podman ? await conmonPid(container) : undefined;
      await waitForLogTail(container, lastLine);
      if (conmon !== undefined) result.container_write_conmon_cpu_us_per_line = round(processCpuUs(conmon) / options.lines, 2);
      else if (podman) ctx.note('throughput: conmon was not found: its CPU is not reported');
    } else await waitForExit(container, 15 * 60_000);
    const writeS = (performance.now() - writeStarted) / 1000 - (withLoghose ? ATTACH_WAIT_S : 0);
    result.container_write_s = round(writeS, 1);
    const logPath = (await container.inspect()).LogPath;
    if (logPath) result.log_file_mib = round(statSync(logPath).size / 1024 / 1024, 1);
    result.container_write_dockerd_cpu_us_per_line = round((dockerdCpuUs() - dockerdBeforeWrite) / options.lines, 2);
    if (loghose) Object.assign(result, await loghoseRow(ctx, loghose, options.lines, dockerdCpuUs));
    if (!options.keepRunning) await stopContainer();
  } finally {
    await loghose?.stop();
  }

  // The best (fastest) of a few runs, with dockerd's CPU over that run; the first run of the
  // node:http reader also warms the page cache for the capturer that follows.
  const bestOf = async (read: () => Promise<CeilingResult>, label?: string): Promise<{ best: CeilingResult; dockerdUs: number } | undefined> => {
    let best: { best: CeilingResult; dockerdUs: number } | undefined;
    for (let run = 0; run < options.ceilingRuns; run++) {
      const dockerdBefore = dockerdCpuUs();
      const attempt = await read();
      const dockerdUs = dockerdCpuUs() - dockerdBefore;
      if (label) ctx.note(`throughput: ${label} run ${run + 1}: ${attempt.lines} lines in ${round(attempt.wallMs / 1000, 2)} s`);
      if (!best || attempt.wallMs < best.best.wallMs) best = { best: attempt, dockerdUs };
    }
    return best;
  };
  const ceilingRun = await bestOf(() => readLogCeiling(ctx.dockerHost, container.id), 'ceiling');
  const ceiling = ceilingRun?.best;
  const ceilingDockerdCpuUs = ceilingRun?.dockerdUs ?? Number.NaN;
  if (!ceiling) throw new Error('no ceiling run');
  if (ceiling.lines !== options.lines) throw new Error(`the container holds ${ceiling.lines} lines, expected ${options.lines}`);
  const ceilingLinesPerS = ceiling.lines / (ceiling.wallMs / 1000);
  result.ceiling_lines_per_s = Math.round(ceilingLinesPerS);
  result.ceiling_wall_s = round(ceiling.wallMs / 1000, 2);
  result.ceiling_cpu_us_per_line = round(ceiling.cpuUs / ceiling.lines, 2);
  result.ceiling_dockerd_cpu_us_per_line = round(ceilingDockerdCpuUs / ceiling.lines, 2);
  result.ceiling_host_cpu_us_per_line = round((ceiling.cpuUs + ceilingDockerdCpuUs) / ceiling.lines, 2);
  result.ceiling_mib_per_s = round(ceiling.bytes / 1024 / 1024 / (ceiling.wallMs / 1000), 1);

  // The same reader without node:http (chunked encoding and frames decoded in one pass): what
  // decoding that way would save per line. Best of as many runs.
  const rawRun = await bestOf(() => readLogCeilingRaw(ctx.dockerHost, container.id));
  const raw = rawRun?.best;
  const rawDockerdCpuUs = rawRun?.dockerdUs ?? Number.NaN;
  if (raw && raw.lines === options.lines) {
    result.raw_ceiling_lines_per_s = Math.round(raw.lines / (raw.wallMs / 1000));
    result.raw_ceiling_cpu_us_per_line = round(raw.cpuUs / raw.lines, 2);
    result.raw_ceiling_dockerd_cpu_us_per_line = round(rawDockerdCpuUs / raw.lines, 2);
    result.raw_ceiling_host_cpu_us_per_line = round((raw.cpuUs + rawDockerdCpuUs) / raw.lines, 2);
  } else if (raw) {
    result.raw_ceiling_error = `read ${raw.lines} lines, expected ${options.lines}`;
  }

  for (const route of chosenRoutes(options.routes)) {
    const prefix = route.name === 'api' ? '' : `${route.name}_`;
    if (podman && route.name === 'file') {
      result.file_capturer_error = 'no file route on Podman: it writes k8s-file logs, the file route reads json-file';
      continue;
    }
    const readers = { linesPerS: ceilingLinesPerS, cpuUsPerLine: ceiling.cpuUs / ceiling.lines, rawCpuUsPerLine: raw && raw.lines === options.lines ? raw.cpuUs / raw.lines : Number.NaN };
    const end = { container, stopContainer, exact: options.exact === true };
    Object.assign(result, prefixed(prefix, await capturerRow(ctx, route, options.lines, readers, dockerdCpuUs, options.capturerRoot, options.memorySampleMs, end)));
  }
  await stopContainer();
  ctx.note(`throughput: readers (lines/s, reader / ${podman ? 'podman service' : 'dockerd'} / host CPU µs per line):\n${readerTable(result)}`);
  return podman ? renamedForPodman(result) : result;
}

/** Podman's figures under its own name: `podman_service_*` for what is `dockerd_*` on Docker. */
function renamedForPodman(result: ScenarioResult): ScenarioResult {
  const renamed: ScenarioResult = { scenario: result.scenario };
  for (const [key, value] of Object.entries(result)) renamed[key.replace('dockerd', 'podman_service')] = value;
  return renamed;
}

interface StatusEntry {
  id: string;
  state: string;
  lines: number;
  rotations: number;
  position: { sinceMs: number; skip: number };
}

async function containerStatus(capturer: CapturerProcess, id: string): Promise<StatusEntry | undefined> {
  const status = (await capturer.status()) as { capture?: { containers?: StatusEntry[] } };
  return status.capture?.containers?.find((c) => c.id === id);
}

/**
 * The container's position in /status every second while the capturer reads: the largest skip
 * (how many consumed lines shared the position's window of stamps), and the position first seen
 * after each rotation (where the reopened stream started, unless it moved on within the second).
 */
function samplePositions(capturer: CapturerProcess, id: string): { readonly maxSkip: number; reopenedAt: string[]; stop(): void } {
  let maxSkip = 0;
  let rotations = 0;
  const reopenedAt: string[] = [];
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    containerStatus(capturer, id)
      .then((entry) => {
        if (!entry) return;
        maxSkip = Math.max(maxSkip, entry.position.skip);
        if (entry.rotations !== rotations) {
          rotations = entry.rotations;
          reopenedAt.push(`rotation ${rotations}: ${new Date(entry.position.sinceMs).toISOString()} skip ${entry.position.skip} (${entry.lines} lines handed on)`);
        }
      })
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  }, 1000);
  return {
    get maxSkip() {
      return maxSkip;
    },
    reopenedAt,
    stop: () => clearInterval(timer),
  };
}

/** What a capturer row does once every line arrived: the container to stop, and whether to check exactness. */
interface RowEnd {
  container: Docker.Container;
  /** Stops a container kept running (--keep-running); nothing otherwise. */
  stopContainer: () => Promise<void>;
  exact: boolean;
}

/**
 * The exactness figures of a capturer row: waits until the capturer has read the (stopped)
 * container to its end and the receiver has every line it handed on, then compares.
 */
async function exactnessRow(ctx: ScenarioContext, capturer: CapturerProcess, receiver: CountingReceiver, container: Docker.Container): Promise<ScenarioResult> {
  const row: ScenarioResult = { scenario: 'throughput' };
  const id = container.id;
  const drained = await waitFor(`the capturer to read ${id.slice(0, 12)} to its end and ship it`, {
    watch: async () => {
      const entry = await containerStatus(capturer, id);
      return { state: entry?.state, lines: entry?.lines ?? 0, rotations: entry?.rotations ?? 0, received: receiver.lines };
    },
    until: (seen) => seen.state === 'stopped' && seen.received >= seen.lines,
    stallMs: 120_000,
    intervalMs: 500,
  });
  row.stream_rotations = drained.rotations;
  ctx.note(`throughput: reading the daemon's own lines (without follow) for the exactness check`);
  const oracle = ctx.daemon === 'podman' ? await podmanLines(ctx.dockerHost, id) : await daemonLines(ctx.docker, id);
  const delivered = [...receiver.records()].filter((record) => record.containerId === id);
  const report = compareWithOracle(oracle, delivered);
  row.exact_daemon_lines = report.expected;
  row.exact_delivered_lines = report.delivered;
  row.exact_lost = report.lost;
  row.exact_duplicated = report.duplicated;
  row.exact_out_of_order = report.outOfOrder;
  row.exact_other_stamp = report.differing;
  row.exact_first_difference = report.firstDifference;
  ctx.note(`throughput: exactness: ${report.firstDifference === null ? `the receiver got exactly the daemon's ${report.expected} lines, in order` : `${report.lost} lost, ${report.duplicated} duplicated, ${report.outOfOrder} out of order, ${report.differing} with another stamp; first difference at ${report.firstDifference}`}`);
  return row;
}

/** One capturer run over the whole log, with the given route. */
async function capturerRow(
  ctx: ScenarioContext,
  route: CapturerRoute,
  lines: number,
  ceiling: { linesPerS: number; cpuUsPerLine: number; rawCpuUsPerLine: number },
  dockerdCpuUs: () => number,
  capturerRoot: string | undefined,
  memorySampleMs: number | undefined,
  end: RowEnd,
): Promise<ScenarioResult> {
  const row: ScenarioResult = { scenario: 'throughput' };
  const receiver = await startCountingReceiver({ keepRecords: end.exact });
  try {
    const spawnedAt = performance.now();
    const capturer = await startCapturer({ runId: ctx.runId, dockerHost: ctx.dockerHost, sinkUrl: receiver.url, cpuProfDir: ctx.cpuProfDir, config: withOverrides(ctx, route.config(ctx)), ...(capturerRoot !== undefined ? { repoRoot: capturerRoot } : {}) });
    try {
      // The window starts when the capturer is ready (start-up is not capture work). Lines it
      // delivered before then are taken out of the count.
      const readyAt = performance.now();
      const cpuAtReady = capturer.cpuUs();
      const dockerdAtReady = dockerdCpuUs();
      const linesAtReady = receiver.lines;
      row.load_avg_1m_at_ready = round(loadavg()[0] ?? Number.NaN, 2);
      const sampler = memorySampleMs !== undefined ? sampleCapturer(capturer, memorySampleMs) : undefined;
      row.capturer_startup_s = round((readyAt - spawnedAt) / 1000, 2);
      ctx.note(`throughput: ${route.name} route: capturer ready after ${row.capturer_startup_s} s (${linesAtReady} lines already delivered)`);
      const positions = end.exact ? samplePositions(capturer, end.container.id) : undefined;
      await receiver.waitForLines(lines, { timeoutMs: 20 * 60_000, stallMs: 120_000 }).catch((error: unknown) => {
        ctx.note(`throughput: the capturer's stderr (tail):\n${capturer.stderrTail()}`);
        throw error;
      }).finally(async () => {
        positions?.stop();
        await sampler?.stop();
      });
      const doneAt = receiver.lastAt;
      const cpuUs = capturer.cpuUs() - cpuAtReady;
      const dockerdSpent = dockerdCpuUs() - dockerdAtReady;
      const windowLines = receiver.lines - linesAtReady;
      const capturerLinesPerS = windowLines / ((doneAt - readyAt) / 1000);
      row.capturer_lines_per_s = Math.round(capturerLinesPerS);
      row.capturer_wall_s = round((doneAt - readyAt) / 1000, 2);
      row.capturer_wall_s_from_spawn = round((doneAt - spawnedAt) / 1000, 2);
      row.throughput_ratio = round(capturerLinesPerS / ceiling.linesPerS, 3);
      row.cpu_us_per_line = round(cpuUs / windowLines, 2);
      row.cpu_ratio = round(cpuUs / windowLines / ceiling.cpuUsPerLine, 2);
      // Against the one-pass frame-only reader (raw socket): what node:http's per-chunk events cost on top.
      row.raw_cpu_ratio = round(cpuUs / windowLines / ceiling.rawCpuUsPerLine, 2);
      row.dockerd_cpu_us_per_line = round(dockerdSpent / windowLines, 2);
      row.host_cpu_us_per_line = round((cpuUs + dockerdSpent) / windowLines, 2);
      row.peak_rss_mib = round(capturer.memory().peakRssMiB, 1);
      if (sampler !== undefined) {
        row.peak_heap_used_mib = toMiB(sampler.peakHeapUsedBytes);
        row.peak_heap_total_mib = toMiB(sampler.peakHeapTotalBytes);
        row.peak_external_mib = toMiB(sampler.peakExternalBytes);
        row.peak_buffer_mib = toMiB(sampler.peakBufferBytes);
      }
      row.lines_received = receiver.lines;
      row.requests = receiver.requests;
      row.mib_shipped = round(receiver.bytes / 1024 / 1024, 1);
      row.load_avg_1m_at_done = round(loadavg()[0] ?? Number.NaN, 2);
      await end.stopContainer();
      if (positions) {
        row.max_position_skip = positions.maxSkip;
        if (positions.reopenedAt.length > 0) ctx.note(`throughput: positions seen after each rotation (since, skip):\n${positions.reopenedAt.join('\n')}`);
      }
      if (end.exact) Object.assign(row, await exactnessRow(ctx, capturer, receiver, end.container));
    } finally {
      row.capturer_exit_code = await capturer.stop();
    }
  } catch (error) {
    row.capturer_error = errorSummary(error);
    ctx.note(`throughput: ${route.name} route: capturer failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await receiver.stop();
  }
  return row;
}

/** docker-loghose's row: from its first line to its last, while the container wrote. */
async function loghoseRow(ctx: ScenarioContext, loghose: LoghosePeer, lines: number, dockerdCpuUs: () => number): Promise<ScenarioResult> {
  const row: ScenarioResult = { scenario: 'throughput', loghose_version: loghose.version };
  try {
    // The container has exited; what it wrote is in dockerd's attach buffers or on its way.
    await loghose.waitForLines(lines, 10_000);
  } catch (error) {
    row.loghose_error = errorSummary(error);
    ctx.note(`throughput: docker-loghose: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (loghose.lines === 0) return row;
  const cpuUs = loghose.cpuUs() - loghose.cpuAtFirstUs;
  // dockerd from the first line to the last (the container has exited since: dockerd is idle).
  const dockerdUs = dockerdCpuUs() - loghose.sampleAtFirst;
  const seconds = (loghose.lastAt - loghose.firstAt) / 1000;
  row.loghose_lines = loghose.lines;
  row.loghose_lines_missed = lines - loghose.lines;
  // Which lines: the writer numbers them from 1 (`%09d`), so the first and last seen tell where.
  row.loghose_first_line_number = lineNumberIn(loghose.firstLine);
  row.loghose_last_line_number = lineNumberIn(loghose.lastLine);
  row.loghose_lines_per_s = Math.round(loghose.lines / seconds);
  row.loghose_cpu_us_per_line = round(cpuUs / loghose.lines, 2);
  row.loghose_dockerd_cpu_us_per_line_during_write = round(dockerdUs / loghose.lines, 2);
  row.loghose_host_cpu_us_per_line_during_write = round((cpuUs + dockerdUs) / loghose.lines, 2);
  return row;
}

/** The writer's line number in one of docker-loghose's NDJSON records (`"line":"000000001 xxx"`), or null. */
function lineNumberIn(record: string): number | null {
  const match = /"line":"(\d{9}) /.exec(record);
  return match ? Number(match[1]) : null;
}

function prefixed(prefix: string, row: ScenarioResult): Record<string, ScenarioResult[string]> {
  const out: Record<string, ScenarioResult[string]> = {};
  for (const [key, value] of Object.entries(row)) if (key !== 'scenario') out[`${prefix}${key}`] = value;
  return out;
}

/** The readers side by side, for the progress notes (the JSON has every figure). */
function readerTable(result: ScenarioResult): string {
  type Cell = ScenarioResult[string] | undefined;
  const rows: Array<[string, Cell, Cell, Cell, Cell]> = [
    ['frame-only reader (API)', result.ceiling_lines_per_s, result.ceiling_cpu_us_per_line, result.ceiling_dockerd_cpu_us_per_line, result.ceiling_host_cpu_us_per_line],
    ['frame-only reader, raw socket (one-pass chunked + frames)', result.raw_ceiling_lines_per_s, result.raw_ceiling_cpu_us_per_line, result.raw_ceiling_dockerd_cpu_us_per_line, result.raw_ceiling_host_cpu_us_per_line],
  ];
  for (const route of CAPTURER_ROUTES) {
    const prefix = route.name === 'api' ? '' : `${route.name}_`;
    if (result[`${prefix}capturer_lines_per_s`] === undefined) continue;
    rows.push([`log-capturer, ${route.name} route`, result[`${prefix}capturer_lines_per_s`], result[`${prefix}cpu_us_per_line`], result[`${prefix}dockerd_cpu_us_per_line`], result[`${prefix}host_cpu_us_per_line`]]);
  }
  if (result.loghose_lines !== undefined) {
    rows.push([`docker-loghose ${String(result.loghose_version)} (attach, while writing)`, result.loghose_lines_per_s, result.loghose_cpu_us_per_line, result.loghose_dockerd_cpu_us_per_line_during_write, result.loghose_host_cpu_us_per_line_during_write]);
  }
  return rows.map((cells) => cells.map((cell) => String(cell ?? '-')).join(' | ')).join('\n');
}
