// The oracle on Podman 4.3 (the private `podman system service` of test/support/podman-service.sh):
// with streams rotated every 100 ms while containers log, what capture hands on for each
// container is exactly what Podman returns for it without follow (test/support/podman.ts):
// zero lost, zero repeated, same order, same bytes, each line with its first part's stamp.
// Podman stamps to the second, filters `since` by real time, stamps the parts of a long line
// apart (8 KiB pipe reads, the `\n` sometimes alone; 4 KiB terminal reads), and frames TTY logs
// only on its /libpod/ endpoint: every scenario below leans on one of those.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type Docker from 'dockerode';
import { removeQuietly, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { podmanLines, requirePodman } from '../support/podman.js';
import { waitFor } from '../support/wait-for.js';
import { RUN_LABEL, assertMatchesLines, captureConfig, startEngine, waitUntilDrained } from '../capture/capture-harness.js';

interface Scenario {
  name: string;
  script: string;
  tty?: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'stdout-and-stderr',
    script: 'i=0; while [ $i -lt 1500 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); [ $((i % 300)) -eq 0 ] && sleep 0.2; done',
  },
  {
    // Thousands of lines share each second-stamp: skip counts carry the positions.
    name: 'same-second',
    script: 'for b in 1 2 3 4; do printf "burst line %s\\n" $(seq 1 3000); printf "err burst %s\\n" $(seq 1 300) >&2; sleep 0.4; done',
  },
  {
    // 45,000 and 41,000 bytes: 8 KiB parts (one pipe read each), interleaved stdout and stderr,
    // some with the newline in a frame of its own.
    name: 'long-lines',
    script: 'for i in 1 2 3 4 5 6 7 8; do head -c 45000 /dev/zero | tr "\\0" a; echo " end $i"; echo "short $i"; head -c 41000 /dev/zero | tr "\\0" b >&2; echo >&2; sleep 0.3; done',
  },
  {
    // A line whose parts are read in different seconds, while the other stream goes on.
    name: 'parts-across-seconds',
    script: '(for i in 1 2 3; do printf "slow %s begins " $i; sleep 1.1; printf "and ends\\n"; done) & for i in $(seq 1 400); do echo "fast $i" >&2; usleep 10000; done; wait',
  },
  {
    name: 'tty-crlf-and-long',
    tty: true,
    script: 'for i in 1 2 3 4 5; do seq 1 400; printf "carriage\\rinside\\n"; head -c 20000 /dev/zero | tr "\\0" t; echo; printf "%s\\n" "$(head -c 4094 /dev/zero | tr "\\0" s)"; sleep 0.2; done',
  },
  {
    name: 'tty-slow-writer',
    tty: true,
    script: 'for i in 1 2; do printf "abc"; sleep 1.2; printf "def\\n"; printf "x"; sleep 1.1; printf "\\n"; done',
  },
  {
    // Lines of 300,000 and 100,000 bytes: dozens of parts each, read across rotations and seconds.
    name: 'very-long-lines',
    script: 'for i in 1 2 3; do head -c 300000 /dev/zero | tr "\\0" v; echo " v$i"; echo "between $i"; head -c 100000 /dev/zero | tr "\\0" w >&2; echo >&2; usleep 300000; done',
  },
  {
    name: 'tty-very-long-lines',
    tty: true,
    script: 'for i in 1 2 3; do head -c 100000 /dev/zero | tr "\\0" T; echo " t$i"; echo "between $i"; usleep 300000; done',
  },
  {
    name: 'binary',
    script: 'for i in 1 2 3 4 5; do printf "bad \\377\\376 utf8 \\000 nul \\001\\002\\033[0m\\n"; dd if=/dev/urandom bs=1024 count=48 2>/dev/null; echo; sleep 0.1; done',
  },
];

async function runScenarios(t: TestContext, podman: Docker, host: string, scenarios: Scenario[], rotationIntervalMs: number): Promise<Map<string, { lines: number; rotations: number }>> {
  const run = uniqueName('poracle');
  const under = await startEngine(captureConfig(run, { rotationIntervalMs }, host));
  const containers: Array<{ scenario: Scenario; container: Docker.Container }> = [];
  try {
    assert.equal(under.engine.status().daemon.kind, 'podman', 'the engine knows it reads Podman');
    for (const scenario of scenarios) {
      const container = await runContainer(podman, { name: uniqueName(scenario.name), script: scenario.script, tty: scenario.tty ?? false, labels: { [RUN_LABEL]: run } });
      containers.push({ scenario, container });
    }
    for (const { container } of containers) assert.equal(await waitForExit(container), 0);
    await waitUntilDrained(under.engine, containers.map(({ container }) => container.id));
    const result = new Map<string, { lines: number; rotations: number }>();
    const status = new Map(under.engine.status().containers.map((c) => [c.id, c]));
    for (const { scenario, container } of containers) {
      const expected = await podmanLines(host, container.id);
      const lines = assertMatchesLines(expected, under.consumer, container.id, scenario.name);
      result.set(scenario.name, { lines, rotations: status.get(container.id)?.rotations ?? 0 });
      t.diagnostic(`${scenario.name}: captured ${under.consumer.of(container.id).length} lines, Podman has ${expected.length}; ${status.get(container.id)?.rotations ?? 0} rotations`);
      assert.equal(status.get(container.id)?.silent, undefined);
    }
    return result;
  } finally {
    await under.close();
    await Promise.all(containers.map(({ container }) => removeQuietly(container)));
  }
}

describe('capture oracle on Podman (real service)', () => {
  it('captures exactly Podman\'s lines with rotation every 100 ms', async (t) => {
    const found = await requirePodman(t);
    if (!found) return;
    const result = await runScenarios(t, found.podman, found.host, SCENARIOS, 100);
    for (const [name, { lines }] of result) assert.ok(lines >= 4, `${name} produced only ${lines} lines`);
    assert.ok([...result.values()].some((r) => r.rotations > 0), 'no stream was rotated during the run');
  });

  it('stays exact over 20+ rotations of one stream while it logs', async (t) => {
    const found = await requirePodman(t);
    if (!found) return;
    // The container logs until its stream has been rotated 20 times (ended by the test, not by a
    // count of lines a loaded machine may write faster than it rotates), then is stopped (TERM).
    const run = uniqueName('prot');
    const under = await startEngine(captureConfig(run, { rotationIntervalMs: 100 }, found.host));
    let container: Docker.Container | undefined;
    try {
      container = await runContainer(found.podman, {
        labels: { [RUN_LABEL]: run },
        script: 'trap "exit 0" TERM; i=0; while :; do echo "tick $i"; echo "tock $i" >&2; printf "burst %s\\n" $(seq 1 40); i=$((i+1)); usleep 20000; done',
      });
      const id = container.id;
      await waitFor('20 rotations of the stream while it logs', {
        watch: () => under.engine.status().containers.find((c) => c.id === id),
        until: (c) => (c?.rotations ?? 0) >= 20,
        progress: (c) => [c?.rotations, c?.lines],
      });
      await container.stop({ t: 5 });
      await waitForExit(container);
      await waitUntilDrained(under.engine, [id]);
      const expected = await podmanLines(found.host, id);
      const lines = assertMatchesLines(expected, under.consumer, id, 'long-runner');
      const rotations = under.engine.status().containers.find((c) => c.id === id)?.rotations ?? 0;
      t.diagnostic(`long-runner: ${lines} lines, ${rotations} rotations`);
      assert.ok(lines > 1000, `only ${lines} lines`);
    } finally {
      await under.close();
      if (container) await removeQuietly(container);
    }
  });
});
