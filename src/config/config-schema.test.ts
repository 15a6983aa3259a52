import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CONFIG_FILE_SCHEMA } from './config-file-schema.js';
import { SCHEMA_PATH, configValidator, schemaJsonText } from './config-schema.js';

void describe('configuration schema', () => {
  void it('plugin-config/schema.json is exactly the schema defined in config-file-schema.ts (run npx tsx scripts/config-reference.ts)', () => {
    assert.equal(readFileSync(SCHEMA_PATH, 'utf8'), schemaJsonText());
    assert.deepEqual(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')), CONFIG_FILE_SCHEMA);
  });

  void it('narrows a valid file to the derived type, every defaulted key present', () => {
    const validate = configValidator();
    const file: unknown = { sink: { type: 'vector', url: 'http://127.0.0.1:8080/' } };
    assert.ok(validate(file), JSON.stringify(validate.errors));
    // These reads compile only because the type is derived from the schema (no cast, no `any`).
    assert.equal(file.sink.type, 'vector');
    assert.equal(file.sink.batch.linger, '1s');
    assert.deepEqual(file.sink.headers, {});
    assert.equal(file.docker.tls, undefined);
    assert.equal(file.docker.request_timeout, '30s');
    assert.equal(file.log.level, 'info');
  });
});
