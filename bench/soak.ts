// npm run soak [-- --minutes 3] [--json]
// Leak and loss soak: 50 containers logging steadily, every stream rotated every 100 ms for the
// whole run, and the (private) dockerd restarted in the middle. At the end: rotations, handles,
// fds, sockets and heap (after GC) at start and end, and every line the daemon kept (the oracle,
// daemonLines) checked against what the receiver got: lost and duplicated.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type Docker from 'dockerode';
import { daemonLines, startPrivateDaemon, testDocker } from '../test/support/docker.js';
import type { PrivateDaemon } from '../test/support/docker.js';
import { createBenchContainers, daemonVersion } from './bench-docker.js';
import { buildCapturer, freePort, startCapturer } from './capturer-process.js';
import type { CapturerProcess } from './capturer-process.js';
import { recordIdentity, startCountingReceiver } from './counting-receiver.js';
import type { CountingReceiver } from './counting-receiver.js';
import { heapUsedAfterGc } from './inspector-heap.js';
import { errorSummary, round, toMiB } from './scenario.js';
import type { Figure } from './scenario.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    containers: { type: 'string', default: '50' },
    rate: { type: 'string', default: '10' },
    rotation: { type: 'string', default: '100ms' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log('usage: npm run soak -- [--minutes N (3)] [--containers N (50)] [--rate LINES_PER_S (10)] [--rotation DURATION (100ms)] [--json]');
  process.exit(0);
}
const minutes = Number(values.minutes);
const containerCount = Number(values.containers);
const rate = Number(values.rate);
if (!(minutes > 0) || !Number.isInteger(containerCount) || containerCount <= 0 || !Number.isInteger(rate) || rate <= 0) {
  console.error('soak: --minutes must be > 0, --containers and --rate positive integers');
  process.exit(2);
}

