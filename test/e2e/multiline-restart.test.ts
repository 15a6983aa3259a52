// Multiline across a restart of the real capturer: containers print Java, Python and Go traces on
// stdout and stderr, streams rotate every 100 ms, and the capturer is stopped (SIGTERM) or killed
// (SIGKILL) mid-stream, then started again over the same state directory.
//   SIGKILL  nothing of an open group was shipped and the checkpoint never passed its first line:
//            it is read again from there and shipped whole. Every record received is one of the
//            daemon's lines grouped by the rule (no fragment), none is missing, the order holds;
//            records shipped before the kill may come again, whole.
//   SIGTERM  open groups are completed and shipped before the positions are saved: nothing comes
//            twice, and the lines of each stream arrive exactly once, in order. Only a group open
//            at the stop may be split in two (at most one per stream).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type Docker from 'dockerode';
import { containerRule } from '../../src/capture/multiline-rule.js';
import { capturerExit, freePort, startCapturerProcess, waitUntilServing, writeConfig } from '../support/capturer-process.js';
import { daemonLines, removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import type { ReferenceLine } from '../support/docker.js';
import { GLOBAL_RULE, PYTHON_LABELS, compareRecords, expectedRecords, fromNdjson, javaAndGoScript, pythonScript, recordKey } from '../support/multiline-oracle.js';
import type { MultilineRecord } from '../support/multiline-oracle.js';
import { startStandInReceiver } from '../support/stand-in-receiver.js';
import { waitFor } from '../support/wait-for.js';

const STREAMS = ['stdout', 'stderr'] as const;

/** The lines of one stream, in order, as the received records hold them. */
function receivedLines(records: readonly MultilineRecord[], stream: 'stdout' | 'stderr'): string[] {
  return records.filter((r) => r.stream === stream).flatMap((r) => r.message.split('\n'));
}

function daemonStreamLines(lines: readonly ReferenceLine[], stream: 'stdout' | 'stderr'): string[] {
  return lines.filter((l) => l.stream === stream).map((l) => l.message.toString('utf8'));
}

async function scenario(t: TestContext, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const docker = await requireDocker(t);
  if (!docker) return;
  const run = uniqueName(`ml-${signal.toLowerCase()}`);
  const receiver = await startStandInReceiver({ kind: 'vector', port: 0 });
  const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-'));
  const containers: Array<{ what: string; container: Docker.Container; labels: Record<string, string> }> = [];
  t.after(async () => {
    await Promise.all(containers.map(({ container }) => removeQuietly(container)));
    await receiver.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });
  const config = (port: number): string => writeConfig({
    capture: {
      initial_position: 'beginning',
      rotation_interval: '100ms',
      multiline: {
        start_pattern: GLOBAL_RULE.startPattern, condition_pattern: GLOBAL_RULE.conditionPattern, mode: GLOBAL_RULE.mode,
        timeout: `${GLOBAL_RULE.timeoutMs}ms`, max_lines: GLOBAL_RULE.maxLines,
      },
    },
    filters: { include_labels: [`lct.run=${run}`] },
    sink: { type: 'vector', url: receiver.url, batch: { max_events: 50, linger: '50ms' } },
    checkpoint: { state_dir: stateDir, flush_interval: '200ms' },
    server: { listen: `127.0.0.1:${port}` },
    log: { level: 'warn' },
  });

  const firstPort = await freePort();
  const first = startCapturerProcess(['--config', config(firstPort)]);
  await waitUntilServing(first, `http://127.0.0.1:${firstPort}`);
  for (const [what, script, labels] of [['java-go', javaAndGoScript(300), {}], ['python', pythonScript(300), PYTHON_LABELS]] as const) {
    const all = { 'lct.run': run, ...labels };
    containers.push({ what, container: await runContainer(docker, { name: uniqueName(what), script, labels: all }), labels: all });
  }
  await waitFor('some records of each container at the receiver', {
    watch: () => containers.map(({ container }) => receiver.events.filter((e) => e.container_id === container.id).length),
    until: (counts) => counts.every((n) => n > 150),
  });
  first.kill(signal);
  const firstExit = await capturerExit(first, 'the first capturer to exit', { progress: () => receiver.events.length });
  if (signal === 'SIGTERM') assert.equal(firstExit.code, 0, `clean exit after SIGTERM; stderr:\n${first.stderr()}`);
  const atStop = containers.map(({ container }) => receiver.events.filter((e) => e.container_id === container.id).length);

  const secondPort = await freePort();
  const second = startCapturerProcess(['--config', config(secondPort)]);
  t.after(() => second.kill('SIGKILL'));
  await waitUntilServing(second, `http://127.0.0.1:${secondPort}`);
  for (const { container } of containers) assert.equal(await waitForExit(container), 0);

  const daemon = await Promise.all(containers.map(({ container }) => daemonLines(docker, container.id)));
  const received = (id: string): MultilineRecord[] => receiver.events.filter((e) => e.container_id === id).map(fromNdjson);
  await waitFor('every line at the receiver', {
    watch: () => containers.map(({ container }, i) => STREAMS.map((s) => receivedLines(received(container.id), s).length - daemonStreamLines(daemon[i] ?? [], s).length)),
    until: (gaps) => gaps.flat().every((gap) => gap >= 0) && (signal === 'SIGTERM' || containers.every(({ container, labels }, i) => {
      const { rule } = containerRule(labels, GLOBAL_RULE);
      return rule !== undefined && compareRecords(expectedRecords(daemon[i] ?? [], rule, GLOBAL_RULE), received(container.id)).missing.length === 0;
    })),
    progress: () => receiver.events.length,
    intervalMs: 250,
  });
  second.kill('SIGTERM');
  assert.equal((await capturerExit(second, 'the second capturer to exit')).code, 0, `second run exits cleanly; stderr:\n${second.stderr()}`);

  containers.forEach(({ what, container, labels }, i) => {
    const { rule } = containerRule(labels, GLOBAL_RULE);
    assert.ok(rule);
    const expected = expectedRecords(daemon[i] ?? [], rule, GLOBAL_RULE);
    const got = received(container.id);
    const result = compareRecords(expected, got);
    t.diagnostic(`${signal} ${what}: ${atStop[i]} records before the stop, ${result.expected} expected, ${result.received} received, ${result.duplicated} again, ${result.missing.length} split`);
    assert.equal(result.outOfOrder, undefined, `${what}: order`);
    if (signal === 'SIGKILL') {
      assert.deepEqual(result.foreign, [], `${what}: a record that is not a whole group (a group was split by the kill)`);
      assert.deepEqual(result.missing, [], `${what}: a group never shipped whole`);
      // A record shipped again is named as the first time (event_id: its first line's), so a dedupe sink keeps it once.
      const ids = new Map<string, Set<unknown>>();
      for (const e of receiver.events.filter((r) => r.container_id === container.id)) {
        const k = recordKey(fromNdjson(e));
        ids.set(k, (ids.get(k) ?? new Set()).add(e.event_id));
      }
      assert.deepEqual([...ids].filter(([, set]) => set.size !== 1).map(([k]) => k.slice(0, 80)), [], `${what}: a record shipped again under another event_id`);
      assert.equal(new Set([...ids.values()].flatMap((set) => [...set])).size, ids.size, `${what}: two different records with one event_id`);
    } else {
      assert.equal(result.duplicated, 0, `${what}: nothing acknowledged is shipped again after a clean stop`);
      for (const stream of STREAMS) {
        assert.deepEqual(receivedLines(got, stream), daemonStreamLines(daemon[i] ?? [], stream), `${what} ${stream}: every line once, in order`);
        assert.ok(result.missing.filter((k) => k.startsWith(`${stream}|`)).length <= 1, `${what} ${stream}: at most the group open at the stop is split: ${result.missing.join('\n')}`);
      }
    }
  });
}

void describe('multiline across a restart of the capturer', () => {
  void it('SIGKILL mid-trace: every group shipped whole, re-read from its first line', async (t) => scenario(t, 'SIGKILL'));
  void it('SIGTERM mid-trace: open groups flushed and acknowledged, nothing twice', async (t) => scenario(t, 'SIGTERM'));
});
