// npm run bench [-- --scenario throughput|fan-in|slow-sink ...] [--json] [--cpu-prof DIR]
// Runs the scenarios against the private daemon (started if needed) and prints, per scenario, a
// table (default) or one JSON object per line (--json). Progress goes to stderr.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { testDocker } from '../test/support/docker.js';
import { daemonVersion, ensureDaemon, ensurePodman, removeBenchContainers } from './bench-docker.js';
import type { BenchDaemonKind } from './bench-docker.js';
import { formatProfile, summarizeProfileDir } from './cpu-profile-summary.js';
import { runFanIn } from './fan-in.js';
import { parseConfigOverrides, round } from './scenario.js';
import type { ScenarioContext, ScenarioResult } from './scenario.js';
import { runSlowSink } from './slow-sink.js';
import { runThroughput } from './throughput.js';
import { runScaleGrowth, runScaleMany, runScaleReopen } from './scale.js';
import type { ScaleOptions } from './scale.js';
import { parseSize } from './size.js';
import { buildCapturer } from './capturer-process.js';

/** `scale` is long (hundreds of containers, logs of hundreds of MB): it runs only when asked for. */
const SCENARIOS = ['throughput', 'fan-in', 'slow-sink', 'scale'] as const;
type ScenarioName = (typeof SCENARIOS)[number];
const DEFAULT_SCENARIOS: readonly ScenarioName[] = ['throughput', 'fan-in', 'slow-sink'];

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    lines: { type: 'string', default: '1000000' },
    'line-bytes': { type: 'string', default: '100' },
    'ceiling-runs': { type: 'string', default: '2' },
    'no-loghose': { type: 'boolean', default: false },
    'keep-running': { type: 'boolean', default: false },
    exact: { type: 'boolean', default: false },
    'write-rate': { type: 'string' },
    daemon: { type: 'string', default: 'docker' },
    route: { type: 'string', multiple: true },
    'sample-memory-ms': { type: 'string' },
    'fan-containers': { type: 'string', default: '200' },
    'fan-rate': { type: 'string', default: '50' },
    'fan-seconds': { type: 'string', default: '30' },
    'fan-max-streams': { type: 'string', default: '50' },
    'fan-rotation': { type: 'string', default: '250ms' },
    'slow-lines': { type: 'string', default: '60000' },
    'slow-delay-ms': { type: 'string', default: '2000' },
    'slow-buffer': { type: 'string', default: '8MiB' },
    'scale-log-mb': { type: 'string', default: '300' },
    'scale-reopen-seconds': { type: 'string', default: '60' },
    'scale-containers': { type: 'string', default: '500' },
    'scale-big-logs': { type: 'string', default: '5' },
    'scale-big-log-mb': { type: 'string', default: '100' },
    'scale-seconds': { type: 'string', default: '120' },
    'scale-max-streams': { type: 'string', default: '50' },
    'scale-growth': { type: 'string', default: '10,100,500,1000' },
    'scale-parts': { type: 'string', default: 'reopen,many,growth' },
    'capturer-root': { type: 'string' },
    set: { type: 'string', multiple: true },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (values.help) {
  console.log(`usage: npm run bench -- [--scenario ${SCENARIOS.join('|')}]... [--json] [--cpu-prof DIR] [--set section.key=value]...
  --set:      a capturer config override for every scenario, e.g. --set sink.batch.max_events=5000
  --daemon docker|podman (docker): podman runs against PODMAN_HOST if it answers, else the private
              service of test/support/podman-service.sh (started if needed); throughput only
  throughput: --lines N (1000000) --line-bytes N (100) --ceiling-runs N (2)
              --no-loghose (do not run docker-loghose on the container while it writes)
              --keep-running (the container runs on, idle, until the capturer delivered every line:
                it is followed, its stream rotated at capture.rotation_interval)
              --write-rate LINES_PER_S (the container writes at most this fast: more seconds, fewer lines per stamp)
              --exact (compare what the receiver got with the daemon's lines without follow:
                lost, duplicated, out of order; keeps every record in memory)
              --route api|file (repeatable; default api): file reads the json-file log from the private daemon's <data-root>/containers
              --capturer-root DIR (also here: the capturer rows run that checkout's dist/)
              --sample-memory-ms MS (scrape the capturer's /metrics every MS: peak heap used/total, external, buffer)
  fan-in:     --fan-containers N (200) --fan-rate LINES_PER_S (50) --fan-seconds N (30)
              --fan-max-streams N (50) --fan-rotation DURATION (250ms)
  slow-sink:  --slow-lines N (60000) --slow-delay-ms MS (2000) --slow-buffer SIZE (8MiB)
  scale:      --scale-parts reopen,many,growth --scale-log-mb N (300) --scale-reopen-seconds N (60)
              --scale-containers N (500) --scale-big-logs N (5) --scale-big-log-mb N (100)
              --scale-seconds N (120) --scale-max-streams N (50) --scale-growth 10,100,500,1000
              --capturer-root DIR (run another checkout's dist/, e.g. an earlier commit)`);
  process.exit(0);
}

