// Records the /status and /metrics fixtures of test/cli/top/top-frame.test.ts from a live capturer
// on a real daemon, so the frames under test come from real answers, not from hand-written JSON.
// Run by hand (it takes about a minute) against a private daemon:
//   unset DOCKER_HOST; eval "$(bash test/support/docker-daemon.sh start /tmp/lc-dockerd-top)"
//   node --import tsx test/cli/top/record-fixtures.ts
// It writes fixtures/<scenario>-{1,2}.status.json, -{1,2}.metrics.txt and <scenario>.json (when
// each sample was taken): `busy` (a backlog being caught up behind a slow receiver, a stopped
// and an unreadable container) and `receiver-down` (the same, 35 s after the receiver stopped
// accepting connections: sink retrying and not ready).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capturerExit, freePort, startCapturerProcess, waitUntilServing, writeConfig } from '../../support/capturer-process.js';
import { removeQuietly, runContainer, testDocker } from '../../support/docker.js';
import { startStandInReceiver } from '../../support/stand-in-receiver.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const RUN_LABEL = 'lct.top-fixtures';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const docker = testDocker();
for (const info of await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } })) await removeQuietly(docker.getContainer(info.Id));

const receiver = await startStandInReceiver({ kind: 'vector' });
const stateDir = mkdtempSync(join(tmpdir(), 'lc-top-fixtures-'));
const labels = { [RUN_LABEL]: 'true' };
const containers = [
  // Up to 5,000 lines/s for about 30 s, most of it before the capturer starts, then a trickle: a backlog.
  await runContainer(docker, { name: 'billing-import', labels, script: 'i=0; while [ $i -lt 150000 ]; do echo "import row $i: account=$((i*7)) amount=$((i%997)).00 EUR status=ok"; i=$((i+1)); [ $((i%100)) -eq 0 ] && usleep 20000; done; while true; do echo "import idle"; usleep 200000; done' }),
  await runContainer(docker, { name: 'web-frontend', labels, script: 'i=0; while true; do echo "GET /product/$i 200 12ms"; i=$((i+1)); usleep 20000; done' }),
  await runContainer(docker, { name: 'api', labels, script: 'i=0; while true; do echo "handled request $i"; echo "slow query $i" >&2; i=$((i+1)); usleep 100000; done' }),
  await runContainer(docker, { name: 'cron', labels, script: 'while true; do echo "tick $(date)"; sleep 2; done' }),
  await runContainer(docker, { name: 'cache-warmer', labels, script: 'echo "warmed"; while true; do sleep 3600; done' }),
  await runContainer(docker, { name: 'migrate-db', labels, script: 'i=0; while [ $i -lt 50 ]; do echo "migration step $i"; i=$((i+1)); done' }),
  await runContainer(docker, { name: 'legacy-syslog', labels, logDriver: 'none', script: 'while true; do echo "lost to the none driver"; sleep 1; done' }),
];
// Let the backlog's lines age, so catching up shows as lag.
await sleep(25_000);
receiver.delayReplies(50);

const port = await freePort();
const capturer = startCapturerProcess(['--config', writeConfig({
  capture: { max_streams: 8, rotation_interval: '2s' },
  filters: { include_labels: [`${RUN_LABEL}=true`] },
  sink: { type: 'vector', url: receiver.url, batch: { linger: '100ms', max_events: 1000 }, retry: { max_backoff: '2s' } },
  checkpoint: { state_dir: stateDir },
  server: { listen: `127.0.0.1:${port}` },
  log: { level: 'error' },
})]);
const base = `http://127.0.0.1:${port}`;

async function record(scenario: string): Promise<void> {
  const times: number[] = [];
  for (const n of [1, 2]) {
    const [status, metrics] = await Promise.all([fetch(`${base}/status`).then((r) => r.text()), fetch(`${base}/metrics`).then((r) => r.text())]);
    times.push(Date.now());
    writeFileSync(join(FIXTURES, `${scenario}-${n}.status.json`), `${JSON.stringify(JSON.parse(status), null, 2)}\n`);
    writeFileSync(join(FIXTURES, `${scenario}-${n}.metrics.txt`), metrics);
    if (n === 1) await sleep(1000);
  }
  writeFileSync(join(FIXTURES, `${scenario}.json`), `${JSON.stringify({ sampledAt: times }, null, 2)}\n`);
  console.log(`recorded ${scenario}`);
}

try {
  await waitUntilServing(capturer, base);
  await sleep(6000);
  await record('busy');
  await receiver.refuseConnections();
  await sleep(35_000);
  await record('receiver-down');
} finally {
  capturer.kill('SIGTERM');
  await capturerExit(capturer);
  await Promise.all(containers.map(removeQuietly));
  await receiver.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
