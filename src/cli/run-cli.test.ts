import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CapturerConfig } from '../config/capturer-config.js';
import { ServerListenError } from '../server/http-server.js';
import { silentLogger } from '../utils/logger.js';
import type { CliIo } from './run-cli.js';
import { runCli } from './run-cli.js';

interface FakeProcess {
  io: CliIo;
  stdout: string[];
  stderr: string[];
  ran: CapturerConfig[];
  loggerLevels: string[];
}

function fakeProcess(runCapturer: (config: CapturerConfig) => Promise<number> = () => Promise.resolve(0), env: NodeJS.ProcessEnv = {}): FakeProcess {
  const fake: FakeProcess = {
    stdout: [],
    stderr: [],
    ran: [],
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

  void it('check-config prints a one-line summary and exits 0', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'sink:\n  type: fluentbit\n  url: http://127.0.0.1:9880/docker\ncapture:\n  max_streams: 1\n  rotation_interval: 1m30s\n');
    const fake = fakeProcess();
    assert.equal(await runCli(['check-config', file], fake.io), 0);
    assert.equal(fake.stdout.join(''), `${file}: valid (sink fluentbit -> http://127.0.0.1:9880/docker, 1 stream, rotation 1m30s)\n`);
    assert.equal(fake.ran.length, 0);
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
});
