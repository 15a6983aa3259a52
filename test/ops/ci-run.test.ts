// .ci/run starts a private dockerd and a private Podman service, each in a temporary folder;
// both folders must go with them on every exit path. npm is stubbed (its `ci` passes, its `test`
// fails or hangs), dockerd and podman are real.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { requireDocker } from '../support/docker.js';
import { waitFor, waitForSettled } from '../support/wait-for.js';

const ROOT = new URL('../../', import.meta.url).pathname;

const STUB_NPM = `#!/bin/sh
case "$1" in
  ci) exit 0 ;;
  test)
    echo $$ > "$STUB_DIR/npm-test.pid"
    if [ "$STUB_NPM_TEST" = hang ]; then exec sleep 600; fi
    exit "$STUB_NPM_TEST" ;;
esac
exit 99
`;

interface CiRun {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  pid: number;
  output: () => string;
  tmp: string;
  stubs: string;
}

function startCiRun(t: TestContext, npmTest: string): CiRun {
  // Short paths: the daemon's unix socket lives in TMPDIR (at most 107 bytes).
  const tmp = mkdtempSync('/tmp/lcci-');
  const stubs = mkdtempSync('/tmp/lcci-stubs-');
  writeFileSync(join(stubs, 'npm'), STUB_NPM);
  chmodSync(join(stubs, 'npm'), 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${stubs}:${process.env.PATH ?? ''}`, TMPDIR: tmp, STUB_DIR: stubs, STUB_NPM_TEST: npmTest };
  delete env.CI;
  const child = spawn('bash', [join(ROOT, '.ci/run')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.after(() => {
    child.kill('SIGKILL');
    const pidFile = join(stubs, 'npm-test.pid');
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(tmp, { recursive: true, force: true });
    rmSync(stubs, { recursive: true, force: true });
  });
  return { exited, pid: child.pid ?? 0, output: () => output, tmp, stubs };
}

/** Waits for .ci/run to end; progress is its output and the folders in its TMPDIR. */
function ciExit(run: CiRun): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return waitForSettled('.ci/run to exit', run.exited, { progress: () => [run.output().length, readdirSync(run.tmp)] });
}

void describe('.ci/run', () => {
  void it('removes its daemon folder when npm test fails, and exits with npm test\'s code', async (t) => {
    if (!(await requireDocker(t))) return;
    const run = startCiRun(t, '3');
    const exit = await ciExit(run);
    assert.equal(exit.code, 3, run.output());
    assert.match(run.output(), /ci: private dockerd at unix:\/\/.*lc-ci-dockerd\./);
    assert.match(run.output(), /ci: private podman service at unix:\/\/.*lc-ci-podman\..*"Version":"\d/);
    assert.deepEqual(readdirSync(run.tmp), [], `nothing left in TMPDIR; output:\n${run.output()}`);
  });

  void it('removes its daemon folder when it is terminated during npm test', async (t) => {
    if (!(await requireDocker(t))) return;
    const run = startCiRun(t, 'hang');
    await waitFor('.ci/run to reach npm test', {
      watch: () => ({ started: existsSync(join(run.stubs, 'npm-test.pid')), output: run.output().length }),
      until: (o) => o.started,
    });
    assert.equal(readdirSync(run.tmp).filter((name) => name.startsWith('lc-ci-dockerd.')).length, 1, 'the daemon folder exists while it runs');
    assert.equal(readdirSync(run.tmp).filter((name) => name.startsWith('lc-ci-podman.')).length, 1, 'the podman folder exists while it runs');
    process.kill(run.pid, 'SIGTERM');
    const exit = await ciExit(run);
    assert.notEqual(exit.code, 0);
    assert.deepEqual(readdirSync(run.tmp), [], `nothing left in TMPDIR; output:\n${run.output()}`);
  });
});
