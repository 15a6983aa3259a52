// Issue #4: the capturer is stopped (SIGTERM) or killed (SIGKILL) mid-stream while containers keep
// logging, and a short-lived container starts and stops while it is down. After it starts again
// over the same state directory, the receiver holds exactly the daemon's lines. Issue #14: every
// line shipped again after the SIGKILL carries the event_id it had the first time, so a dedupe
// on event_id leaves exactly the daemon's lines.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type Docker from 'dockerode';
import { capturerExit, freePort, startCapturerProcess, waitUntilServing, writeConfig } from '../support/capturer-process.js';
import { daemonLines, removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import type { ReferenceLine } from '../support/docker.js';
import { waitForDaemonLines } from '../support/oracle.js';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';

const FLUSH_INTERVAL_MS = 500;

const lineKey = (stream: unknown, timestamp: unknown, message: unknown): string => `${String(stream)}|${String(timestamp)}|${String(message)}`;

/**
 * The lines a persisted position covers, i.e. that a capturer starting from it will NOT read
 * again (src/capture/position.ts): every line of a millisecond before `since_ms`, and the first
 * `skip` lines, in the daemon's order, of `since_ms` or later.
 */
function coveredLines(lines: readonly ReferenceLine[], position: { since_ms: number; skip: number } | undefined): Set<string> {
  const covered = new Set<string>();
  if (position === undefined) return covered;
  let skipped = 0;
  for (const line of lines) {
    const ms = Date.parse(`${line.timestamp.slice(0, 23)}Z`);
    if (ms < position.since_ms || skipped < position.skip) covered.add(lineKey(line.stream, line.timestamp, line.message.toString('utf8')));
    if (ms >= position.since_ms) skipped += 1;
  }
  return covered;
}

async function scenario(t: TestContext, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const docker = await requireDocker(t);
  if (!docker) return;
  const run = uniqueName(signal.toLowerCase());
  // Behind the source, a dedupe transform on event_id (as vector.toml's commented example).
  const receiver = await startStandInReceiver({ kind: 'vector', port: 0, dedupeBy: 'event_id' });
  const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-'));
  const containers: Docker.Container[] = [];
  t.after(async () => {
    await Promise.all(containers.map(removeQuietly));
    await receiver.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const config = (port: number) => writeConfig({
    capture: { initial_position: 'beginning', rotation_interval: '1s' },
    filters: { include_labels: [`lct.run=${run}`] },
    sink: { type: 'vector', url: receiver.url, batch: { max_events: 50, linger: '50ms' } },
    checkpoint: { state_dir: stateDir, flush_interval: `${FLUSH_INTERVAL_MS}ms` },
    server: { listen: `127.0.0.1:${port}` },
    log: { level: 'warn' },
  });

  const firstPort = await freePort();
  const first = startCapturerProcess(['--config', config(firstPort)]);
  await waitUntilServing(first, `http://127.0.0.1:${firstPort}`);
  // A steady writer (about 4 s), started once the capturer serves, so that the signal comes
  // mid-stream however long a loaded machine takes to start the capturer.
  const steady = await runContainer(docker, { labels: { 'lct.run': run }, script: 'i=0; while [ $i -lt 2000 ]; do echo "steady $i"; i=$((i+1)); [ $((i % 50)) -eq 0 ] && usleep 100000; done' });
  containers.push(steady);
  const steadyInfo = await steady.inspect();
  await waitFor('some steady lines at the receiver', { watch: () => receiver.events.filter((e) => e.container_id === steadyInfo.Id).length, until: (n) => n > 300 });
  first.kill(signal);
  const firstExit = await capturerExit(first, 'the first capturer to exit', { progress: () => receiver.events.length });
  if (signal === 'SIGTERM') assert.equal(firstExit.code, 0, `clean exit after SIGTERM; stderr:\n${first.stderr()}`);
  // What the first run left on disk: where the second run resumes (no file yet: from the beginning).
  const positionsPath = join(stateDir, 'positions.json');
  const persisted = existsSync(positionsPath) ? (JSON.parse(readFileSync(positionsPath, 'utf8')) as { containers: Record<string, { since_ms: number; skip: number }> }).containers : {};

  // While the capturer is down: a short-lived container comes and goes.
  const shortLived = await runContainer(docker, { labels: { 'lct.run': run }, script: 'for i in $(seq 1 100); do echo "short $i"; echo "short-err $i" >&2; done' });
  containers.push(shortLived);
  await waitForExit(shortLived);

  const secondPort = await freePort();
  const second = startCapturerProcess(['--config', config(secondPort)]);
  t.after(() => second.kill('SIGKILL'));
  await waitUntilServing(second, `http://127.0.0.1:${secondPort}`);
  await waitForExit(steady);
  const ids = [steadyInfo.Id, (await shortLived.inspect()).Id];
  const results = await waitForDaemonLines('every line at the receiver', ids.map((id) => ({ docker: docker, id })), receiver.events);
  second.kill('SIGTERM');
  assert.equal((await capturerExit(second, 'the second capturer to exit')).code, 0, `second run exits cleanly; stderr:\n${second.stderr()}`);

  // event_id names the line, not the reading: a line shipped again carries the id it had the
  // first time (compared by identity), and different lines have different ids.
  const idOfLine = new Map<string, unknown>();
  const lineOfId = new Map<unknown, string>();
  for (const e of receiver.events) {
    assert.match(String(e.event_id), /^[0-9a-f]{16}$/, 'every record carries an event_id');
    const k = `${String(e.container_id)}|${lineKey(e.stream, e.timestamp, e.message)}`;
    if (idOfLine.has(k)) assert.equal(e.event_id, idOfLine.get(k), `the line came again with another id: ${k.slice(0, 120)}`);
    else idOfLine.set(k, e.event_id);
    if (lineOfId.has(e.event_id)) assert.equal(lineOfId.get(e.event_id), k, 'two lines share an event_id');
    else lineOfId.set(e.event_id, k);
  }
  // Through the dedupe transform the receiver holds every daemon line exactly once.
  const deduplicated = await waitForDaemonLines('every line once after the dedupe', ids.map((id) => ({ docker: docker, id })), receiver.deduplicated);
  for (const r of deduplicated) {
    assert.equal(r.duplicated, 0, 'no line twice after dedupe by event_id');
    assert.equal(r.firstMismatch, undefined, 'after dedupe: the daemon order');
  }

  const duplicated = results.reduce((n, r) => n + r.duplicated, 0);
  t.diagnostic(`${signal}: expected ${results.map((r) => r.expected).join('+')} lines, lost 0, duplicated ${duplicated}`);
  for (const r of results) assert.equal(r.firstMismatch, undefined, 'per-container order is the daemon order');
  if (signal === 'SIGTERM') {
    assert.equal(duplicated, 0, 'nothing acknowledged is shipped again after a clean stop');
  } else {
    // After SIGKILL, only lines whose acknowledgement was not yet on disk may come again: a line
    // received twice must be one the positions.json left by the killed run did not cover (it
    // was acknowledged after the last checkpoint flush). Judged by the file, not by the clock:
    // on a loaded machine a flush can come later than its interval, which moves the boundary but
    // not the rule. The short-lived container started after the kill: nothing of it can repeat.
    assert.equal(results[1]?.duplicated, 0, 'the container started after the kill has no line twice');
    const covered = coveredLines(await daemonLines(docker, steadyInfo.Id), persisted[steadyInfo.Id]);
    const seen = new Set<string>();
    let checked = 0;
    for (const e of receiver.events.filter((r) => r.container_id === steadyInfo.Id)) {
      const k = lineKey(e.stream, e.timestamp, e.message);
      if (!seen.has(k)) {
        seen.add(k);
        continue;
      }
      checked += 1;
      assert.ok(!covered.has(k), `a line the persisted position covered came again: ${k.slice(0, 100)}`);
    }
    t.diagnostic(`SIGKILL: ${checked} duplicates, all beyond the positions on disk at the kill (flush interval ${FLUSH_INTERVAL_MS} ms)`);
  }
}

describe('restart without loss', () => {
  it('SIGTERM mid-stream: exactly the daemon lines, none twice', async (t) => scenario(t, 'SIGTERM'));
  it('SIGKILL mid-stream: no loss, duplicates only from the last unpersisted acknowledgements', async (t) => scenario(t, 'SIGKILL'));
});
