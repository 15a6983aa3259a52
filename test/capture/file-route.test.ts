// The file route in capture, against the real daemon (whose data-root is on this machine, so its
// containers directory is readable here): docker.containers_dir set, capture.route auto.
//   - the oracle: what capture hands on equals the API without follow, line for line, with the
//     file route chosen for every container (status and the per-route line counter say so);
//   - json-file's own rotation under load (max-size=1m, max-file=3): every number the container
//     wrote arrives once, in order, all of it by the file route; with compress=true (gzipped
//     rotated files, which this route does not read) on dockerd < 23 all of it through the API,
//     said once;
//   - a restart resumes at the byte offset the checkpoint holds: nothing repeated, nothing lost;
//   - one container switched between routes across restarts (file -> api -> file) and mid-read
//     (its file disappears under the mount): nothing repeated, nothing lost;
//   - an unreadable file falls back to the API with one log line naming the path and the reason.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { CapturerConfig } from '../../src/config/capturer-config.js';
import type { CapturedLine } from '../../src/capture/captured-line.js';
import { profileOf } from '../../src/capture/daemon-profile.js';
import type { Position } from '../../src/capture/position.js';
import { createLogger } from '../../src/utils/logger.js';
import { TEST_IMAGE, TEST_LABEL, daemonLines, removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { SeqContainer } from '../support/seq-container.js';
import { waitFor } from '../support/wait-for.js';
import { CollectingConsumer, MemoryPositions, RUN_LABEL, assertMatchesDaemon, captureConfig, startEngine, waitUntilDrained } from './capture-harness.js';
import type { EngineUnderTest } from './capture-harness.js';

async function containersDirOf(docker: Docker): Promise<string> {
  const info = (await docker.info()) as { DockerRootDir?: string };
  assert.ok(info.DockerRootDir, 'the daemon reports its data-root');
  return join(info.DockerRootDir, 'containers');
}

function fileConfig(run: string, containersDir: string | undefined, capture: Partial<CapturerConfig['capture']> = {}): CapturerConfig {
  const config = captureConfig(run, capture);
  if (containersDir !== undefined) config.docker.containersDir = containersDir;
  return config;
}

/** A consumer that also keeps the last position per container (what an acknowledged checkpoint holds). */
class PositionKeeper extends CollectingConsumer {
  readonly positions = new Map<string, Position>();
  override accept(captured: CapturedLine): boolean {
    this.positions.set(captured.container.id, captured.position);
    return super.accept(captured);
  }
}

function logSink(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _encoding, done) { chunks.push(chunk.toString()); done(); } });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

