// Issue #15: `log-capturer top --once` against a live capturer on the private daemon shows one row
// per captured container with the state, rate and lag the capturer itself reports.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { capturerExit, freePort, startCapturerProcess, waitUntilServing, writeConfig } from '../support/capturer-process.js';
import { removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { waitFor } from '../support/wait-for.js';
import { startStandInReceiver } from '../support/stand-in-receiver.js';

interface StatusBody {
  capture: { daemon: { kind: string; version: string; api_version: string }; containers: Array<{ id: string; name: string; state: string; lastTimestamp: string | null }> };
  ship: { acknowledged: Record<string, string> };
}

describe('log-capturer top', () => {
  it('--once against a live capturer: a row per container with its state, lines/s and lag', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('top');
    const receiver = await startStandInReceiver({ kind: 'vector' });
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-'));
    const labels = { 'lct.run': run };
    const busy = await runContainer(docker, { name: `${run}-busy`, labels, script: 'i=0; while true; do echo "busy line $i"; i=$((i+1)); usleep 10000; done' });
    const quiet = await runContainer(docker, { name: `${run}-quiet`, labels, script: 'echo "started"; while true; do sleep 3600; done' });
    const done = await runContainer(docker, { name: `${run}-done`, labels, script: 'echo one; echo two; echo three >&2' });
    await waitForExit(done);
    const port = await freePort();
    const capturer = startCapturerProcess(['--config', writeConfig({
      filters: { include_labels: [`lct.run=${run}`] },
      sink: { type: 'vector', url: receiver.url, batch: { linger: '50ms' } },
      checkpoint: { state_dir: stateDir },
      server: { listen: `127.0.0.1:${port}` },
      log: { level: 'warn' },
    })], { LOG_CAPTURER_SERVER_STATUS_TOKEN: '' });
    t.after(async () => {
      capturer.kill('SIGKILL');
      await Promise.all([busy, quiet, done].map(removeQuietly));
      await receiver.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });
    const base = `http://127.0.0.1:${port}`;
    await waitUntilServing(capturer, base);

    // Until the capturer itself says: the daemon identified, busy and quiet streaming, done stopped,
    // all of done's lines acknowledged.
    const status = await waitFor('the daemon and the three containers in /status, done read and acknowledged', {
      watch: async () => (await (await fetch(`${base}/status`)).json()) as StatusBody,
      until: (body) => {
        const byName = new Map(body.capture.containers.map((c) => [c.name, c]));
        const doneStatus = byName.get(`${run}-done`);
        const ready = byName.get(`${run}-busy`)?.state === 'streaming' && byName.get(`${run}-quiet`)?.state === 'streaming'
          && doneStatus?.state === 'stopped' && doneStatus.lastTimestamp !== null && body.ship.acknowledged[doneStatus.id] === doneStatus.lastTimestamp;
        return ready && body.capture.daemon.kind !== 'unknown';
      },
      // The states, lines and acknowledgements move; uptime alone would count as progress forever.
      progress: (body) => [body.capture.containers, body.ship.acknowledged, body.capture.daemon],
      intervalMs: 200,
    });

    const top = startCapturerProcess(['top', '--once', '--url', base, '--interval', '1s'], { COLUMNS: '160', LOG_CAPTURER_SERVER_STATUS_TOKEN: '' });
    const { code } = await capturerExit(top, 'log-capturer top --once to exit');
    const frame = top.stdout();
    t.diagnostic(`\n${frame}`);
    assert.equal(code, 0, top.stderr());
    assert.equal(top.stderr(), '');

    const lines = frame.trimEnd().split('\n');
    assert.match(lines[0] ?? '', new RegExp(`^log-capturer 0\\.\\d+\\.\\d+ {2}up \\S+ {2}http://127\\.0\\.0\\.1:${port} +READY$`));
    const { kind, version, api_version: apiVersion } = status.capture.daemon;
    assert.ok(lines.includes(`docker     ${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'} (${kind} ${version}, API ${apiVersion})  ok`), 'the Docker host, which daemon it is, and its health');
    assert.match(frame, new RegExp(`^receiver {3}vector ${receiver.url.replace(/[./]/g, '\\$&')} {2}ok · last accepted \\S+ ago$`, 'm'));
    assert.match(frame, /^containers 3: 2 streaming · 1 stopped$/m);

    const row = (name: string): { state: string; rate: string; lag: string } => {
      const match = new RegExp(`^${name} +(\\S+) +(\\S+) +(\\S+)`, 'm').exec(frame);
      assert.ok(match, `a row for ${name}`);
      return { state: match[1] as string, rate: match[2] as string, lag: match[3] as string };
    };
    const rows = { busy: row(`${run}-busy`), quiet: row(`${run}-quiet`), done: row(`${run}-done`) };
    assert.equal(rows.busy.state, 'streaming');
    assert.ok(Number(rows.busy.rate.replace(/,/g, '')) > 0, `busy reads lines: ${rows.busy.rate} lines/s`);
    assert.match(rows.busy.lag, /^(\d+(\.\d)?(ms|s)|\d+m\d\ds)$/);
    assert.deepEqual(rows.quiet, { state: 'streaming', rate: '0', lag: '0s' }, 'idle and all acknowledged: not behind');
    assert.deepEqual(rows.done, { state: 'stopped', rate: '0', lag: '0s' });
    assert.equal(lines.filter((line) => line.startsWith(run)).length, 3, 'exactly one row per container');
  });
});
