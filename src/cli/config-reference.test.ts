import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { schemaLeaves } from '../config/config-schema.js';
import { envVariableName } from '../config/env-overrides.js';
import { configReference } from './config-reference.js';

const DOC = new URL('../../docs/configuration.md', import.meta.url);

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
});