async function metricValue(under: EngineUnderTest, name: string, labels: string): Promise<number> {
  const text = await under.metrics.metrics();
  const match = new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

const SCENARIOS: Array<{ name: string; script: string; tty?: boolean }> = [
  { name: 'stdout-and-stderr', script: 'i=0; while [ $i -lt 1500 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); [ $((i % 300)) -eq 0 ] && sleep 0.2; done' },
  { name: 'long-lines', script: 'for i in 1 2 3 4 5 6 7 8; do head -c 45000 /dev/zero | tr "\\0" a; echo " end $i"; echo "short $i"; head -c 41000 /dev/zero | tr "\\0" b >&2; echo " end $i" >&2; sleep 0.1; done' },
  { name: 'tty-crlf', tty: true, script: 'for i in 1 2 3 4 5; do seq 1 400; printf "carriage\\rinside\\n"; sleep 0.1; done' },
  { name: 'interleaved-partials', script: '(for i in $(seq 1 8); do head -c 20000 /dev/zero | tr "\\0" L; sleep 0.3; echo " long $i"; done) >&2 & for i in $(seq 1 1000); do echo "short $i"; usleep 2000; done; wait' },
  { name: 'binary', script: 'for i in 1 2 3 4 5; do printf "bad \\377\\376 utf8 \\000 nul \\001\\002\\033[0m\\n"; dd if=/dev/urandom bs=1024 count=48 2>/dev/null; echo; sleep 0.1; done' },
];

/** Waits until the consumer holds `count` lines of `id` (a wait that stalls fails). */
async function waitForLines(consumer: CollectingConsumer, id: string, count: number): Promise<void> {
  await waitFor(`${count} lines of ${id.slice(0, 12)}`, {
    watch: () => consumer.of(id).length,
    until: (n) => n >= count,
  });
}

function numbersOf(consumer: CollectingConsumer, id: string): number[] {
  return consumer.of(id).map((line) => Number(line.message.toString()));
}

function assertContiguous(numbers: number[], from: number, to: number, what: string): void {
  for (let i = 0; i < numbers.length; i += 1) {
    if (numbers[i] !== from + i) assert.fail(`${what}: expected ${from + i} at index ${i}, got ${numbers[i]} (${(numbers[i] ?? 0) < from + i ? 'a repeat' : 'a gap'})`);
  }
  assert.equal(numbers.length, to - from + 1, `${what}: ${numbers.length} numbers, ${from}..${to} expected`);
}

describe('capture file route (real daemon)', () => {
  it('hands on exactly the API\'s lines, every container by the file route, with rotation every 100 ms', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('file-oracle');
    const under = await startEngine(fileConfig(run, await containersDirOf(docker), { rotationIntervalMs: 100 }));
    const containers: Docker.Container[] = [];
    try {
      for (const scenario of SCENARIOS) containers.push(await runContainer(docker, { name: uniqueName(scenario.name), script: scenario.script, tty: scenario.tty ?? false, labels: { [RUN_LABEL]: run } }));
      for (const container of containers) assert.equal(await waitForExit(container), 0);
      await waitUntilDrained(under.engine, containers.map((c) => c.id));
      const status = under.engine.status();
      assert.equal(status.containersDir?.readable, true);
      let total = 0;
      for (const [i, container] of containers.entries()) {
        const entry = status.containers.find((c) => c.id === container.id);
        assert.equal(entry?.route, 'file', `${SCENARIOS[i]?.name} was read by the file route`);
        const count = await assertMatchesDaemon(docker, under.consumer, container.id, SCENARIOS[i]?.name);
        assert.ok(count > 10, `${SCENARIOS[i]?.name} produced only ${count} lines`);
        total += count;
      }
      assert.ok(status.containers.some((c) => c.rotations > 0), 'no stream was rotated during the run');
      // Every line counted by the route that read it. A container seen before it started has no
      // LogPath yet, so its first read may go through the API (the next one takes the file).
      const byFile = await metricValue(under, 'log_capturer_lines_by_route_total', 'route="file"');
      const byApi = await metricValue(under, 'log_capturer_lines_by_route_total', 'route="api"');
      assert.equal(byFile + byApi, total, `file ${byFile} + api ${byApi}`);
      assert.ok(byFile > 0);
    } finally {
      await under.close();
      await Promise.all(containers.map((c) => removeQuietly(c)));
    }
  });

  for (const [compress, burstLines] of [[false, 20_000], [true, 9_000], [true, 20_000]] as const) {
    it(`follows json-file's rotation under load (max-size=1m, max-file=3${compress ? ', compress=true' : ''}, bursts of ${burstLines} lines)`, async (t) => {
      const docker = await requireDocker(t);
      if (!docker) return;
      const run = uniqueName('file-rotate');
      const under = await startEngine(fileConfig(run, await containersDirOf(docker)), process.env.LC_DEBUG ? { logger: createLogger('info', 2) } : {});
      const seq = await SeqContainer.start(docker, { 'max-size': '1m', 'max-file': '3', ...(compress ? { compress: 'true' } : {}) }, { [RUN_LABEL]: run });
      try {
        // Bursts of ~1.5 MB (every one rotates the live file once or twice) or ~0.7 MB (once at
        // most), the next released once capture has read it all. With compress=true the next
        // rotated file is gzipped, which this route does not read: before Docker 23 the container
        // is read through the API from the start (DaemonProfile.gzipReadsExact).
        for (let burst = 0; burst < 160_000 / burstLines; burst += 1) {
          seq.release(burstLines);
          await waitForLines(under.consumer, seq.id, seq.written);
        }
        await seq.stop();
        await waitUntilDrained(under.engine, [seq.id]);
        assertContiguous(numbersOf(under.consumer, seq.id), 1, seq.written, 'numbers captured');
        const entry = under.engine.status().containers.find((c) => c.id === seq.id);
        if (compress && !profileOf(await under.reader.version()).gzipReadsExact) {
          assert.equal(entry?.route, 'api');
          assert.match(entry?.fileRouteError ?? '', /^JSON_FILE_COMPRESSED: its json-file log uses compress=true/);
        } else if (compress) {
          // Docker 23+: the file route until it falls behind into a gzipped file, then the API;
          // every number once (above) is what counts.
          assert.ok(entry?.route === 'file' || /^JSON_FILE_COMPRESSED/.test(entry?.fileRouteError ?? ''), `route ${String(entry?.route)}: ${String(entry?.fileRouteError)}`);
        } else {
          assert.equal(entry?.route, 'file');
          assert.equal(entry?.fileRouteError, undefined);
        }
        assert.ok(seq.logFiles().length >= 2, `json-file rotated: ${seq.logFiles().join(', ')}`);
        // What the daemon still has (the last files) is the tail of what we captured, line for line.
        const expected = await daemonLines(docker, seq.id);
        const captured = under.consumer.of(seq.id).slice(-expected.length);
        assert.deepEqual(captured.map((l) => l.message.toString()), expected.map((l) => l.message.toString()));
        if (entry?.route === 'file') assert.equal(await metricValue(under, 'log_capturer_lines_by_route_total', 'route="api"'), 0);
      } finally {
        await under.close();
        await seq.remove();
      }
    });
  }

  it('reads a log whose oldest lines are only in gzipped files through the API, from the start, nothing lost or repeated', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('file-gz');
    const seq = await SeqContainer.start(docker, { 'max-size': '1m', 'max-file': '3', compress: 'true' }, { [RUN_LABEL]: run });
    let under: EngineUnderTest | undefined;
    try {
      // Written before capture starts: the first ~1 MB is gzipped by the time we look.
      seq.release(20_000);
      await seq.writtenOut();
      await waitFor('a gzipped rotated file', { watch: () => seq.logFiles().join(','), until: (names) => names.includes('.gz') });
      const logs = logSink();
      under = await startEngine(fileConfig(run, await containersDirOf(docker)), { logger: createLogger('info', logs.stream) });
      for (let burst = 0; burst < 4; burst += 1) {
        await waitForLines(under.consumer, seq.id, seq.written);
        seq.release(9_000);
      }
      await seq.stop();
      await waitUntilDrained(under.engine, [seq.id]);
      assertContiguous(numbersOf(under.consumer, seq.id), 1, seq.written, 'numbers captured');
      const entry = under.engine.status().containers.find((c) => c.id === seq.id);
      assert.equal(entry?.route, 'api');
      assert.match(entry?.fileRouteError ?? '', /^JSON_FILE_COMPRESSED/);
      assert.equal(logs.lines().filter((l) => l.code === 'JSON_FILE_COMPRESSED').length, 1, 'said once');
    } finally {
      await under?.close();
      await seq.remove();
    }
  });

  it('resumes at the byte offset after a restart, and switches routes file -> api -> file without loss or repeat', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const containersDir = await containersDirOf(docker);
    const run = uniqueName('file-restart');
    const seq = await SeqContainer.start(docker, {}, { [RUN_LABEL]: run });
    const positions = new Map<string, Position>();
    const phases: Array<{ route: 'file' | 'api'; numbers: number[]; start?: Position }> = [];
    try {
      // Each phase: a fresh engine from the last checkpoint, a burst written and read, then stopped.
      const plan: Array<CapturerConfig['capture']['route']> = ['auto', 'auto', 'api', 'auto', 'auto'];
      for (const route of plan) {
        const consumer = new PositionKeeper();
        const start = positions.get(seq.id);
        const under = await startEngine(fileConfig(run, containersDir, { route }), { consumer, positions: new MemoryPositions(new Map(positions), false) });
        try {
          const before = seq.written;
          seq.release(3_000);
          await waitForLines(consumer, seq.id, seq.written - before);
          await seq.writtenOut();
          const numbers = numbersOf(consumer, seq.id);
          const entry = under.engine.status().containers.find((c) => c.id === seq.id);
          phases.push({ route: entry?.route ?? 'api', numbers, ...(start ? { start } : {}) });
          assertContiguous(numbers, before + 1, seq.written, `phase ${phases.length} (${route})`);
          const last = consumer.positions.get(seq.id);
          assert.ok(last, 'a position was handed on');
          positions.set(seq.id, last);
        } finally {
          await under.close();
        }
      }
      assert.deepEqual(phases.map((p) => p.route), ['file', 'file', 'api', 'file', 'file']);
      // The file route's positions carry the byte offset; the API route's do not (the next file phase scans for it).
      assert.ok(phases[1]?.start?.file && phases[1].start.file.offset > 0, 'the second phase resumed at a byte offset');
      assert.equal(phases[3]?.start?.file, undefined, 'after the API phase the position has no byte offset');
      assert.ok(phases[4]?.start?.file, 'the file phase after it handed on byte offsets again');
    } finally {
      await seq.remove();
    }
  });

  it('falls back to the API mid-read when the file disappears under the mount, losing and repeating nothing', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const realDir = await containersDirOf(docker);
    const run = uniqueName('file-vanish');
    const seq = await SeqContainer.start(docker, {}, { [RUN_LABEL]: run });
    // Our own "mount": a directory whose entry for the container is a symlink to its real directory.
    const mount = mkdtempSync(join(tmpdir(), 'lc-mount-'));
    symlinkSync(join(realDir, seq.id), join(mount, seq.id));
    const logs = logSink();
    const under = await startEngine(fileConfig(run, mount), { logger: createLogger('info', logs.stream) });
    try {
      seq.release(2_000);
      await waitForLines(under.consumer, seq.id, 2_000);
      assert.equal(under.engine.status().containers.find((c) => c.id === seq.id)?.route, 'file');
      // The container's directory vanishes from the mount (an empty one takes its place).
      unlinkSync(join(mount, seq.id));
      mkdirSync(join(mount, seq.id));
      seq.release(2_000);
      await waitForLines(under.consumer, seq.id, 4_000);
      seq.release(2_000);
      await seq.stop();
      await waitUntilDrained(under.engine, [seq.id]);
      assertContiguous(numbersOf(under.consumer, seq.id), 1, seq.written, 'numbers captured');
      const entry = under.engine.status().containers.find((c) => c.id === seq.id);
      assert.equal(entry?.route, 'api');
      assert.match(entry?.fileRouteError ?? '', /^JSON_FILE_/);
      const fallbacks = logs.lines().filter((l) => typeof l.msg === 'string' && l.msg.includes('through the API from the same position'));
      assert.equal(fallbacks.length, 1, 'one log line says why');
      assert.ok(String(fallbacks[0]?.path).startsWith(mount), `the line names the path: ${String(fallbacks[0]?.path)}`);
      // The reader keeps the file it has open, so how many of the later lines it still reads
      // before it notices depends on the machine's speed; together the routes read each line once.
      const byFile = await metricValue(under, 'log_capturer_lines_by_route_total', 'route="file"');
      const byApi = await metricValue(under, 'log_capturer_lines_by_route_total', 'route="api"');
      assert.ok(byFile >= 2_000, `file route ${byFile}`);
      assert.equal(byFile + byApi, seq.written, `file ${byFile} + api ${byApi}`);
    } finally {
      await under.close();
      await seq.remove();
      rmSync(mount, { recursive: true, force: true });
    }
  });

  it('reads a container whose log file cannot be opened through the API, saying so once with the path and the reason', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('file-missing');
    // A containers directory that is readable but holds no container: every log file is missing there.
    const mount = mkdtempSync(join(tmpdir(), 'lc-mount-'));
    const logs = logSink();
    const under = await startEngine(fileConfig(run, mount), { logger: createLogger('info', logs.stream) });
    let container: Docker.Container | undefined;
    try {
      container = await runContainer(docker, { name: uniqueName('missing'), script: 'seq 1 500', labels: { [RUN_LABEL]: run } });
      assert.equal(await waitForExit(container), 0);
      await waitUntilDrained(under.engine, [container.id]);
      await assertMatchesDaemon(docker, under.consumer, container.id);
      const entry = under.engine.status().containers.find((c) => c.id === container?.id);
      assert.equal(entry?.route, 'api');
      assert.match(entry?.fileRouteError ?? '', /^JSON_FILE_NOT_FOUND/);
      const fallbacks = logs.lines().filter((l) => typeof l.msg === 'string' && l.msg.includes('through the API from the same position'));
      assert.equal(fallbacks.length, 1);
      assert.equal(fallbacks[0]?.code, 'JSON_FILE_NOT_FOUND');
      assert.equal(fallbacks[0]?.path, join(mount, container.id, `${container.id}-json.log`));
    } finally {
      await under.close();
      if (container) await removeQuietly(container);
      rmSync(mount, { recursive: true, force: true });
    }
  });

  it('releases every log file and directory watch: open files bounded while it rotates, none after close', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const containersDir = await containersDirOf(docker);
    const openLogFiles = (): number => {
      let count = 0;
      for (const fd of readdirSync('/proc/self/fd')) {
        try {
          if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(containersDir)) count += 1;
        } catch {
          // closed meanwhile
        }
      }
      return count;
    };
    const watchers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;
    const watchersBefore = watchers();
    const run = uniqueName('file-leak');
    const under = await startEngine(fileConfig(run, containersDir, { rotationIntervalMs: 100, maxStreams: 4 }));
    const containers: Docker.Container[] = [];
    try {
      // Six writers on four slots: follow reads rotate every 100 ms, and turns and polls come and go.
      for (let i = 0; i < 6; i += 1) containers.push(await runContainer(docker, { name: uniqueName(`leak-${i}`), script: 'i=0; while [ $i -lt 400 ]; do echo "line $i"; i=$((i+1)); usleep 10000; done', labels: { [RUN_LABEL]: run } }));
      let most = 0;
      const sampler = setInterval(() => {
        most = Math.max(most, openLogFiles());
      }, 20);
      try {
        for (const container of containers) assert.equal(await waitForExit(container), 0);
        await waitUntilDrained(under.engine, containers.map((c) => c.id));
      } finally {
        clearInterval(sampler);
      }
      const status = under.engine.status();
      const rotations = status.containers.reduce((n, c) => n + c.rotations, 0);
      t.diagnostic(`${rotations} rotations; at most ${most} log files open at once`);
      assert.ok(rotations >= 20, `only ${rotations} rotations`);
      // One file per slot, two for a moment while a reader moves to the next file.
      assert.ok(most <= 2 * 4, `${most} log files open at once with 4 slots`);
      for (const container of containers) await assertMatchesDaemon(docker, under.consumer, container.id);
      assert.ok(status.containers.every((c) => c.route === 'file'));
    } finally {
      await under.close();
      await Promise.all(containers.map((c) => removeQuietly(c)));
    }
    assert.equal(openLogFiles(), 0, 'no log file open after close');
    assert.equal(watchers(), watchersBefore, 'no directory watch left after close');
  });

  it('reads a container created before capture started and started after by the file route (its LogPath comes with the start)', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('file-created');
    const container = await docker.createContainer({ name: uniqueName('created'), Image: TEST_IMAGE, Cmd: ['sh', '-c', 'seq 1 300'], Labels: { [TEST_LABEL]: 'true', [RUN_LABEL]: run }, HostConfig: { NetworkMode: 'none' } });
    const under = await startEngine(fileConfig(run, await containersDirOf(docker)));
    try {
      await waitFor('the created container tracked and read to its (empty) end', {
        watch: () => under.engine.status().containers.find((c) => c.id === container.id)?.state,
        until: (state) => state === 'stopped',
      });
      await container.start();
      assert.equal(await waitForExit(container), 0);
      await waitFor('its 300 lines', { watch: () => under.consumer.of(container.id).length, until: (n) => n >= 300 });
      await waitUntilDrained(under.engine, [container.id]);
      await assertMatchesDaemon(docker, under.consumer, container.id);
      assert.equal(under.engine.status().containers.find((c) => c.id === container.id)?.route, 'file');
    } finally {
      await under.close();
      await removeQuietly(container);
    }
  });

  it('shows an unreadable containers_dir in /status and reads every container through the API', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('file-nodir');
    const missing = join(tmpdir(), uniqueName('no-such-dir'));
    const under = await startEngine(fileConfig(run, missing));
    let container: Docker.Container | undefined;
    try {
      const dir = under.engine.status().containersDir;
      assert.equal(dir?.path, missing);
      assert.equal(dir?.readable, false);
      assert.match(dir?.error ?? '', /JSON_FILE_NOT_FOUND/);
      container = await runContainer(docker, { name: uniqueName('nodir'), script: 'seq 1 200', labels: { [RUN_LABEL]: run } });
      assert.equal(await waitForExit(container), 0);
      await waitUntilDrained(under.engine, [container.id]);
      await assertMatchesDaemon(docker, under.consumer, container.id);
      assert.equal(under.engine.status().containers.find((c) => c.id === container?.id)?.route, 'api');
    } finally {
      await under.close();
      if (container) await removeQuietly(container);
    }
  });
});
