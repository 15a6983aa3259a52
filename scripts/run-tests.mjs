#!/usr/bin/env node
// Runs node's own test runner over our TypeScript tests (through tsx).
// Node 20 cannot glob test files itself, so we list them here.
//   node scripts/run-tests.mjs            every test: src/, bench/ and test/ (**/*.test.ts)
//   node scripts/run-tests.mjs unit       only the unit tests beside the code (src/, bench/)
//   node scripts/run-tests.mjs integration  only test/ (needs a Docker daemon)
//   node scripts/run-tests.mjs FILE...    just those files
// Tests wait on progress, not on deadlines (test/support/wait-for.ts); the per-test cap below
// (TEST_TIMEOUT_MS, default 30 min) only ends a run that hangs outside any wait.
// At the end it says how many tests were skipped and why, and for the tests skipped for want of
// a Docker daemon, the command that starts one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(relative(root, path));
  }
  return found.sort();
}

const args = process.argv.slice(2);
let files;
const unit = () => [...findTests(join(root, 'src')), ...findTests(join(root, 'bench'))];
if (args.length === 0) files = [...unit(), ...findTests(join(root, 'test'))];
else if (args[0] === 'unit') files = unit();
else if (args[0] === 'integration') files = findTests(join(root, 'test'));
else files = args;

if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}

// Kept in step with test/support/docker.ts (START_DAEMON_COMMAND, NO_DAEMON_SKIP).
const START_DAEMON_COMMAND = 'eval "$(bash test/support/docker-daemon.sh start)"';
const STOP_DAEMON_COMMAND = 'bash test/support/docker-daemon.sh stop';
const NO_DAEMON_SKIP = 'no Docker daemon answers';

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const capMs = process.env.TEST_TIMEOUT_MS ?? String(30 * 60_000);
const reportDir = mkdtempSync(join(tmpdir(), 'lc-run-tests-'));
const skipFile = join(reportDir, 'skipped.ndjson');
const result = spawnSync(
  process.execPath,
  [
    '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${capMs}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts/skip-reporter.mjs')}`, `--test-reporter-destination=${skipFile}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);

let skipped = [];
try {
  skipped = readFileSync(skipFile, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line));
} catch {
  // no file: the run did not get as far as reporting
}
rmSync(reportDir, { recursive: true, force: true });
const noDaemon = skipped.filter((s) => s.reason.startsWith(NO_DAEMON_SKIP));
const other = skipped.filter((s) => !s.reason.startsWith(NO_DAEMON_SKIP));
if (noDaemon.length > 0) {
  const where = /answers at (\S+)/.exec(noDaemon[0].reason)?.[1] ?? 'DOCKER_HOST';
  console.log([
    '',
    `run-tests: ${noDaemon.length} integration test${noDaemon.length === 1 ? ' was' : 's were'} SKIPPED: no Docker daemon answers at ${where}.`,
    '  Start the private test daemon (as root on Debian it installs docker.io and busybox-static if missing),',
    '  then run the tests again in the same shell:',
    `    ${START_DAEMON_COMMAND}`,
    '    npm test',
    `  Stop it when you are done: ${STOP_DAEMON_COMMAND}`,
    '  (Under CI=true these tests fail instead of skipping.)',
  ].join('\n'));
}
if (other.length > 0) {
  console.log(`\nrun-tests: ${other.length} other test${other.length === 1 ? '' : 's'} skipped:`);
  for (const s of other) console.log(`  ${relative(root, s.file) || '?'}: ${s.name}${s.reason ? ` (${s.reason})` : ''}`);
}
process.exit(result.status ?? 1);
