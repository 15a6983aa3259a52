import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CapturerConfig } from '../config/capturer-config.js';
import { ServerListenError } from '../server/http-server.js';
import { UnsafeStateDirError } from '../ship/state-dir.js';
import { silentLogger } from '../utils/logger.js';
import type { CliIo } from './run-cli.js';
import { runCli } from './run-cli.js';
import type { TopOptions } from './top/top-options.js';

interface FakeProcess {
  io: CliIo;
  stdout: string[];
  stderr: string[];
  ran: CapturerConfig[];
  top: TopOptions[];
  loggerLevels: string[];
}

function fakeProcess(runCapturer: (config: CapturerConfig) => Promise<number> = () => Promise.resolve(0), env: NodeJS.ProcessEnv = {}): FakeProcess {
  const fake: FakeProcess = {
    stdout: [],
    stderr: [],
    ran: [],
    top: [],
    loggerLevels: [],
    io: {
      stdout: (text) => fake.stdout.push(text),
      stderr: (text) => fake.stderr.push(text),
      env,
      createLogger: (level) => {
        fake.loggerLevels.push(level);
        return silentLogger();
      },
      runCapturer: (config) => {
        fake.ran.push(config);
        return runCapturer(config);
      },
      runTop: (options) => {
        fake.top.push(options);
        return Promise.resolve(0);
      },
    },
  };
  return fake;
}

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'log-capturer-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

