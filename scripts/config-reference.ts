// Writes the files generated from the configuration schema (src/config/config-file-schema.ts):
// plugin-config/schema.json, for users' editors and tools, and docs/configuration.md, the reference.
// `--check`: write nothing, exit 1 when either is out of date (tests check the same).
//   npx tsx scripts/config-reference.ts [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { configReference } from '../src/cli/config-reference.js';
import { SCHEMA_PATH, schemaJsonText } from '../src/config/config-schema.js';

const generated: { target: URL; text: string }[] = [
  { target: SCHEMA_PATH, text: schemaJsonText() },
  { target: new URL('../docs/configuration.md', import.meta.url), text: configReference() },
];

function currentText(target: URL): string {
  try {
    return readFileSync(target, 'utf8');
  } catch {
    return ''; // a missing file is simply out of date
  }
}

let stale = 0;
for (const { target, text } of generated) {
  if (currentText(target) === text) continue;
  if (process.argv.includes('--check')) {
    console.error(`${target.pathname} is out of date: run npx tsx scripts/config-reference.ts`);
    stale += 1;
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${target.pathname}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
