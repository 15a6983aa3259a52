// Writes docs/configuration.md from the schema (`--check`: exit 1 when the file is out of date).
//   npx tsx scripts/config-reference.ts [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { configReference } from '../src/cli/config-reference.js';

const target = new URL('../docs/configuration.md', import.meta.url);
const generated = configReference();

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // a missing file is simply out of date
  }
  if (current !== generated) {
    console.error('docs/configuration.md is out of date: run npx tsx scripts/config-reference.ts');
    process.exit(1);
  }
} else {
  writeFileSync(target, generated);
  console.log(`wrote ${target.pathname}`);
}
