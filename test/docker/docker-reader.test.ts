// DockerReader and LogFrameParser against the real daemon: what the daemon really sends, 404 and
// 501, and that destroying a follow response leaves no socket, listener or timer behind.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import type { ApiStream } from '../../src/docker/docker-api.js';
import { describe, it } from 'node:test';
import { sinceParam } from '../../src/capture/position.js';
import { DockerError } from '../../src/docker/docker-error.js';
import { DockerReader } from '../../src/docker/docker-reader.js';
import { LogFrameParser } from '../../src/docker/log-frame-parser.js';
import type { LogLine } from '../../src/docker/log-line.js';
import { daemonLines, removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import type { ReferenceLine } from '../support/docker.js';
import { waitFor } from '../support/wait-for.js';

function newReader(): DockerReader {
  return new DockerReader({ host: process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock', requestTimeoutMs: 30_000 });
}

async function readAll(response: ApiStream): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return chunks;
}

function parse(tty: boolean, pieces: Buffer[]): { lines: LogLine[]; errors: string[] } {
  const lines: LogLine[] = [];
  const errors: string[] = [];
  const parser = new LogFrameParser({ tty, maxLineBytes: 1024 * 1024, onLine: (l) => lines.push(l), onDaemonError: (e) => errors.push(e) });
  for (const piece of pieces) parser.push(piece);
  parser.end();
  return { lines, errors };
}

/** Splits into pieces of a few sizes, so the parser sees boundaries the socket did not happen to make. */
function resplit(whole: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < whole.length; at += size) pieces.push(whole.subarray(at, at + size));
  return pieces;
}

function assertMatchesOracle(lines: LogLine[], oracle: ReferenceLine[], context: string): void {
  assert.equal(lines.length, oracle.length, `${context}: line count`);
  lines.forEach((line, index) => {
    const expected = oracle[index] as ReferenceLine;
    assert.equal(line.timestamp, expected.timestamp, `${context}: timestamp of line ${index}`);
    assert.equal(line.stream, expected.stream, `${context}: stream of line ${index}`);
    assert.ok(line.message.equals(expected.message), `${context}: message of line ${index} (${line.message.length} vs ${expected.message.length} bytes)`);
    assert.equal(line.truncated, false);
  });
}

function socketCount(): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) count += 1;
    } catch {
      // closed while we looked
    }
  }
  return count;
}