void describe('runCli', () => {
  void it('runs the capturer with the merged configuration and exits with its code', async () => {
    const file = join(dir, 'run.yaml');
    writeFileSync(file, 'sink:\n  type: vector\n  url: http://127.0.0.1:8080/\n');
    const fake = fakeProcess(() => Promise.resolve(0), { LOG_CAPTURER_CAPTURE_MAX_STREAMS: '3' });
    const code = await runCli(['--config', file, '--state-dir', '/tmp/state-x', '--listen', '[::1]:9000', '--log-level', 'debug', '--docker-host', 'tcp://127.0.0.1:2375'], fake.io);
    assert.equal(code, 0);
    assert.equal(fake.ran.length, 1);
    const config = fake.ran[0] as CapturerConfig;
    assert.equal(config.sink.url, 'http://127.0.0.1:8080/');
    assert.equal(config.checkpoint.stateDir, '/tmp/state-x');
    assert.equal(config.capture.maxStreams, 3);
    assert.deepEqual([config.server.host, config.server.port], ['::1', 9000]);
    assert.equal(config.docker.host, 'tcp://127.0.0.1:2375');
    assert.deepEqual(fake.loggerLevels, ['debug']);
  });

  void it('passes on the capturer exit code, and turns a crash into 1', async () => {
    assert.equal(await runCli([], fakeProcess(() => Promise.resolve(1)).io), 1);
    assert.equal(await runCli(['--sink', 'stdout'], fakeProcess(() => Promise.reject(new Error('boom'))).io), 1);
  });

  void it('reports an address the server cannot take as one line on stderr, exit 1', async () => {
    const fake = fakeProcess(() => Promise.reject(new ServerListenError('127.0.0.1:8001', 'EADDRINUSE', 'the address is already in use')));
    assert.equal(await runCli(['--sink', 'stdout'], fake.io), 1);
    const stderr = fake.stderr.join('');
    assert.equal(stderr.split('\n').filter((l) => l !== '').length, 1, stderr);
    assert.match(stderr, /^log-capturer: cannot listen on 127\.0\.0\.1:8001 .*--listen HOST:PORT/);
  });

  void it('exits 2 with the reason on stderr when the capturer refuses its state directory', async () => {
    const fake = fakeProcess(() => Promise.reject(new UnsafeStateDirError('/srv/state', 'checkpoint.state_dir "/srv/state" is writable by others (mode 0777): ...')));
    assert.equal(await runCli(['--state-dir', '/srv/state'], fake.io), 2);
    assert.equal(fake.stderr.join(''), 'log-capturer: checkpoint.state_dir "/srv/state" is writable by others (mode 0777): ...\n');
  });

  void it('exits 2 with every problem on stderr and never starts the capturer on a config error', async () => {
    const fake = fakeProcess(() => Promise.resolve(0), { LOG_CAPTURER_SINK_BATCH_LINGER: '5' });
    const code = await runCli(['--sink', 'vector', '--listen', 'nowhere'], fake.io);
    assert.equal(code, 2);
    assert.equal(fake.ran.length, 0);
    const stderr = fake.stderr.join('');
    assert.match(stderr, /invalid configuration \(3 problems\)/);
    assert.match(stderr, /--sink: sink\.url: expected an http/);
    assert.match(stderr, /--listen: server\.listen: expected host:port/);
    assert.match(stderr, /environment variable LOG_CAPTURER_SINK_BATCH_LINGER: sink\.batch\.linger: expected a duration/);
  });

  void it('exits 2 on an unknown flag or a stray argument', async () => {
    const unknown = fakeProcess();
    assert.equal(await runCli(['--sink-urll', 'x'], unknown.io), 2);
    assert.match(unknown.stderr.join(''), /unknown option '--sink-urll'/);
    assert.equal(await runCli(['extra'], fakeProcess().io), 2);
    assert.equal(unknown.ran.length, 0);
  });

  void it('check-config prints a summary and the Docker host it will use, and exits 0', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'sink:\n  type: fluentbit\n  url: http://127.0.0.1:9880/docker\ncapture:\n  max_streams: 1\n  rotation_interval: 1m30s\n');
    const fake = fakeProcess();
    assert.equal(await runCli(['check-config', file], fake.io), 0);
    assert.equal(fake.stdout.join(''), `${file}: valid (sink fluentbit -> http://127.0.0.1:9880/docker, 1 stream, rotation 1m30s)\n`
      + 'docker host: unix:///var/run/docker.sock (the built-in default; set DOCKER_HOST, docker.host, LOG_CAPTURER_DOCKER_HOST or --docker-host to change it)\n');
    assert.equal(fake.ran.length, 0);
  });

  void it('check-config says where the Docker host came from: defaults < DOCKER_HOST < file < LOG_CAPTURER_* < flags', async () => {
    const withHost = join(dir, 'docker-host.yaml');
    writeFileSync(withHost, 'docker:\n  host: unix:///run/file.sock\n');
    const withoutHost = join(dir, 'no-docker-host.yaml');
    writeFileSync(withoutHost, 'docker:\n  api_version: "1.41"\n');
    const dockerHost = { DOCKER_HOST: 'tcp://127.0.0.1:2375' };
    const cases: Array<{ file: string; env: NodeJS.ProcessEnv; flags?: string[]; line: string }> = [
      { file: withoutHost, env: {}, line: 'docker host: unix:///var/run/docker.sock (the built-in default; set DOCKER_HOST, docker.host, LOG_CAPTURER_DOCKER_HOST or --docker-host to change it)' },
      { file: withoutHost, env: dockerHost, line: 'docker host: tcp://127.0.0.1:2375 (from environment variable DOCKER_HOST)' },
      { file: withHost, env: dockerHost, line: `docker host: unix:///run/file.sock (from docker.host in ${withHost}; DOCKER_HOST=tcp://127.0.0.1:2375 is overridden)` },
      { file: withHost, env: { ...dockerHost, LOG_CAPTURER_DOCKER_HOST: 'unix:///run/env.sock' }, line: 'docker host: unix:///run/env.sock (from environment variable LOG_CAPTURER_DOCKER_HOST; DOCKER_HOST=tcp://127.0.0.1:2375 is overridden)' },
      { file: withHost, env: { LOG_CAPTURER_DOCKER_HOST: 'unix:///run/env.sock' }, flags: ['--docker-host', 'unix:///run/flag.sock'], line: 'docker host: unix:///run/flag.sock (from --docker-host)' },
    ];
    for (const { file, env, flags, line } of cases) {
      const fake = fakeProcess(() => Promise.resolve(0), env);
      assert.equal(await runCli([...(flags ?? []), 'check-config', file], fake.io), 0, fake.stderr.join(''));
      assert.equal(fake.stdout.join('').split('\n')[1], line);
    }
  });

  void it('check-config never prints the user:password of a URL, from any source, valid or not', async () => {
    const secret = 'S3cretPass';
    const fileWith = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const cases: Array<{ name: string; file: string; env?: NodeJS.ProcessEnv; flags?: string[]; code: number; shown: string }> = [
      { name: 'valid sink.url in the file', file: fileWith('v1.yaml', `sink:\n  type: vector\n  url: http://alice:${secret}@127.0.0.1:9/\n`), code: 0, shown: 'sink vector -> http://[redacted]@127.0.0.1:9/' },
      { name: 'valid sink.url from a variable', file: fileWith('v2.yaml', 'sink:\n  type: vector\n'), env: { LOG_CAPTURER_SINK_URL: `http://alice:${secret}@127.0.0.1:9/` }, code: 0, shown: 'http://[redacted]@127.0.0.1:9/' },
      { name: 'valid sink.url from a flag', file: fileWith('v3.yaml', ''), flags: ['--sink', 'vector', '--sink-url', `http://alice:${secret}@127.0.0.1:9/`], code: 0, shown: 'http://[redacted]@127.0.0.1:9/' },
      { name: 'valid sink.url with a space in the password', file: fileWith('v4.yaml', `sink:\n  type: vector\n  url: http://alice:${secret} x@127.0.0.1:9/\n`), code: 0, shown: 'sink vector -> http://[redacted]@127.0.0.1:9/' },
      { name: 'malformed sink.url (a / in the password) in the file', file: fileWith('m1.yaml', `sink:\n  type: vector\n  url: http://alice:S3c/retPass@127.0.0.1:9/\n`), code: 2, shown: 'got "http://[redacted]@127.0.0.1:9/" (not a URL)' },
      { name: 'malformed sink.url (port) from a variable', file: fileWith('m2.yaml', 'sink:\n  type: vector\n'), env: { LOG_CAPTURER_SINK_URL: `http://alice:${secret}@127.0.0.1:99999/` }, code: 2, shown: 'environment variable LOG_CAPTURER_SINK_URL: sink.url: expected an http:// or https:// URL such as http://127.0.0.1:8080/, got "http://[redacted]@127.0.0.1:99999/" (not a URL)' },
      { name: 'malformed sink.url (no //) from a flag', file: fileWith('m3.yaml', ''), flags: ['--sink', 'vector', '--sink-url', `alice:${secret}@127.0.0.1:9/`], code: 2, shown: 'got "[redacted]@127.0.0.1:9/" (not a URL: write scheme://..., e.g. http://127.0.0.1:8080/)' },
      { name: 'docker.host with user information in the file', file: fileWith('d1.yaml', `docker:\n  host: tcp://alice:${secret}@127.0.0.1:2375\n`), code: 0, shown: `docker host: tcp://[redacted]@127.0.0.1:2375 (from docker.host in ${join(dir, 'd1.yaml')})` },
      { name: 'docker.host with user information from DOCKER_HOST', file: fileWith('d2.yaml', ''), env: { DOCKER_HOST: `tcp://alice:${secret}@127.0.0.1:2375` }, code: 0, shown: 'docker host: tcp://[redacted]@127.0.0.1:2375 (from environment variable DOCKER_HOST)' },
      { name: 'an overridden DOCKER_HOST with user information', file: fileWith('d3.yaml', ''), env: { DOCKER_HOST: `tcp://alice:${secret}@127.0.0.1:2375` }, flags: ['--docker-host', 'unix:///run/x.sock'], code: 0, shown: 'DOCKER_HOST=tcp://[redacted]@127.0.0.1:2375 is overridden' },
      { name: 'malformed docker.host from a variable', file: fileWith('d4.yaml', ''), env: { LOG_CAPTURER_DOCKER_HOST: `tcp://alice:${secret}@127.0.0.1:99999` }, code: 2, shown: 'got "tcp://[redacted]@127.0.0.1:99999"' },
      { name: 'malformed docker.host from a flag', file: fileWith('d5.yaml', ''), flags: ['--docker-host', `alice:${secret}@127.0.0.1:2375`], code: 2, shown: '--docker-host: docker.host: expected a Docker host URL' },
    ];
    for (const testCase of cases) {
      const fake = fakeProcess(() => Promise.resolve(0), testCase.env ?? {});
      const code = await runCli([...(testCase.flags ?? []), 'check-config', testCase.file], fake.io);
      const printed = fake.stdout.join('') + fake.stderr.join('');
      assert.equal(code, testCase.code, `${testCase.name}: ${printed}`);
      assert.ok(!printed.includes(secret) && !printed.includes('S3c/ret'), `${testCase.name} printed the password:\n${printed}`);
      assert.ok(printed.includes(testCase.shown), `${testCase.name}: expected ${JSON.stringify(testCase.shown)} in\n${printed}`);
    }
  });

  void it('check-config exits 2 without a file argument', async () => {
    const fake = fakeProcess();
    assert.equal(await runCli(['check-config'], fake.io), 2);
    assert.match(fake.stderr.join(''), /missing required argument 'file'/);
  });

  void it('--help and --version exit 0 on stdout', async () => {
    const help = fakeProcess();
    assert.equal(await runCli(['--help'], help.io), 0);
    assert.match(help.stdout.join(''), /Usage: log-capturer/);
    assert.match(help.stdout.join(''), /check-config <file>/);
    assert.match(help.stdout.join(''), /Exit codes:/);
    const version = fakeProcess();
    assert.equal(await runCli(['--version'], version.io), 0);
    assert.match(version.stdout.join(''), /^\d+\.\d+\.\d+/);
  });

  void it('top hands its checked options on and exits with its code; a bad option is a usage error', async () => {
    const fake = fakeProcess();
    assert.equal(await runCli(['top', '--url', '127.0.0.1:9000', '--interval', '2s', '--sort', 'rate', '--json'], fake.io), 0);
    assert.equal(fake.top.length, 1);
    assert.equal(fake.top[0]?.url.href, 'http://127.0.0.1:9000/');
    assert.deepEqual([fake.top[0]?.intervalMs, fake.top[0]?.order.key, fake.top[0]?.json], [2000, 'rate', true]);
    assert.equal(fake.ran.length, 0, 'top does not start a capturer');
    const bad = fakeProcess();
    assert.equal(await runCli(['top', '--interval', 'soon'], bad.io), 2);
    assert.deepEqual(bad.top, []);
    assert.match(bad.stderr.join(''), /^log-capturer top: --interval: /);
    const help = fakeProcess();
    assert.equal(await runCli(['top', '--help'], help.io), 0);
    assert.match(help.stdout.join(''), /LOG_CAPTURER_SERVER_STATUS_TOKEN/);
  });
});