const note = (message: string): void => console.error(`soak: ${message}`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const runId = `soak-${randomBytes(3).toString('hex')}`;
buildCapturer();

interface Snapshot {
  rotations: number;
  activeHandles: number;
  openFds: number;
  fds: number;
  sockets: number;
  heapUsedMetric: number;
  heapUsedAfterGc: number | null;
  streamsActive: number;
}

async function snapshot(capturer: CapturerProcess, inspectPort: number): Promise<Snapshot> {
  let heapAfterGc: number | null = null;
  try {
    heapAfterGc = await heapUsedAfterGc(inspectPort);
  } catch (error) {
    note(`heap after GC not available: ${errorSummary(error)}`);
  }
  const metrics = await capturer.metrics();
  const proc = capturer.fds();
  return {
    rotations: metrics.sum('log_capturer_container_stream_rotations_total'),
    activeHandles: metrics.sum('log_capturer_nodejs_active_handles_total'),
    openFds: metrics.sum('log_capturer_process_open_fds'),
    fds: proc.fds,
    sockets: proc.sockets,
    heapUsedMetric: metrics.sum('log_capturer_nodejs_heap_size_used_bytes'),
    heapUsedAfterGc: heapAfterGc,
    streamsActive: metrics.sum('log_capturer_container_streams_active'),
  };
}

/** A steady writer: `perSecond` lines per second in 5 small bursts (few forks on a 2-core box). */
function soakScript(tag: string, perSecond: number): string {
  const perBurst = Math.max(1, Math.round(perSecond / 5));
  return `n=0; while true; do l=0; while [ $l -lt ${perBurst} ]; do echo "${tag} n$n ${'x'.repeat(60)}"; n=$((n+1)); l=$((l+1)); done; sleep 0.2; done`;
}

async function ensureRunning(docker: Docker, containers: Docker.Container[]): Promise<number> {
  let started = 0;
  for (const container of containers) {
    const info = await container.inspect();
    if (!info.State.Running) {
      await container.start();
      started += 1;
    }
  }
  return started;
}

async function waitForDrain(receiver: CountingReceiver, expected: Set<string>, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let missing = expected.size;
  while (performance.now() < deadline) {
    missing = 0;
    for (const identity of expected) if (!receiver.identities.has(identity)) missing += 1;
    if (missing === 0) return 0;
    await sleep(1000);
  }
  return missing;
}

const result: Record<string, Figure> = { scenario: 'soak', minutes, containers: containerCount, lines_per_s_each: rate, rotation_interval: values.rotation ?? '100ms' };
let daemon: PrivateDaemon | undefined;
let capturer: CapturerProcess | undefined;
let receiver: CountingReceiver | undefined;
let exitCode = 0;
try {
  note('starting a private dockerd (never the shared one)');
  daemon = await startPrivateDaemon('soak');
  const docker = testDocker(daemon.host);
  result.dockerd = await daemonVersion(docker);
  result.node = process.version;
  receiver = await startCountingReceiver({ keepIdentities: true });
  const inspectPort = await freePort();
  capturer = await startCapturer({
    runId,
    dockerHost: daemon.host,
    sinkUrl: receiver.url,
    inspectPort,
    config: { capture: { rotation_interval: values.rotation ?? '100ms', max_streams: Math.max(100, containerCount * 2) } },
  });
  note(`capturer pid ${capturer.pid}; starting ${containerCount} containers`);
  const containers = await createBenchContainers(
    docker,
    Array.from({ length: containerCount }, (_, i) => ({ runId, name: `lct-${runId}-${i}`, script: soakScript(`c${i}`, rate) })),
  );
  const totalMs = minutes * 60_000;
  const warmupMs = Math.min(15_000, totalMs / 6);
  await sleep(warmupMs);
  const start = await snapshot(capturer, inspectPort);
  note(`start: ${JSON.stringify(start)}`);

  await sleep(totalMs / 2 - warmupMs);
  note('restarting the private dockerd');
  await daemon.restart();
  const restarted = await ensureRunning(docker, containers);
  note(`dockerd is back; started ${restarted} containers again`);
  result.daemon_restarted = true;
  await sleep(totalMs / 2);

  const end = await snapshot(capturer, inspectPort);
  note(`end: ${JSON.stringify(end)}`);
  note('stopping the containers and waiting for the capturer to drain');
  await Promise.all(containers.map((container) => container.kill().catch(() => undefined)));

  const expected = new Set<string>();
  let expectedLines = 0;
  for (const container of containers) {
    for (const line of await daemonLines(docker, container.id)) {
      expected.add(recordIdentity(container.id, line.timestamp, line.message.toString('utf8')));
      expectedLines += 1;
    }
  }
  const missing = await waitForDrain(receiver, expected, 180_000);
  let duplicated = 0;
  let unexpected = 0;
  for (const [identity, times] of receiver.identities) {
    if (times > 1) duplicated += times - 1;
    if (!expected.has(identity)) unexpected += times;
  }
  const drained = await snapshot(capturer, inspectPort);

  Object.assign(result, {
    rotations: end.rotations,
    rotations_during_measure: end.rotations - start.rotations,
    streams_active_start: start.streamsActive,
    streams_active_end: end.streamsActive,
    active_handles_start: start.activeHandles,
    active_handles_end: end.activeHandles,
    open_fds_start: start.openFds,
    open_fds_end: end.openFds,
    proc_fds_start: start.fds,
    proc_fds_end: end.fds,
    sockets_start: start.sockets,
    sockets_end: end.sockets,
    heap_used_after_gc_start_mib: start.heapUsedAfterGc === null ? null : toMiB(start.heapUsedAfterGc),
    heap_used_after_gc_end_mib: end.heapUsedAfterGc === null ? null : toMiB(end.heapUsedAfterGc),
    heap_growth_mib: start.heapUsedAfterGc === null || end.heapUsedAfterGc === null ? null : round((end.heapUsedAfterGc - start.heapUsedAfterGc) / 1024 / 1024, 2),
    heap_used_metric_start_mib: toMiB(start.heapUsedMetric),
    heap_used_metric_end_mib: toMiB(end.heapUsedMetric),
    idle_after_drain_handles: drained.activeHandles,
    idle_after_drain_fds: drained.fds,
    idle_after_drain_sockets: drained.sockets,
    idle_after_drain_heap_after_gc_mib: drained.heapUsedAfterGc === null ? null : toMiB(drained.heapUsedAfterGc),
    lines_expected: expectedLines,
    distinct_expected: expected.size,
    lines_received: receiver.lines,
    lost: missing,
    duplicated,
    unexpected,
    peak_rss_mib: round(capturer.memory().peakRssMiB, 1),
  });
  if (missing > 0 || duplicated > 0) exitCode = 1;
} catch (error) {
  result.error = errorSummary(error);
  note(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  if (capturer) note(`capturer stderr tail:\n${capturer.stderrTail()}`);
  exitCode = 1;
} finally {
  if (capturer) result.capturer_exit_code = await capturer.stop();
  if (receiver) await receiver.stop();
  if (daemon) {
    note('stopping the private dockerd and its containers');
    await daemon.stop().catch((error: unknown) => note(`stopping the private dockerd: ${errorSummary(error)}`));
    try {
      rmSync(daemon.dir, { recursive: true, force: true });
    } catch (error) {
      note(`could not remove ${daemon.dir}: ${errorSummary(error)}`);
    }
  }
}
if (values.json) console.log(JSON.stringify(result));
else for (const [key, value] of Object.entries(result)) console.log(`${key.padEnd(36)} ${String(value)}`);
process.exit(exitCode);
