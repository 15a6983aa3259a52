// The capturer process against Podman 4.3 (the private `podman system service`), stopped
// (SIGTERM) or killed (SIGKILL) mid-stream and started again over the same state directory, with
// streams rotated every 100 ms, while containers log thousands of lines a second (so many lines
// share each of Podman's one-second stamps, and positions rest on skip counts), long lines in 8
// KiB parts stamped apart, and a TTY container (read through the /libpod/ endpoint). A container
// comes and goes while the capturer is down. The receiver must then hold exactly Podman's own
// lines: none lost, none twice after SIGTERM; after SIGKILL only lines acknowledged after the
// last checkpoint may come again, with the event_id they had. The capturer names the daemon in
// its start-up log and /status.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type Docker from 'dockerode';
import { capturerExit, freePort, startCapturerProcess, waitUntilServing, writeConfig } from '../support/capturer-process.js';
import { removeQuietly, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { waitForPodmanLines } from '../support/oracle.js';
import { requirePodman } from '../support/podman.js';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';

interface StatusAnswer {
  capture?: { daemon?: { kind?: string; version?: string; libpod_api_version?: string; stamp_resolution_ms?: number }; containers?: Array<{ id: string; rotations: number }> };
}

async function scenario(t: TestContext, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const found = await requirePodman(t);
  if (!found) return;
  const { podman, host } = found;
  const run = uniqueName(`p${signal.toLowerCase()}`);
  // Behind the source, a dedupe transform on event_id (as vector.toml's commented example).
  const receiver = await startStandInReceiver({ kind: 'vector', port: 0, dedupeBy: 'event_id' });
  const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-podman-'));
  const containers: Docker.Container[] = [];
  t.after(async () => {
    await Promise.all(containers.map(removeQuietly));
    await receiver.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });
  const config = (port: number): string => writeConfig({
    docker: { host },
    capture: { initial_position: 'beginning', rotation_interval: '100ms' },
    filters: { include_labels: [`lct.run=${run}`] },
    sink: { type: 'vector', url: receiver.url, batch: { max_events: 200, linger: '50ms' } },
    checkpoint: { state_dir: stateDir, flush_interval: '300ms' },
    server: { listen: `127.0.0.1:${port}` },
    log: { level: 'info' },
  });

  const firstPort = await freePort();
  const first = startCapturerProcess(['--config', config(firstPort)]);
  t.after(() => first.kill('SIGKILL'));
  await waitUntilServing(first, `http://127.0.0.1:${firstPort}`);
  await waitFor('the start-up log to name the daemon', {
    watch: () => ({ said: /daemon detected: Podman \d/.test(first.stderr()), life: first.signsOfLife() }),
    until: (o) => o.said,
    failIf: () => first.exitedWith(),
  });
  const status = await (await fetch(`http://127.0.0.1:${firstPort}/status`)).json() as StatusAnswer;
  assert.equal(status.capture?.daemon?.kind, 'podman', '/status names Podman');
  assert.match(status.capture?.daemon?.version ?? '', /^\d+\.\d+/);
  assert.equal(status.capture?.daemon?.stamp_resolution_ms, 1000, 'Podman 4.3 stamps to the second');

  // Bursts of 2,000 lines (thousands share a second), long lines, and a TTY: ~6 s of logging.
  const steady = await runContainer(podman, { labels: { 'lct.run': run }, script: 'for b in $(seq 1 12); do printf "burst $b line %s\\n" $(seq 1 2000); printf "err $b %s\\n" $(seq 1 100) >&2; head -c 30000 /dev/zero | tr "\\0" L; echo " long $b"; usleep 500000; done' });
  const tty = await runContainer(podman, { labels: { 'lct.run': run }, tty: true, script: 'for b in $(seq 1 12); do printf "tty $b %s\\n" $(seq 1 500); head -c 9000 /dev/zero | tr "\\0" T; echo " $b"; usleep 500000; done' });
  containers.push(steady, tty);
  await waitFor('some steady lines at the receiver', { watch: () => receiver.events.filter((e) => e.container_id === steady.id).length, until: (n) => n > 4000 });
  const beforeSignal = await (await fetch(`http://127.0.0.1:${firstPort}/status`)).json() as StatusAnswer;
  const firstRotations = (beforeSignal.capture?.containers ?? []).reduce((n, c) => n + c.rotations, 0);
  first.kill(signal);
  const firstExit = await capturerExit(first, 'the first capturer to exit', { progress: () => receiver.events.length });
  if (signal === 'SIGTERM') assert.equal(firstExit.code, 0, `clean exit after SIGTERM; stderr:\n${first.stderr().slice(-4000)}`);
  const atStop = receiver.events.length;

  // While the capturer is down: a short-lived container comes and goes.
  const shortLived = await runContainer(podman, { labels: { 'lct.run': run }, script: 'printf "short %s\\n" $(seq 1 1500); printf "short-err %s\\n" $(seq 1 100) >&2' });
  containers.push(shortLived);
  await waitForExit(shortLived);

  const secondPort = await freePort();
  const second = startCapturerProcess(['--config', config(secondPort)]);
  t.after(() => second.kill('SIGKILL'));
  await waitUntilServing(second, `http://127.0.0.1:${secondPort}`);
  await waitForExit(steady);
  await waitForExit(tty);
  const ids = containers.map((c) => c.id);
  const results = await waitForPodmanLines('every line at the receiver', podman, host, ids, receiver.events).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; second capturer's stderr:\n${second.stderr().slice(-4000)}`, { cause: error });
  });
  const final = await (await fetch(`http://127.0.0.1:${secondPort}/status`)).json() as StatusAnswer;
  second.kill('SIGTERM');
  assert.equal((await capturerExit(second, 'the second capturer to exit')).code, 0, `second run exits cleanly; stderr:\n${second.stderr().slice(-4000)}`);

  const rotations = (final.capture?.containers ?? []).reduce((n, c) => n + c.rotations, 0);
  const duplicated = results.map((r) => r.duplicated);
  t.diagnostic(`${signal}: Podman has ${results.map((r) => r.expected).join('+')} lines; ${atStop} received before the ${signal}; lost ${results.map((r) => r.lost).join('+')}, duplicated ${duplicated.join('+')}; ${firstRotations} rotations in the first run, ${rotations} in the second`);
  assert.ok(firstRotations > 0, 'streams were rotated before the signal');
  for (const r of results) {
    assert.equal(r.lost, 0);
    assert.equal(r.firstMismatch, undefined, "per-container order is Podman's order");
  }
  assert.ok(results.every((r) => r.expected > 1000), 'every container logged');
  assert.ok(atStop < results.reduce((n, r) => n + r.expected, 0), 'the signal came mid-stream');
  // event_id names the line, not the reading, on Podman too (its ordinal counts lines of the same
  // second): a line shipped again carries the id it had the first time, different lines have
  // different ids (every line of these scripts is unique), and a dedupe on it leaves Podman's lines.
  const idOfLine = new Map<string, unknown>();
  const lineOfId = new Map<unknown, string>();
  for (const e of receiver.events) {
    assert.match(String(e.event_id), /^[0-9a-f]{16}$/, 'every record carries an event_id');
    const k = `${String(e.container_id)}|${String(e.stream)}|${String(e.timestamp)}|${String(e.message)}`;
    if (idOfLine.has(k)) assert.equal(e.event_id, idOfLine.get(k), `the line came again with another id: ${k.slice(0, 120)}`);
    else idOfLine.set(k, e.event_id);
    if (lineOfId.has(e.event_id)) assert.equal(lineOfId.get(e.event_id), k, 'two lines share an event_id');
    else lineOfId.set(e.event_id, k);
  }
  const deduplicated = await waitForPodmanLines('every line once after the dedupe', podman, host, ids, receiver.deduplicated);
  for (const r of deduplicated) {
    assert.equal(r.duplicated, 0, 'no line twice after dedupe by event_id');
    assert.equal(r.firstMismatch, undefined, "after dedupe: Podman's order");
  }
  if (signal === 'SIGTERM') {
    assert.deepEqual(duplicated, [0, 0, 0], 'nothing acknowledged is shipped again after a clean stop');
  } else {
    // Only what was acknowledged after the last checkpoint flush (300 ms) may come again; the
    // container started after the kill has nothing twice.
    assert.equal(duplicated[2], 0, 'the container started after the kill has no line twice');
  }
}

describe('capturer restart on Podman (real service)', () => {
  it('SIGTERM mid-stream: exactly Podman\'s lines, none twice', async (t) => scenario(t, 'SIGTERM'));
  it('SIGKILL mid-stream: no loss', async (t) => scenario(t, 'SIGKILL'));
});
