import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import type { CliOverrides } from './cli-overrides.js';
import { ConfigError, formatProblem } from './config-errors.js';
import { configSchema } from './config-schema.js';
import { loadConfig } from './load-config.js';

const EXAMPLE = new URL('../../plugin-config/log-capturer.yaml', import.meta.url).pathname;

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'log-capturer-config-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The formatted problems of a load that must fail. */
async function problemsOf(load: Promise<unknown>): Promise<string[]> {
  try {
    await load;
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.ok(error.problems.length > 0);
    return error.problems.map(formatProblem);
  }
  assert.fail('the configuration was accepted');
}

void describe('loadConfig', () => {
  void it('without a file uses the built-in defaults', async () => {
    const config = await loadConfig({ env: {} });
    assert.deepEqual(config.docker, { host: 'unix:///var/run/docker.sock', requestTimeoutMs: 30_000 });
    assert.equal(config.sink.type, 'stdout');
    assert.equal(config.sink.url, undefined);
    assert.deepEqual(config.sink.batch, { maxEvents: 1000, maxBytes: 1_048_576, lingerMs: 1000 });
    assert.deepEqual(config.sink.retry, { initialBackoffMs: 250, maxBackoffMs: 30_000, configErrorBackoffMs: 30_000 });
    assert.deepEqual(config.capture, { maxStreams: 100, rotationIntervalMs: 300_000, pollIntervalMs: 1000, initialPosition: 'beginning', maxLineBytes: 1_048_576, hostName: hostname(), multiline: { timeoutMs: 1000, maxLines: 500, maxBytes: 1_048_576 }, eventIds: true });
    assert.deepEqual(config.buffer, { maxBytes: 64 * 1_048_576, resumeBytes: 32 * 1_048_576 });
    assert.deepEqual(config.server, { enabled: true, host: '127.0.0.1', port: 8001, maxConnections: 128 });
    assert.deepEqual(config.checkpoint, { stateDir: './.log-capturer-state', flushIntervalMs: 1000, deadLetterMaxBytes: 64 * 1_048_576 });
    assert.equal(config.filters.optOutLabel, 'log-capturer.enable');
    assert.deepEqual(config.filters.includeNames, []);
    assert.equal(config.shutdown.gracePeriodMs, 10_000);
    assert.equal(config.log.level, 'info');
  });

  void it('loads the example, which sets every top-level section of the schema', async () => {
    const sections = Object.keys(configSchema().properties ?? {});
    const example = parse((await import('node:fs')).readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(example).sort(), [...sections].sort());
    const config = await loadConfig({ file: EXAMPLE, env: {} });
    assert.equal(config.sink.type, 'vector');
    assert.equal(config.sink.url, 'http://127.0.0.1:8080/');
    assert.equal(config.docker.apiVersion, '1.41');
  });

  void it('reads JSON files and resolves units, listen addresses and optional sections', async () => {
    const file = writeConfig('full.json', JSON.stringify({
      docker: { host: 'https://docker.example:2376', tls: { ca_file: '/ca.pem' }, request_timeout: '1m30s' },
      capture: { max_line_bytes: 65_536, host_name: 'node-7' },
      sink: { type: 'fluentbit', url: 'http://127.0.0.1:9880/docker', auth: { username: 'u', password: 'p' }, compression: 'zstd', headers: { 'X-A': 'b' } },
      buffer: { max_bytes: '8MiB' },
      checkpoint: { dead_letter_max_bytes: '1MiB' },
      server: { listen: '[::1]:0', status_token: 'tok', max_connections: 16 },
    }));
    const config = await loadConfig({ file, env: {} });
    assert.deepEqual(config.docker, { host: 'https://docker.example:2376', tls: { caFile: '/ca.pem', verify: true }, requestTimeoutMs: 90_000 });
    assert.equal(config.capture.maxLineBytes, 65_536);
    assert.equal(config.capture.hostName, 'node-7');
    assert.deepEqual(config.sink.auth, { username: 'u', password: 'p' });
    assert.equal(config.sink.compression, 'zstd');
    assert.deepEqual(config.sink.headers, { 'X-A': 'b' });
    assert.deepEqual(config.buffer, { maxBytes: 8 * 1_048_576, resumeBytes: 4 * 1_048_576 });
    assert.equal(config.checkpoint.deadLetterMaxBytes, 1_048_576);
    assert.deepEqual(config.server, { enabled: true, host: '::1', port: 0, maxConnections: 16, statusToken: 'tok' });
  });

  void it('applies file < environment < flags', async () => {
    const file = writeConfig('precedence.yaml', 'sink:\n  type: vector\n  url: http://127.0.0.1:1/\ncheckpoint:\n  state_dir: /from-file\nlog:\n  level: warn\n');
    const env = { LOG_CAPTURER_SINK_URL: 'http://127.0.0.1:2/', LOG_CAPTURER_CHECKPOINT_STATE_DIR: '/from-env', LOG_CAPTURER_CAPTURE_MAX_STREAMS: '7' };
    const overrides: CliOverrides = { stateDir: '/from-flag', sink: 'fluentbit' };
    const config = await loadConfig({ file, env, overrides });
    assert.equal(config.sink.type, 'fluentbit');
    assert.equal(config.sink.url, 'http://127.0.0.1:2/');
    assert.equal(config.checkpoint.stateDir, '/from-flag');
    assert.equal(config.capture.maxStreams, 7);
    assert.equal(config.log.level, 'warn');
  });

  void it('uses DOCKER_HOST only when the file does not set docker.host', async () => {
    const env = { DOCKER_HOST: 'tcp://127.0.0.1:2375' };
    assert.equal((await loadConfig({ env })).docker.host, 'tcp://127.0.0.1:2375');
    const withHost = writeConfig('host.yaml', 'docker:\n  host: unix:///run/file.sock\n');
    assert.equal((await loadConfig({ file: withHost, env })).docker.host, 'unix:///run/file.sock');
    assert.equal((await loadConfig({ file: withHost, env: { ...env, LOG_CAPTURER_DOCKER_HOST: 'unix:///run/env.sock' } })).docker.host, 'unix:///run/env.sock');
    assert.equal((await loadConfig({ file: withHost, env, overrides: { dockerHost: 'unix:///run/flag.sock' } })).docker.host, 'unix:///run/flag.sock');
  });

  void it('accepts an Authorization header alone, and sink.auth alone', async () => {
    const header = writeConfig('auth-header.yaml', 'sink:\n  headers:\n    Authorization: Bearer abc\n');
    assert.deepEqual((await loadConfig({ file: header, env: {} })).sink.headers, { Authorization: 'Bearer abc' });
    const auth = writeConfig('auth-basic.yaml', 'sink:\n  auth:\n    username: u\n    password: p\n  headers:\n    X-Authorization-Hint: none\n');
    assert.deepEqual((await loadConfig({ file: auth, env: {} })).sink.auth, { username: 'u', password: 'p' });
  });

  void it('treats an empty value as the default', async () => {
    const file = writeConfig('empty.yaml', 'docker:\n  tls:\ncapture:\nsink:\n  url:\n');
    const config = await loadConfig({ file, env: {} });
    assert.equal(config.docker.tls, undefined);
    assert.equal(config.capture.maxStreams, 100);
  });
});

