import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { schemaLeaves } from '../config/config-schema.js';
import { envVariableName } from '../config/env-overrides.js';
import { configReference } from './config-reference.js';
import { EXIT_CODE_MEANINGS } from './exit-codes.js';

const DOC = new URL('../../docs/configuration.md', import.meta.url);
const README = new URL('../../README.md', import.meta.url);
const SCHEMA = new URL('../../plugin-config/schema.json', import.meta.url);

void describe('docs/configuration.md', () => {
  void it('is exactly the reference generated from the schema (run npx tsx scripts/config-reference.ts)', () => {
    assert.equal(readFileSync(DOC, 'utf8'), configReference());
  });

  void it('documents every key, its environment variable and the exit codes', () => {
    const reference = configReference();
    for (const heading of ['## Configuration reference', '## Environment variables', '## Exit codes']) assert.ok(reference.includes(heading), heading);
    for (const { path, node } of schemaLeaves()) {
      assert.ok(reference.includes(`| \`${path.join('.')}\` |`), `${path.join('.')} has no row`);
      assert.ok(reference.includes(`| \`${envVariableName(path)}\` |`), `${envVariableName(path)} has no row`);
      assert.ok((node.description ?? '').length > 0, `${path.join('.')} has no description`);
    }
    assert.match(reference, /\| 2 \| usage or configuration error/);
  });

  void it("README's configuration summary names every section of the schema, and every exit code", () => {
    const readme = readFileSync(README, 'utf8');
    const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as { properties: Record<string, unknown> };
    const rows = [...readme.matchAll(/^\| `([a-z_]+)` \| /gm)].map((m) => m[1]);
    for (const section of Object.keys(schema.properties)) assert.ok(rows.includes(section), `README has no row for ${section}`);
    for (const { code } of EXIT_CODE_MEANINGS) assert.match(readme, new RegExp(`^\\| ${code} \\| `, 'm'), `README documents exit code ${code}`);
    assert.ok(readme.includes('docs/configuration.md'), 'README links the full reference');
  });
});
