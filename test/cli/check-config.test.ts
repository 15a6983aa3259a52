// The real executable: `node --import tsx src/cli/main.ts`, as a person or CI would run it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SAFETY_CAP_MS } from '../support/wait-for.js';

const ROOT = new URL('../../', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      // A clean environment: the test runner's own LOG_CAPTURER_* or DOCKER_HOST must not leak in.
      // No deadline a loaded machine could miss: the cap only ends a hung run.
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: SAFETY_CAP_MS },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(new Error(`could not run the CLI: ${error.message}`));
          return;
        }
        resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
      },
    );
  });
}

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'log-capturer-check-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

void describe('log-capturer check-config', () => {
  void it('accepts the shipped example with exit 0, a summary and the Docker host with its source', async () => {
    const run = await cli(['check-config', 'plugin-config/log-capturer.yaml']);
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
    assert.equal(run.stdout, 'plugin-config/log-capturer.yaml: valid (sink vector -> http://127.0.0.1:8080/, 100 streams, rotation 5m)\n'
      + 'docker host: unix:///var/run/docker.sock (the built-in default; set DOCKER_HOST, docker.host, LOG_CAPTURER_DOCKER_HOST or --docker-host to change it)\n');
  });

  void it('the shipped example leaves docker.host to $DOCKER_HOST', async () => {
    const run = await cli(['check-config', 'plugin-config/log-capturer.yaml'], { DOCKER_HOST: 'unix:///tmp/lc-private/docker.sock' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^docker host: unix:\/\/\/tmp\/lc-private\/docker\.sock \(from environment variable DOCKER_HOST\)$/m);
  });

  void it('never prints the password of a URL given by a variable or a flag, valid or malformed', async () => {
    const valid = await cli(['--sink-url', 'http://alice:S3cretPass@127.0.0.1:9/', 'check-config', 'plugin-config/log-capturer.yaml'], { DOCKER_HOST: 'tcp://alice:S3cretPass@127.0.0.1:2375' });
    assert.equal(valid.code, 0, valid.stderr);
    assert.ok(!`${valid.stdout}${valid.stderr}`.includes('S3cretPass'), valid.stdout);
    assert.match(valid.stdout, /sink vector -> http:\/\/\[redacted\]@127\.0\.0\.1:9\//);
    assert.match(valid.stdout, /^docker host: tcp:\/\/\[redacted\]@127\.0\.0\.1:2375 \(from environment variable DOCKER_HOST\)$/m);
    const malformed = await cli(['--docker-host', 'tcp://alice:S3cretPass@127.0.0.1:99999', 'check-config', 'plugin-config/log-capturer.yaml'], { LOG_CAPTURER_SINK_URL: 'http://alice:S3cretPass@127.0.0.1:99999/' });
    assert.equal(malformed.code, 2);
    assert.ok(!`${malformed.stdout}${malformed.stderr}`.includes('S3cretPass'), malformed.stderr);
    assert.match(malformed.stderr, /--docker-host: docker\.host: expected a Docker host URL .*, got "tcp:\/\/\[redacted\]@127\.0\.0\.1:99999"/);
    assert.match(malformed.stderr, /environment variable LOG_CAPTURER_SINK_URL: sink\.url: expected an http:\/\/ or https:\/\/ URL .*, got "http:\/\/\[redacted\]@127\.0\.0\.1:99999\/"/);
  });

  void it('refuses a broken file with exit 2 and every problem on stderr', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, [
      'capture:',
      '  max_streams: 0',
      'sink:',
      '  type: vector',
      '  urll: http://127.0.0.1:8080/',
      '  auth:',
      '    username: capturer',
      '    password: 99999',
      'buffer:',
      '  max_bytes: 1MiB',
      '  resume_bytes: 4MiB',
      '',
    ].join('\n'));
    const run = await cli(['check-config', file], { LOG_CAPTURER_LOG_LEVEL: 'chatty' });
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    const lines = run.stderr.trim().split('\n').slice(1).map((line) => line.trim());
    assert.match(run.stderr, /^log-capturer: invalid configuration \(6 problems\):\n/);
    // All of them, in any order.
    assert.deepEqual(lines.sort(), [
      `${file}: capture.max_streams: expected a whole number from 1 to 100000, got 0`,
      `${file}: unknown key sink.urll; did you mean sink.url?`,
      `${file}: sink.auth.password: expected a non-empty string, got [redacted]`,
      'environment variable LOG_CAPTURER_LOG_LEVEL: log.level: expected one of trace, debug, info, warn, error, fatal, silent, got "chatty"',
      `${file}: sink.url: expected an http:// or https:// URL such as http://127.0.0.1:8080/, got nothing (sink.url is required when sink.type is vector or fluentbit: set it)`,
      `${file}: buffer.resume_bytes: expected a size less than buffer.max_bytes (1MiB), got "4MiB" (lower buffer.resume_bytes or raise buffer.max_bytes)`,
    ].sort());
    assert.ok(!run.stderr.includes('99999'));
  });

  void it('exits 2 for a file that does not exist', async () => {
    const run = await cli(['check-config', join(dir, 'missing.yaml')]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /missing\.yaml: cannot read the configuration file: no such file/);
  });

  void it('prints help and the package version with exit 0', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: log-capturer \[options\] \[command\]/);
    assert.match(help.stdout, /--sink-url <url>/);
    const version = await cli(['--version']);
    assert.equal(version.code, 0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
  });

  void it('exits 2 on an unknown option', async () => {
    const run = await cli(['--sinks', 'vector']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown option '--sinks'/);
  });
});