void describe('DockerReader on the real daemon', () => {
  void it('pings, lists and inspects', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const reader = newReader();
    const name = uniqueName('inspect');
    const container = await runContainer(docker, { name, script: 'sleep 30', tty: true, labels: { team: 'h2' } });
    try {
      await reader.ping();
      const version = await reader.version();
      assert.match(version.apiVersion, /^1\.\d+$/);
      const listed = (await reader.listContainers()).find((c) => c.name === name);
      assert.deepEqual(listed, { id: container.id, name, running: true });
      const info = await reader.inspect(container.id);
      assert.equal(info.id, container.id);
      assert.equal(info.name, name);
      assert.equal(info.tty, true);
      assert.equal(info.running, true);
      assert.equal(info.labels.team, 'h2');
      assert.equal(info.logDriver, 'json-file');
      assert.ok(info.image.length > 0);
      assert.ok(reader.lastAnswerAt > 0);
    } finally {
      await removeQuietly(container);
      reader.close();
    }
  });

  void it('parses multiplexed logs exactly like the oracle: interleaved 40 KiB lines on stdout and stderr', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const reader = newReader();
    const script = [
      'echo first',
      'echo "to stderr" >&2',
      'echo',
      '(head -c 40000 /dev/zero | tr "\\0" a; echo) & (head -c 40000 /dev/zero | tr "\\0" b; echo) >&2 & wait',
      'head -c 16384 /dev/zero | tr "\\0" c; echo',
      'printf "no newline at the end"',
    ].join('; ');
    const container = await runContainer(docker, { script });
    try {
      await waitForExit(container);
      const oracle = await daemonLines(docker, container.id);
      const chunks = await readAll(await reader.openLogs(container.id, { follow: false }));
      const whole = Buffer.concat(chunks);
      const socketSplit = parse(false, chunks);
      assertMatchesOracle(socketSplit.lines, oracle, 'as the socket delivered it');
      assert.deepEqual(socketSplit.errors, []);
      for (const size of [1, 7, 31, 4096, 16_393]) assertMatchesOracle(parse(false, resplit(whole, size)).lines, oracle, `pieces of ${size}`);
      assert.ok(socketSplit.lines.some((l) => l.chunks === 3 && l.stream === 'stderr'), 'a 40 KiB stderr line in three frames');
      assert.equal(socketSplit.lines.at(-1)?.message.toString(), 'no newline at the end');
    } finally {
      await removeQuietly(container);
      reader.close();
    }
  });

  void it('parses TTY logs exactly like the oracle: 16 KiB entries, a `\\r\\n` split across entries, no final newline', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const reader = newReader();
    const script = [
      'echo hello',
      'echo',
      'head -c 40960 /dev/zero | tr "\\0" a; echo',
      'head -c 16383 /dev/zero | tr "\\0" x; echo',
      'head -c 16384 /dev/zero | tr "\\0" y; echo',
      'printf "abc"',
    ].join('; ');
    const container = await runContainer(docker, { script, tty: true });
    try {
      await waitForExit(container);
      const oracle = await daemonLines(docker, container.id);
      const chunks = await readAll(await reader.openLogs(container.id, { follow: false }));
      const whole = Buffer.concat(chunks);
      const socketSplit = parse(true, chunks);
      assert.deepEqual(socketSplit.errors, []);
      assertMatchesOracle(socketSplit.lines, oracle, 'as the socket delivered it');
      for (const size of [1, 30, 31, 16_384, 16_415]) assertMatchesOracle(parse(true, resplit(whole, size)).lines, oracle, `pieces of ${size}`);
      const messages = socketSplit.lines.map((l) => [l.message.length, l.chunks]);
      assert.deepEqual(messages, [[5, 1], [0, 1], [40960, 3], [16383, 2], [16384, 2], [3, 1]]);
    } finally {
      await removeQuietly(container);
      reader.close();
    }
  });

  void it('follows a running container until it stops, and honours since', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const reader = newReader();
    const container = await runContainer(docker, { script: 'for i in 1 2 3 4 5; do echo line-$i; sleep 0.3; done' });
    try {
      const followed = parse(false, await readAll(await reader.openLogs(container.id, { follow: true })));
      assert.deepEqual(followed.lines.map((l) => l.message.toString()), ['line-1', 'line-2', 'line-3', 'line-4', 'line-5']);
      // since is inclusive: from the third line's millisecond on, the third line comes again.
      const third = followed.lines[2] as LogLine;
      const sinceMs = Date.parse(`${third.timestamp.slice(0, 23)}Z`);
      const again = parse(false, await readAll(await reader.openLogs(container.id, { since: sinceParam({ sinceMs, skip: 0 }), follow: false })));
      assert.deepEqual(again.lines.map((l) => l.message.toString()), ['line-3', 'line-4', 'line-5']);
    } finally {
      await removeQuietly(container);
      reader.close();
    }
  });

  void it('answers 404 for a container that does not exist and 501 for --log-driver none', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const reader = newReader();
    const container = await runContainer(docker, { script: 'echo unreadable', logDriver: 'none' });
    try {
      const missing = randomBytes(32).toString('hex'); // a well-formed id no container has
      await assert.rejects(reader.inspect(missing), (e: unknown) => e instanceof DockerError && e.statusCode === 404);
      await assert.rejects(reader.openLogs(missing, { follow: true }), (e: unknown) => e instanceof DockerError && e.statusCode === 404);
      await assert.rejects(reader.openLogs(container.id, { follow: true }), (e: unknown) => e instanceof DockerError && e.statusCode === 501);
      assert.equal((await reader.inspect(container.id)).logDriver, 'none');
    } finally {
      await removeQuietly(container);
      reader.close();
    }
  });

  void it('closes the socket at once when a follow response is destroyed, leaving no timer or listener', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const container = await runContainer(docker, { script: 'while true; do echo tick; sleep 0.2; done' });
    const reader = newReader();
    try {
      const baselineSockets = socketCount();
      const baselineResources = process.getActiveResourcesInfo().sort();
      for (let round = 0; round < 20; round += 1) {
        const response = await reader.openLogs(container.id, { follow: true });
        const socket = response.socket;
        assert.ok(socket, 'a real daemon answers over a socket');
        await new Promise<void>((resolve) => response.once('data', () => resolve()));
        // Its own socket, not the process's count: other sockets (the test's dockerode keep-alive
        // ones) may close in the meantime on a loaded machine and hide this one in a total.
        assert.equal(socket.destroyed, false, 'the stream holds an open socket');
        response.destroy();
        await waitFor('the socket to be destroyed', { watch: () => socket.destroyed, until: (destroyed) => destroyed, intervalMs: 20 });
        assert.equal(response.listenerCount('data'), 0);
      }
      await waitFor('the socket count to return to its baseline', { watch: socketCount, until: (count) => count <= baselineSockets, intervalMs: 20 });
      // Settling, not asserting (the assertion follows): timers and handles go within a turn or
      // two of the event loop, so a list that has not changed for 15 s will not change any more.
      await waitFor('the active resources back at the baseline', {
        watch: () => process.getActiveResourcesInfo().sort(),
        until: (now) => JSON.stringify(now) === JSON.stringify(baselineResources),
        intervalMs: 20,
        stallMs: 15_000,
      }).catch(() => undefined);
      assert.deepEqual(process.getActiveResourcesInfo().sort(), baselineResources);
    } finally {
      reader.close();
      await removeQuietly(container);
    }
  });
});
