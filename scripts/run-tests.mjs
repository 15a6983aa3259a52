#!/usr/bin/env node
// Runs node's own test runner over our TypeScript tests (through tsx).
// Node 20 cannot glob test files itself, so we list them here.
//   node scripts/run-tests.mjs            every test: src/, bench/ and test/ (**/*.test.ts)
//   node scripts/run-tests.mjs unit       only the unit tests beside the code (src/, bench/)
//   node scripts/run-tests.mjs integration  only test/ (needs a Docker daemon)
//   node scripts/run-tests.mjs FILE...    just those files
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
