// The oracle: with streams rotated every 100 ms while containers log, what capture hands on for
// each container is exactly what the daemon returns for it without follow: zero lost, zero
// repeated, same order, same bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { RUN_LABEL, assertMatchesDaemon, captureConfig, startEngine, waitUntilDrained } from './capture-harness.js';

interface Scenario {
  name: string;
  script: string;
  tty?: boolean;
}

// busybox sh only. Every output ends with a newline: an unterminated last line is the capturer's
// to emit at the stream's end, but the reference reader (non-follow) does not.
const SCENARIOS: Scenario[] = [
  {
    name: 'stdout-and-stderr',
    script: 'i=0; while [ $i -lt 1500 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); [ $((i % 300)) -eq 0 ] && sleep 0.2; done',
  },
  {
    name: 'long-lines',
    // 45,000 and 41,000 bytes: three 16 KiB chunks each, stdout and stderr interleaved.
    script: 'for i in 1 2 3 4 5 6 7 8; do head -c 45000 /dev/zero | tr "\\0" a; echo " end $i"; echo "short $i"; head -c 41000 /dev/zero | tr "\\0" b >&2; echo " end $i" >&2; sleep 0.1; done',
  },
  {
    name: 'tty-crlf',
    tty: true,
    script: 'for i in 1 2 3 4 5; do seq 1 400; printf "carriage\\rinside\\n"; sleep 0.1; done',
  },
  {
    name: 'identical-timestamps',
    // One printf per burst: the daemon stamps all its lines with the same time.
    script: 'for b in 1 2 3; do printf "burst line %s\\n" $(seq 1 2000); printf "err burst %s\\n" $(seq 1 200) >&2; sleep 0.2; done',
  },
  {
    // Long stderr lines arrive in 16 KiB frames while stdout lines a few ms newer complete in
    // between: a rotation then must not move the position past the unfinished stderr line.
    name: 'interleaved-partials',
    script: '(for i in $(seq 1 8); do head -c 20000 /dev/zero | tr "\\0" L; sleep 0.3; echo " long $i"; done) >&2 & for i in $(seq 1 1000); do echo "short $i"; usleep 2000; done; wait',
  },
  {
    name: 'binary',
    script: 'for i in 1 2 3 4 5; do printf "bad \\377\\376 utf8 \\000 nul \\001\\002\\033[0m\\n"; dd if=/dev/urandom bs=1024 count=48 2>/dev/null; echo; sleep 0.1; done',
  },
];

async function runScenarios(docker: Docker, scenarios: Scenario[], rotationIntervalMs: number): Promise<{ counts: Map<string, number>; rotations: Map<string, number> }> {
  const run = uniqueName('oracle');
  const config = captureConfig(run, { rotationIntervalMs });
  const under = await startEngine(config);
  const containers: Array<{ scenario: Scenario; container: Docker.Container }> = [];
  try {
    for (const scenario of scenarios) {
      const container = await runContainer(docker, { name: uniqueName(scenario.name), script: scenario.script, tty: scenario.tty ?? false, labels: { [RUN_LABEL]: run } });
      containers.push({ scenario, container });
    }
    for (const { container } of containers) assert.equal(await waitForExit(container), 0);
    await waitUntilDrained(under.engine, containers.map(({ container }) => container.id));
    const counts = new Map<string, number>();
    const rotations = new Map<string, number>();
    const status = new Map(under.engine.status().containers.map((c) => [c.id, c]));
    for (const { scenario, container } of containers) {
      counts.set(scenario.name, await assertMatchesDaemon(docker, under.consumer, container.id, scenario.name));
      rotations.set(scenario.name, status.get(container.id)?.rotations ?? 0);
    }
    return { counts, rotations };
  } finally {
    await under.close();
    await Promise.all(containers.map(({ container }) => removeQuietly(container)));
  }
}

describe('capture oracle (real daemon)', () => {
  it('captures exactly the daemon\'s lines with rotation every 100 ms', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const { counts, rotations } = await runScenarios(docker, SCENARIOS, 100);
    for (const [name, count] of counts) t.diagnostic(`${name}: ${count} lines, ${rotations.get(name)} rotations`);
    // The scenarios are meant to produce real work; an empty log would make the oracle vacuous.
    for (const [name, count] of counts) assert.ok(count > 10, `${name} produced only ${count} lines`);
    assert.ok([...rotations.values()].some((r) => r > 0), 'no stream was rotated during the run');
  });

  it('stays exact over 20+ rotations of one stream while it logs', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    // A rotation closes a stream only once it has delivered as many new lines as it read again
    // to get back to its position (every turn makes progress), so 20 rotations need about 20
    // late-write windows' worth of lines: 300 bursts of 42.
    const long: Scenario = {
      name: 'long-runner',
      script: 'i=0; while [ $i -lt 300 ]; do echo "tick $i"; echo "tock $i" >&2; printf "burst %s\\n" $(seq 1 40); i=$((i+1)); sleep 0.02; done',
    };
    const { counts, rotations } = await runScenarios(docker, [long], 100);
    t.diagnostic(`long-runner: ${counts.get('long-runner')} lines, ${rotations.get('long-runner')} rotations`);
    assert.ok((rotations.get('long-runner') ?? 0) >= 20, `only ${rotations.get('long-runner')} rotations`);
  });
});
