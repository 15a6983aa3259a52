// The real executable with its --listen address taken: exit 1 and one clear line naming the
// address and how to choose another, instead of a JSON log with the whole EADDRINUSE stack.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { capturerExit, startCapturerProcess } from '../support/capturer-process.js';

void describe('log-capturer with its server address taken', () => {
  void it('exits 1 with one line naming the address and --listen', async (t) => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-'));
    t.after(() => {
      holder.close();
      rmSync(stateDir, { recursive: true, force: true });
    });
    // No daemon is needed: the server binds before the capturer first calls Docker.
    const capturer = startCapturerProcess(['--sink', 'stdout', '--state-dir', stateDir, '--listen', `127.0.0.1:${port}`], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    t.after(() => capturer.kill('SIGKILL'));
    const exit = await capturerExit(capturer);
    assert.equal(exit.code, 1, capturer.stderr());
    const lines = capturer.stderr().split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `one line on stderr, got:\n${capturer.stderr()}`);
    assert.match(lines[0] ?? '', new RegExp(`^log-capturer: cannot listen on 127\\.0\\.0\\.1:${port} .*already in use`));
    assert.match(lines[0] ?? '', /--listen HOST:PORT.*server\.listen.*LOG_CAPTURER_SERVER_LISTEN/);
    assert.equal(capturer.stdout(), '', 'no records, no banner');
  });
});
