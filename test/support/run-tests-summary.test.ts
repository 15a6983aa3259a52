// scripts/run-tests.mjs ends a run that skipped integration tests for want of a daemon with
// their count and the exact command that starts one; under CI=true those tests fail instead.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { START_DAEMON_COMMAND } from './docker.js';
import { SAFETY_CAP_MS } from './wait-for.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function runTests(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['scripts/run-tests.mjs', 'test/support/fixtures/needs-docker.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: 'unix:///nonexistent/docker.sock', ...env },
      timeout: SAFETY_CAP_MS,
    }, (error, stdout) => {
      if (error !== null && typeof error.code !== 'number') reject(new Error(`could not run scripts/run-tests.mjs: ${error.message}`));
      else resolve({ code: error === null ? 0 : (error.code as number), stdout });
    });
  });
}

void describe('run-tests summary of skipped tests', () => {
  void it('counts the tests skipped for want of a daemon and prints the command that starts one', async () => {
    const run = await runTests({});
    assert.equal(run.code, 0, run.stdout);
    const summary = run.stdout.slice(run.stdout.indexOf('run-tests:'));
    assert.match(summary, /2 integration tests were SKIPPED: no Docker daemon answers at unix:\/\/\/nonexistent\/docker\.sock/);
    assert.ok(summary.includes(`    ${START_DAEMON_COMMAND}\n`), summary);
    assert.ok(summary.includes('bash test/support/docker-daemon.sh stop'), summary);
    assert.match(summary, /1 other test skipped:\n {2}test\/support\/fixtures\/needs-docker\.ts: is skipped for another reason \(not applicable here\)/);
  });

  void it('under CI=true the same tests fail, and so does the run', async () => {
    const run = await runTests({ CI: 'true' });
    assert.notEqual(run.code, 0);
    assert.doesNotMatch(run.stdout, /integration tests? (was|were) SKIPPED/);
  });
});
