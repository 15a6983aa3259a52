// Issue 11 item 7: the real executable refuses to start on a state directory another user owns
// or others may write to (exit 2, the reason on stderr), before it reads or writes anything there.
// Needs root for the chown, as CI runs; the capturer never gets as far as the Docker daemon.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { capturerExit, startCapturerProcess } from '../support/capturer-process.js';
import { waitFor } from '../support/wait-for.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lc-unsafe-state-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(stateDir: string): Promise<{ code: number | null; stderr: string }> {
  const capturer = startCapturerProcess(['--state-dir', stateDir, '--docker-host', 'unix:///nonexistent/docker.sock', '--listen', '127.0.0.1:0'], { LOG_CAPTURER_LOG_LEVEL: 'info' });
  const { code } = await capturerExit(capturer);
  return { code, stderr: capturer.stderr() };
}

void describe('log-capturer with an unsafe checkpoint.state_dir', () => {
  void it('exits 2 and says why when others may write to it', async () => {
    const stateDir = join(dir, 'world-writable');
    mkdirSync(stateDir);
    chmodSync(stateDir, 0o777);
    const { code, stderr } = await run(stateDir);
    assert.equal(code, 2, stderr);
    assert.match(stderr, new RegExp(`^log-capturer: checkpoint.state_dir "${stateDir}" is writable by its group and others \\(mode 0777\\).*chmod 700`, 'm'));
    assert.deepEqual(readdirSync(stateDir), [], 'nothing was written there');
  });

  void it('exits 2 and says why when another user owns it', async (t) => {
    if (process.getuid?.() !== 0) {
      if (process.env.CI === 'true') throw new Error('this test needs root (chown), as CI runs');
      t.skip('needs root to chown');
      return;
    }
    const stateDir = join(dir, 'foreign');
    mkdirSync(stateDir, { mode: 0o700 });
    chownSync(stateDir, 4242, 4242);
    const { code, stderr } = await run(stateDir);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /^log-capturer: checkpoint.state_dir ".*foreign" belongs to uid 4242, not to uid 0 the capturer runs as/m);
    assert.deepEqual(readdirSync(stateDir), []);
  });

  void it('creates a missing state directory 0700 and starts', async () => {
    const stateDir = join(dir, 'new', 'state');
    const capturer = startCapturerProcess(['--state-dir', stateDir, '--docker-host', 'unix:///nonexistent/docker.sock', '--listen', '127.0.0.1:0']);
    try {
      // Started once it logs so (the daemon is absent; that is reported, not fatal). Progress while
      // it starts: its CPU time and output.
      await waitFor('the capturer to log that it started', {
        watch: () => ({ started: capturer.stderr().includes('log-capturer started'), life: capturer.signsOfLife() }),
        until: (o) => o.started,
        failIf: () => capturer.exitedWith(),
      });
      assert.equal(capturer.child.exitCode, null, capturer.stderr());
      assert.equal(statSync(stateDir).mode & 0o777, 0o700);
    } finally {
      capturer.kill('SIGTERM');
      await capturerExit(capturer);
    }
  });
});
