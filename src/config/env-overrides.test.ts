import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schemaLeaves } from './config-schema.js';
import { coerceEnvValue, envVariableName, envVariables, readEnvOverrides } from './env-overrides.js';

void describe('environment variables', () => {
  void it('names one variable per schema leaf, upper-cased path joined by _', () => {
    assert.equal(envVariableName(['sink', 'url']), 'LOG_CAPTURER_SINK_URL');
    const names = [...envVariables().keys()];
    for (const expected of ['LOG_CAPTURER_SINK_URL', 'LOG_CAPTURER_SINK_AUTH_PASSWORD', 'LOG_CAPTURER_CAPTURE_MAX_STREAMS',
      'LOG_CAPTURER_SINK_BATCH_MAX_EVENTS', 'LOG_CAPTURER_CHECKPOINT_STATE_DIR', 'LOG_CAPTURER_DOCKER_TLS_CA_FILE', 'LOG_CAPTURER_SINK_HEADERS']) {
      assert.ok(names.includes(expected), `${expected} is missing`);
    }
    // No two keys may map to one name, or one of them could never be set.
    assert.equal(new Set(names).size, schemaLeaves().length);
  });

  void it('types values by the schema', () => {
    const leaf = (name: string) => {
      const found = envVariables().get(name);
      assert.ok(found, name);
      return found.node;
    };
    assert.equal(coerceEnvValue('42', leaf('LOG_CAPTURER_CAPTURE_MAX_STREAMS')), 42);
    assert.equal(coerceEnvValue('many', leaf('LOG_CAPTURER_CAPTURE_MAX_STREAMS')), 'many');
    assert.equal(coerceEnvValue('false', leaf('LOG_CAPTURER_SERVER_ENABLED')), false);
    assert.equal(coerceEnvValue('1', leaf('LOG_CAPTURER_SERVER_ENABLED')), true);
    assert.equal(coerceEnvValue('maybe', leaf('LOG_CAPTURER_SERVER_ENABLED')), 'maybe');
    assert.equal(coerceEnvValue('1048576', leaf('LOG_CAPTURER_SINK_BATCH_MAX_BYTES')), 1_048_576);
    assert.equal(coerceEnvValue('1MiB', leaf('LOG_CAPTURER_SINK_BATCH_MAX_BYTES')), '1MiB');
    assert.deepEqual(coerceEnvValue('web-*, api-* ,', leaf('LOG_CAPTURER_FILTERS_INCLUDE_NAMES')), ['web-*', 'api-*']);
    assert.deepEqual(coerceEnvValue('', leaf('LOG_CAPTURER_FILTERS_INCLUDE_NAMES')), []);
    assert.equal(coerceEnvValue('30', leaf('LOG_CAPTURER_SINK_BATCH_LINGER')), '30');
  });

  void it('reads variables into the file shape, ignoring empty and reserved ones', () => {
    const layer = readEnvOverrides({
      LOG_CAPTURER_SINK_URL: 'http://127.0.0.1:8080/',
      LOG_CAPTURER_SINK_BATCH_MAX_EVENTS: '10',
      LOG_CAPTURER_SINK_HEADERS: 'X-Team=logs, Authorization=Bearer abc',
      LOG_CAPTURER_LOG_LEVEL: '',
      LOG_CAPTURER_TEST_IMAGE: 'busybox',
      PATH: '/bin',
    });
    assert.deepEqual(layer.problems, []);
    assert.deepEqual(layer.values, {
      sink: { url: 'http://127.0.0.1:8080/', batch: { max_events: 10 }, headers: { 'X-Team': 'logs', Authorization: 'Bearer abc' } },
    });
    assert.deepEqual(layer.sources.map((s) => s.source).sort(), [
      'environment variable LOG_CAPTURER_SINK_BATCH_MAX_EVENTS', 'environment variable LOG_CAPTURER_SINK_HEADERS', 'environment variable LOG_CAPTURER_SINK_URL',
    ]);
  });

  void it('reports an unknown variable with a did-you-mean, and a bad header list without its value', () => {
    const layer = readEnvOverrides({ LOG_CAPTURER_SINK_URLL: 'x', LOG_CAPTURER_NONSENSE_ENTIRELY_DIFFERENT: 'y', LOG_CAPTURER_SINK_HEADERS: 'Bearer-s3cret' });
    const messages = layer.problems.map((p) => `${p.source}: ${p.message}`);
    assert.ok(messages.includes('environment variable LOG_CAPTURER_SINK_URLL: unknown variable; did you mean LOG_CAPTURER_SINK_URL?'), messages.join('\n'));
    assert.ok(messages.some((m) => m.startsWith('environment variable LOG_CAPTURER_NONSENSE_ENTIRELY_DIFFERENT: unknown variable; every variable is listed')));
    assert.ok(messages.some((m) => m.includes('LOG_CAPTURER_SINK_HEADERS') && m.includes('Name=value')));
    assert.ok(!messages.join('\n').includes('s3cret'));
  });
});
