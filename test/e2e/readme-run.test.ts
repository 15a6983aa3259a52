// The README's run command, run as the README says: `node dist/cli/main.js` after the build
// that `npm install` does. Its stdout is NDJSON records and nothing else, and Ctrl-C (SIGINT to
// the whole foreground process group, as a terminal sends it) ends it with the capturer's own
// exit code, 0. `npm start`, which the README advises against where the exit code matters,
// exits 130 on the same Ctrl-C: the README says so, and this checks that it still is so.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { cpuTicks, freePort } from '../support/capturer-process.js';
import { daemonLines, removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { SAFETY_CAP_MS, waitFor, waitForSettled } from '../support/wait-for.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const RUN_COMMAND = 'node dist/cli/main.js';

interface Run {
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ctrl-C: SIGINT to every process of its group. */
  ctrlC(): void;
  pid: number;
}

/** A command in a process group of its own, as a shell runs a foreground job. */
function runInGroup(t: TestContext, command: string, args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const pid = child.pid ?? 0;
  t.after(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the group is gone
    }
  });
  return { stdout: () => out, stderr: () => err, exited, ctrlC: () => process.kill(-pid, 'SIGINT'), pid };
}

/** Starts `command`, waits for the container's lines on its stdout, presses Ctrl-C, returns the exit and the output. */
async function captureThenCtrlC(t: TestContext, command: string, args: string[], expectedLines: number, env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const run = runInGroup(t, command, args, env);
  const records = (): number => run.stdout().split('\n').filter((line) => line.startsWith('{')).length;
  await waitFor(`${expectedLines} records on the stdout of ${command} ${args.join(' ')}`, {
    watch: () => ({ records: records(), stderr: run.stderr().length, cpu: cpuTicks(run.pid) }),
    until: (o) => o.records >= expectedLines,
    failIf: () => (records() < expectedLines && run.stderr().includes('"level":60') ? `it failed: ${run.stderr().slice(-1000)}` : undefined),
    intervalMs: 200,
  });
  run.ctrlC();
  const exit = await waitForSettled(`${command} to exit after Ctrl-C`, run.exited, { progress: () => [run.stdout().length, run.stderr().length] });
  return { code: exit.code, signal: exit.signal, stdout: run.stdout(), stderr: run.stderr() };
}

void describe('the README run command', () => {
  before(() => {
    // What `npm install` runs (prepare: npm run build).
    const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8', timeout: SAFETY_CAP_MS });
    assert.equal(build.status, 0, `npm run build: ${build.stdout}${build.stderr}`);
  });

  void it('README documents `node dist/cli/main.js` with exit 0 on Ctrl-C, and npm start\'s 130', () => {
    assert.match(README, new RegExp(`^${RUN_COMMAND} > out\\.ndjson +# Ctrl-C \\(or SIGTERM\\) flushes and exits 0$`, 'm'));
    assert.match(README, /After Ctrl-C npm\s+exits 130/);
    assert.ok(README.includes(`${RUN_COMMAND} check-config plugin-config/log-capturer.yaml`));
  });

  void it('`node dist/cli/main.js`: stdout holds only the records, Ctrl-C exits 0', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('readme-run');
    const container = await runContainer(docker, { labels: { 'lct.run': run }, script: 'echo "first line"; echo "to stderr" >&2; printf "no newline"' });
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-readme-run-'));
    t.after(async () => {
      await removeQuietly(container);
      rmSync(stateDir, { recursive: true, force: true });
    });
    await waitForExit(container);
    const expected = await daemonLines(docker, container.id);

    // The configuration only through LOG_CAPTURER_* variables, so the command is the README's, word for word.
    const env = { LOG_CAPTURER_FILTERS_INCLUDE_LABELS: `lct.run=${run}`, LOG_CAPTURER_CHECKPOINT_STATE_DIR: stateDir, LOG_CAPTURER_SERVER_LISTEN: `127.0.0.1:${await freePort()}` };
    const [command, ...args] = RUN_COMMAND.split(' ') as [string, ...string[]];
    const result = await captureThenCtrlC(t, command === 'node' ? process.execPath : command, args, expected.length, env);
    assert.equal(result.code, 0, `exit code after Ctrl-C; stderr:\n${result.stderr.slice(-2000)}`);
    assert.ok(result.stdout.endsWith('\n'), 'whole lines');
    const lines = result.stdout.slice(0, -1).split('\n');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(records.map((r) => [r.stream, r.timestamp, r.message]), expected.map((l) => [l.stream, l.timestamp, l.message.toString('utf8')]), 'stdout is exactly the records');
    for (const r of records) assert.equal(r.container_id, container.id);
  });

  void it('`npm start --silent`: records only on stdout too, but Ctrl-C exits 130 (npm\'s code, as the README warns)', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('readme-npm');
    const container = await runContainer(docker, { labels: { 'lct.run': run }, script: 'echo "only line"' });
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-readme-npm-'));
    t.after(async () => {
      await removeQuietly(container);
      rmSync(stateDir, { recursive: true, force: true });
    });
    await waitForExit(container);
    const env = { LOG_CAPTURER_FILTERS_INCLUDE_LABELS: `lct.run=${run}`, LOG_CAPTURER_CHECKPOINT_STATE_DIR: stateDir, LOG_CAPTURER_SERVER_LISTEN: `127.0.0.1:${await freePort()}` };
    const result = await captureThenCtrlC(t, 'npm', ['start', '--silent'], 1, env);
    assert.deepEqual([result.code, result.signal], [null, 'SIGINT'], 'npm ends itself with the SIGINT it got: a shell shows 130');
    assert.deepEqual(result.stdout.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { message: string }).message), ['only line'], 'no npm banner with --silent');
  });
});