interface BrokenCase {
  name: string;
  yaml?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: CliOverrides;
  /** Each must be (part of) one problem line: it names source, path and what was expected. */
  expect: string[];
}

void describe('loadConfig refuses broken configurations', () => {
  const cases: BrokenCase[] = [
    {
      name: 'a wrong type',
      yaml: 'capture:\n  max_streams: many\n',
      expect: ['FILE: capture.max_streams: expected a whole number from 1 to 100000, got "many"'],
    },
    {
      name: 'an unknown key, with a did-you-mean',
      yaml: 'sink:\n  urll: http://127.0.0.1:8080/\n',
      expect: ['FILE: unknown key sink.urll; did you mean sink.url?'],
    },
    {
      name: 'an unknown section',
      yaml: 'sinks:\n  type: vector\n',
      expect: ['FILE: unknown key sinks; did you mean sink?'],
    },
    {
      name: 'a duration without a unit and one with a bad unit',
      yaml: 'capture:\n  rotation_interval: 300\nsink:\n  batch:\n    linger: 5 minutes\n',
      expect: [
        'FILE: capture.rotation_interval: expected a duration such as 250ms, 10s, 5m or 1m30s, got 300 (a duration needs a unit: write 300ms or 300s)',
        'FILE: sink.batch.linger: expected a duration such as 250ms, 10s, 5m or 1m30s, got "5 minutes" (units are ms, s, m and h)',
      ],
    },
    {
      name: 'a duration below its minimum',
      yaml: 'capture:\n  rotation_interval: 10ms\n',
      expect: ['FILE: capture.rotation_interval: expected a duration such as 250ms, 10s, 5m or 1m30s, got "10ms" (the smallest allowed duration is 100ms)'],
    },
    {
      name: 'bad URLs',
      yaml: 'docker:\n  host: ftp://docker\nsink:\n  type: vector\n  url: ftp://127.0.0.1/\n',
      expect: [
        'FILE: docker.host: expected a Docker host URL such as unix:///var/run/docker.sock or tcp://127.0.0.1:2375, got "ftp://docker" (scheme ftp is not supported',
        'FILE: sink.url: expected an http:// or https:// URL such as http://127.0.0.1:8080/, got "ftp://127.0.0.1/" (scheme ftp is not supported; use http or https)',
      ],
    },
    {
      name: 'negative and oversized sizes',
      yaml: 'sink:\n  batch:\n    max_bytes: "-5"\ncapture:\n  max_line_bytes: 1GiB\nbuffer:\n  max_bytes: -1\n',
      expect: [
        'FILE: sink.batch.max_bytes: expected a size such as 1MiB or 1048576, got "-5" (a size must be greater than zero)',
        'FILE: capture.max_line_bytes: expected a size such as 1MiB or 1048576, got "1GiB" (the largest allowed size is 64MiB)',
        'FILE: buffer.max_bytes: expected a size such as 1MiB or 1048576, got -1 (a size must be greater than zero)',
      ],
    },
    {
      name: 'vector without a url',
      yaml: 'sink:\n  type: vector\n',
      expect: ['FILE: sink.url: expected an http:// or https:// URL such as http://127.0.0.1:8080/, got nothing (sink.url is required when sink.type is vector or fluentbit: set it)'],
    },
    {
      name: 'fluentbit from a flag without a url, blamed on the flag',
      overrides: { sink: 'fluentbit' },
      expect: ['--sink: sink.url: expected an http:// or https:// URL'],
    },
    {
      name: 'a bad enum, with a did-you-mean',
      yaml: 'sink:\n  compression: gzipp\nlog:\n  level: verbose\n',
      expect: [
        'FILE: sink.compression: expected one of none, gzip, zstd, got "gzipp" (did you mean gzip?)',
        'FILE: log.level: expected one of trace, debug, info, warn, error, fatal, silent, got "verbose"',
      ],
    },
    {
      name: 'resume_bytes not below max_bytes',
      yaml: 'buffer:\n  max_bytes: 2MiB\n  resume_bytes: 2MiB\n',
      expect: ['FILE: buffer.resume_bytes: expected a size less than buffer.max_bytes (2MiB), got "2MiB" (lower buffer.resume_bytes or raise buffer.max_bytes)'],
    },
    {
      name: 'a bad listen address',
      yaml: 'server:\n  listen: localhost\n',
      expect: ['FILE: server.listen: expected host:port such as 127.0.0.1:8001 or [::1]:8001, got "localhost" (write host:port, with an IPv6 host in brackets)'],
    },
    {
      name: 'a port out of range from a flag',
      overrides: { listen: '127.0.0.1:70000' },
      expect: ['--listen: server.listen: expected host:port such as 127.0.0.1:8001 or [::1]:8001, got "127.0.0.1:70000" (a port is at most 65535)'],
    },
    {
      name: 'a YAML syntax error, with line and column',
      yaml: 'sink:\n  type: vector\n  url: "http://127.0.0.1:8080/\n',
      expect: ['FILE: syntax error at line 4, column 1: Missing closing "quote'],
    },
    {
      name: 'a key indented deeper than the one above it, at its own line (3), not the line above (2)',
      yaml: 'sink:\n  type: vector\n   url: http://127.0.0.1:8080/\n',
      expect: ['FILE: syntax error at line 3, column 4: this line is indented deeper than the key on line 2, so it reads as part of that value'],
    },
    {
      name: 'an over-indented line deeper in the file',
      yaml: 'sink:\n  auth:\n    username: u\n     password: S3cretPass\n',
      expect: ['FILE: syntax error at line 4, column 6: this line is indented deeper than the key on line 3'],
    },
    {
      name: 'a file that is a list',
      yaml: '- sink\n',
      expect: ['FILE: expected a mapping of sections (docker, capture, sink...), got a list'],
    },
    {
      name: 'environment variables with bad values',
      env: { LOG_CAPTURER_SINK_MAX_IN_FLIGHT: '100', LOG_CAPTURER_SERVER_ENABLED: 'maybe', LOG_CAPTURER_SHUTDOWN_GRACE_PERIOD: '10' },
      expect: [
        'environment variable LOG_CAPTURER_SINK_MAX_IN_FLIGHT: sink.max_in_flight: expected a whole number from 1 to 64, got 100',
        'environment variable LOG_CAPTURER_SERVER_ENABLED: server.enabled: expected true or false, got "maybe"',
        'environment variable LOG_CAPTURER_SHUTDOWN_GRACE_PERIOD: shutdown.grace_period: expected a duration such as 250ms, 10s, 5m or 1m30s, got "10" (a duration needs a unit: write 10ms or 10s)',
      ],
    },
    {
      name: 'an unknown environment variable',
      env: { LOG_CAPTURER_CAPTURE_MAX_STREAM: '5' },
      expect: ['environment variable LOG_CAPTURER_CAPTURE_MAX_STREAM: unknown variable; did you mean LOG_CAPTURER_CAPTURE_MAX_STREAMS?'],
    },
    {
      name: 'auth without a password',
      yaml: 'sink:\n  auth:\n    username: capturer\n',
      expect: ['FILE: sink.auth.password: expected a non-empty string, got nothing (sink.auth needs both username and password: set it)'],
    },
    {
      name: 'an Authorization header together with sink.auth',
      yaml: 'sink:\n  auth:\n    username: u\n    password: p\n  headers:\n    authorization: Bearer abc\n',
      expect: ['FILE: sink.headers.authorization: conflicts with sink.auth: both set the Authorization header (header names are compared without case); keep one of them'],
    },
    {
      name: 'an Authorization header from the environment, in capitals, together with sink.auth from the file',
      yaml: 'sink:\n  auth:\n    username: u\n    password: p\n',
      env: { LOG_CAPTURER_SINK_HEADERS: 'X-Team=logs,AUTHORIZATION=Bearer abc' },
      expect: ['environment variable LOG_CAPTURER_SINK_HEADERS: sink.headers.AUTHORIZATION: conflicts with sink.auth (from FILE): both set the Authorization header'],
    },
    {
      name: 'an Authorization header together with user:password in sink.url',
      yaml: 'sink:\n  headers:\n    Authorization: Bearer abc\n',
      overrides: { sink: 'vector', sinkUrl: 'http://alice:S3cretPass@127.0.0.1:9/' },
      expect: ['FILE: sink.headers.Authorization: conflicts with the user:password in sink.url (from --sink-url): both set the Authorization header'],
    },
    {
      name: 'a bad value in the file even where the environment overrides it',
      yaml: 'capture:\n  max_streams: 0\n',
      env: { LOG_CAPTURER_CAPTURE_MAX_STREAMS: '5' },
      expect: ['FILE: capture.max_streams: expected a whole number from 1 to 100000, got 0'],
    },
    {
      name: 'a missing file',
      expect: ['FILE: cannot read the configuration file: no such file'],
    },
  ];

  for (const [index, testCase] of cases.entries()) {
    void it(`reports ${testCase.name}`, async () => {
      const file = testCase.yaml !== undefined ? writeConfig(`broken-${index}.yaml`, testCase.yaml)
        : testCase.name === 'a missing file' ? join(dir, 'does-not-exist.yaml') : undefined;
      const problems = await problemsOf(loadConfig({ ...(file !== undefined ? { file } : {}), env: testCase.env ?? {}, overrides: testCase.overrides ?? {} }));
      for (const wanted of testCase.expect) {
        const line = wanted.replace('FILE', file ?? '');
        assert.ok(problems.some((p) => p.startsWith(line)), `no problem starts with:\n  ${line}\ngot:\n  ${problems.join('\n  ')}`);
      }
      assert.equal(problems.length, testCase.expect.length, `exactly the expected problems:\n  ${problems.join('\n  ')}`);
    });
  }

  void it('reports every problem of a file at once', async () => {
    const file = writeConfig('many.yaml', 'capture:\n  max_streams: 0\n  rotation_interval: 1\nsink:\n  type: vectr\n  urll: x\nserver:\n  listen: nope\n');
    const problems = await problemsOf(loadConfig({ file, env: {} }));
    assert.equal(problems.length, 5, problems.join('\n'));
  });

  void it('never shows a secret in any error', async () => {
    const secret = 'hunter2-Sup3rSecret';
    const file = writeConfig('secrets.yaml', [
      'sink:',
      '  auth:',
      `    password: ${secret}`,
      '    username: ""',
      '    extra: x',
      '  headers:',
      `    Authorization: [${secret}]`,
      `    X-Api-Key: ${secret}`,
      `    "bad header ${secret.slice(0, 3)}": x`,
      'server:',
      '  status_token: 12345',
      '',
    ].join('\n'));
    const env = { LOG_CAPTURER_SINK_AUTH_PASSWORD: '', LOG_CAPTURER_SERVER_STATUS_TOKEN: '', LOG_CAPTURER_SINK_AUTH_PASWORD: secret };
    const problems = await problemsOf(loadConfig({ file, env }));
    const text = problems.join('\n');
    assert.ok(!text.includes(secret), text);
    assert.ok(!text.includes('12345'), text);
    assert.match(text, /sink\.headers\.Authorization: expected a string, got \[redacted\]/);
    assert.match(text, /server\.status_token: expected a non-empty string, got \[redacted\]/);
    assert.match(text, /unknown variable; did you mean LOG_CAPTURER_SINK_AUTH_PASSWORD\?/);

    // A syntax error on the password's own line must not echo the line either.
    const broken = writeConfig('secret-syntax.yaml', `sink:\n  auth:\n    password: "${secret}\n`);
    const syntax = (await problemsOf(loadConfig({ file: broken, env: {} }))).join('\n');
    assert.match(syntax, /syntax error at line/);
    assert.ok(!syntax.includes(secret), syntax);
  });
});
