// Issue #2: a container in the private daemon, the CLI with `--sink stdout`, and that
// container's lines in the output, as valid NDJSON records with Vector docker_logs field names.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { capturerExit, freePort, startCapturerProcess, waitUntilServing } from '../support/capturer-process.js';
import { daemonLines, removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { waitFor } from '../support/wait-for.js';

describe('log-capturer --sink stdout', () => {
  it("prints a container's lines as NDJSON records, and exits 0 on SIGTERM", async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const run = uniqueName('stdout');
    const container = await runContainer(docker, {
      name: run,
      labels: { 'lct.run': run, 'com.example.team': 'payments' },
      script: 'echo "hello from stdout"; echo "hello from stderr" >&2; printf "no newline at the end"',
    });
    const stateDir = mkdtempSync(join(tmpdir(), 'lc-state-'));
    t.after(async () => {
      await removeQuietly(container);
      rmSync(stateDir, { recursive: true, force: true });
    });
    await waitForExit(container);
    const info = await container.inspect();

    const port = await freePort();
    const capturer = startCapturerProcess(
      ['--sink', 'stdout', '--state-dir', stateDir, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'],
      { LOG_CAPTURER_FILTERS_INCLUDE_LABELS: `lct.run=${run}`, LOG_CAPTURER_CHECKPOINT_FLUSH_INTERVAL: '100ms' },
    );
    t.after(() => capturer.kill('SIGKILL'));
    await waitUntilServing(capturer, `http://127.0.0.1:${port}`);
    const lines = await waitFor('three records on stdout', {
      watch: () => capturer.stdout().split('\n').filter((l) => l.length > 0),
      until: (ls) => ls.length >= 3,
      failIf: () => capturer.exitedWith(),
    });
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    capturer.kill('SIGTERM');
    const exit = await capturerExit(capturer);
    assert.equal(exit.code, 0, `exit code after SIGTERM; stderr:\n${capturer.stderr()}`);

    const expected = await daemonLines(docker, info.Id);
    assert.deepEqual(
      records.map((r) => [r.stream, r.timestamp, r.message]),
      expected.map((l) => [l.stream, l.timestamp, l.message.toString('utf8')]),
    );
    for (const record of records) {
      assert.equal(record.container_id, info.Id);
      assert.equal(record.container_name, run);
      assert.equal(record.image, 'log-capturer-test/busybox:latest');
      assert.equal(record.container_created_at, info.Created);
      assert.equal(record.source_type, 'log_capturer');
      assert.deepEqual((record.label as Record<string, string>)['com.example.team'], 'payments');
      assert.equal(typeof record.host, 'string');
    }
    // Our own logs never mix into the data stream.
    assert.ok(!capturer.stdout().includes('"level"'), 'stdout carries records only');
  });
});