function integer(name: keyof typeof values): number {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got ${String(values[name])}`);
  return value;
}

const chosen: ScenarioName[] = [];
for (const name of values.scenario ?? DEFAULT_SCENARIOS) {
  if (!(SCENARIOS as readonly string[]).includes(name)) {
    console.error(`unknown scenario ${name}; choose from ${SCENARIOS.join(', ')}`);
    process.exit(2);
  }
  chosen.push(name as ScenarioName);
}

function printTable(result: ScenarioResult): void {
  const width = Math.max(...Object.keys(result).map((key) => key.length));
  console.log(`\n== ${result.scenario}`);
  for (const [key, value] of Object.entries(result)) if (key !== 'scenario') console.log(`  ${key.padEnd(width)}  ${String(value)}`);
}

const daemonKind = values.daemon as BenchDaemonKind;
if (daemonKind !== 'docker' && daemonKind !== 'podman') {
  console.error(`--daemon must be docker or podman, got ${String(values.daemon)}`);
  process.exit(2);
}
if (daemonKind === 'podman' && chosen.some((name) => name !== 'throughput')) {
  console.error('--daemon podman: only the throughput scenario runs on Podman so far (the others create containers with Docker\'s settings)');
  process.exit(2);
}

const configOverrides = parseConfigOverrides(values.set ?? []);
buildCapturer();
const dockerHost = daemonKind === 'podman' ? await ensurePodman() : await ensureDaemon();
const docker = testDocker(dockerHost);
const machine = { nproc: (await import('node:os')).availableParallelism(), node: process.version, dockerd: await daemonVersion(docker) };
console.error(`bench: ${daemonKind === 'podman' ? 'PODMAN_HOST' : 'DOCKER_HOST'}=${dockerHost} nproc=${machine.nproc} node=${machine.node} ${daemonKind === 'podman' ? 'daemon' : 'dockerd'}=${machine.dockerd}`);

const profileRoot = values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined;
if (profileRoot) mkdirSync(profileRoot, { recursive: true });

let exitCode = 0;
let current: string | undefined;
const interrupt = (): void => {
  console.error('bench: interrupted; removing this run\'s containers');
  const cleanup = current ? removeBenchContainers(docker, current) : Promise.resolve(0);
  void cleanup.finally(() => process.exit(130));
};
process.once('SIGINT', interrupt);
process.once('SIGTERM', interrupt);

for (const name of chosen) {
  const runId = `${name}-${randomBytes(3).toString('hex')}`;
  current = runId;
  const cpuProfDir = profileRoot ? mkdtempSync(join(profileRoot, `${name}-`)) : undefined;
  const ctx: ScenarioContext = { docker, dockerHost, daemon: daemonKind, runId, cpuProfDir, configOverrides, note: (message) => console.error(`bench: ${message}`) };
  let result: ScenarioResult;
  try {
    if (name === 'throughput') result = await runThroughput(ctx, { lines: integer('lines'), lineBytes: integer('line-bytes'), ceilingRuns: integer('ceiling-runs'), loghose: !values['no-loghose'], keepRunning: values['keep-running'] === true, exact: values.exact === true, ...(values['write-rate'] !== undefined ? { writeRate: integer('write-rate') } : {}), ...(values.route ? { routes: values.route } : {}), ...(values['capturer-root'] ? { capturerRoot: resolve(values['capturer-root']) } : {}), ...(values['sample-memory-ms'] !== undefined ? { memorySampleMs: integer('sample-memory-ms') } : {}) });
    else if (name === 'fan-in')
      result = await runFanIn(ctx, {
        containers: integer('fan-containers'),
        linesPerSecond: integer('fan-rate'),
        seconds: integer('fan-seconds'),
        lineBytes: integer('line-bytes'),
        maxStreams: integer('fan-max-streams'),
        rotationInterval: values['fan-rotation'] ?? '250ms',
      });
    else if (name === 'slow-sink') result = await runSlowSink(ctx, { lines: integer('slow-lines'), lineBytes: integer('line-bytes'), replyDelayMs: integer('slow-delay-ms'), bufferMaxBytes: parseSize(values['slow-buffer'] ?? '8MiB') });
    else {
      // Several results: the last is returned, the others are printed as they come.
      const scale: ScaleOptions = {
        reopenLogMb: integer('scale-log-mb'), reopenSeconds: integer('scale-reopen-seconds'), containers: integer('scale-containers'),
        writers: Math.round(integer('scale-containers') / 10), bigLogs: integer('scale-big-logs'), bigLogMb: integer('scale-big-log-mb'),
        seconds: integer('scale-seconds'), maxStreams: integer('scale-max-streams'),
        growth: (values['scale-growth'] ?? '').split(',').filter(Boolean).map(Number),
        ...(values['capturer-root'] ? { capturerRoot: resolve(values['capturer-root']) } : {}),
      };
      const parts = (values['scale-parts'] ?? '').split(',');
      const results: ScenarioResult[] = [];
      if (parts.includes('reopen')) results.push(await runScaleReopen(ctx, scale));
      if (parts.includes('many')) {
        await removeBenchContainers(docker, runId);
        results.push(await runScaleMany(ctx, scale));
      }
      if (parts.includes('growth')) for (const count of scale.growth) results.push(await runScaleGrowth(ctx, scale, count, () => removeBenchContainers(docker, runId)));
      for (const part of results.slice(0, -1)) {
        const stamped = { ...part, load_avg_1m: round(loadavg()[0] ?? Number.NaN, 2) };
        if (values.json) console.log(JSON.stringify(stamped));
        else printTable(stamped);
      }
      result = results.at(-1) ?? { scenario: 'scale', error: 'no part chosen (--scale-parts)' };
    }
  } catch (error) {
    result = { scenario: name, error: error instanceof Error ? error.message : String(error) };
  } finally {
    const removed = await removeBenchContainers(docker, runId);
    ctx.note(`${name}: removed ${removed} containers`);
  }
  result = { ...result, nproc: machine.nproc, node: machine.node, [daemonKind === 'podman' ? 'podman' : 'dockerd']: machine.dockerd, load_avg_1m: round(loadavg()[0] ?? Number.NaN, 2) };
  if (values.set?.length) result.config_overrides = values.set.join(' ');
  if (result.error !== undefined || result.capturer_error !== undefined) exitCode = 1;
  if (values.json) console.log(JSON.stringify(result));
  else printTable(result);
  if (cpuProfDir) {
    const summary = summarizeProfileDir(cpuProfDir);
    console.error(summary ? `bench: ${name}: ${formatProfile(summary)}\n(profile in ${cpuProfDir})` : `bench: ${name}: no CPU profile was written (did the capturer exit cleanly?)`);
  }
}
process.exit(exitCode);
