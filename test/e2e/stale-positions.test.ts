// Positions of containers removed while the capturer was down are dropped at start, so
// positions.json does not grow with every container a host ever ran.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { capturerExit, freePort, startCapturerProcess, waitUntilServing, writeConfig } from '../support/capturer-process.js';
import { daemonLines, removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';

describe('positions of removed containers', () => {
  it('are dropped at start, while those of existing containers are kept and used', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('stale');
    const receiver = await startStandInReceiver({ kind: 'vector' });
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-'));
    const container = await runContainer(docker, { labels: { 'lct.run': run }, script: 'seq 1 10' });
    t.after(async () => {
      await removeQuietly(container);
      await receiver.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });
    await waitForExit(container);
    const info = await container.inspect();
    // Its first 4 lines were shipped in an earlier run (position: since the millisecond of line 4,
    // skipping the lines 1..4 at or after it); a container of that earlier run is gone.
    const stamps = (await daemonLines(docker, info.Id)).map((l) => l.timestamp);
    const fourth = stamps[3] ?? '';
    const sinceMs = Date.parse(`${fourth.slice(0, 23)}Z`);
    const skip = stamps.slice(0, 4).filter((ts) => Date.parse(`${ts.slice(0, 23)}Z`) >= sinceMs).length;
    const gone = 'f'.repeat(64);
    const positionsFile = join(stateDir, 'positions.json');
    writeFileSync(positionsFile, JSON.stringify({
      version: 1,
      containers: {
        [gone]: { since_ms: 1, skip: 0, last_timestamp: '2026-01-01T00:00:00.000000000Z', name: 'removed-long-ago' },
        [info.Id]: { since_ms: sinceMs, skip, last_timestamp: fourth, name: info.Name.slice(1) },
      },
    }));
    const port = await freePort();
    const capturer = startCapturerProcess(['--config', writeConfig({
      filters: { include_labels: [`lct.run=${run}`] },
      sink: { type: 'vector', url: receiver.url, batch: { linger: '10ms' } },
      checkpoint: { state_dir: stateDir, flush_interval: '100ms' },
      server: { listen: `127.0.0.1:${port}` },
      log: { level: 'warn' },
    })]);
    t.after(() => capturer.kill('SIGKILL'));
    await waitUntilServing(capturer, `http://127.0.0.1:${port}`);
    // Progress: the file (rewritten every 100 ms flush) and what the receiver got.
    await waitFor('the removed container dropped from positions.json', {
      watch: () => ({ positions: readFileSync(positionsFile, 'utf8'), received: receiver.events.length }),
      until: (o) => !o.positions.includes(gone),
    });
    await waitFor('lines 5..10 shipped', { watch: () => receiver.events.length, until: (n) => n >= 6 });
    capturer.kill('SIGTERM');
    assert.equal((await capturerExit(capturer)).code, 0, capturer.stderr());
    assert.deepEqual(receiver.events.map((e) => e.message), ['5', '6', '7', '8', '9', '10'], 'the kept position was used');
    const saved = JSON.parse(readFileSync(positionsFile, 'utf8')) as { containers: Record<string, unknown> };
    assert.deepEqual(Object.keys(saved.containers), [info.Id]);
  });
});
