// `log-capturer top` as a process, as an operator runs it, against a stand-in server answering
// recorded samples: the fallbacks when stdout is not a terminal, the token, and the message when
// the capturer cannot be reached.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freePort, startCapturerProcess } from '../../support/capturer-process.js';
import { startFakeCapturer } from './fake-capturer.js';

async function runTop(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startCapturerProcess(['top', ...args], { COLUMNS: '100', ...env });
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

const NO_TOKEN = { LOG_CAPTURER_SERVER_STATUS_TOKEN: '' };

void describe('log-capturer top (process)', () => {
  void it('stdout not a terminal: one plain frame, with rates from two samples, and exit 0', async () => {
    const capturer = await startFakeCapturer({ scenario: 'busy' });
    try {
      const { code, stdout, stderr } = await runTop(['--url', capturer.url, '--interval', '100ms'], NO_TOKEN);
      assert.equal(code, 0, stderr);
      assert.equal(stderr, '');
      assert.ok(!stdout.includes(String.fromCharCode(27)), 'no escape codes in a pipe');
      const lines = stdout.trimEnd().split('\n');
      assert.match(lines[0] ?? '', new RegExp(`^log-capturer 0\\.1\\.0  up \\d+s  ${capturer.url.replace(/\./g, '\\.')} +READY$`));
      // Numbers, not `-`: two samples were taken (their values depend on this run's clock).
      assert.match(stdout, /^in {9}[\d,.]+ lines\/s · [\d.]+ (B|KiB|MiB)\/s +acknowledged [\d,.]+ lines\/s · [\d.]+ (B|KiB|MiB)\/s$/m);
      assert.match(stdout, /^billing-import {2}(streaming|waiting) +[\d,.]+ +\d+\S* /m);
      assert.match(stdout, /^legacy-syslog {3}unreadable +0 +- .*read the logs/m);
      assert.equal(lines.filter((line) => line.startsWith('sorted by ')).length, 1, 'exactly one frame');
      assert.equal(lines.at(-1), 'sorted by lag, slowest first');
      for (const line of lines) assert.ok(line.length <= 100, `COLUMNS=100: ${line}`);
      assert.deepEqual(capturer.requests.map((r) => r.path).sort(), ['/metrics', '/metrics', '/status', '/status']);
    } finally {
      await capturer.close();
    }
  });

  void it('--json: one snapshot with the frame\'s numbers, containers in the frame\'s order, unknowns as null', async () => {
    const capturer = await startFakeCapturer({ scenario: 'receiver-down' });
    try {
      const { code, stdout, stderr } = await runTop(['--url', capturer.url, '--interval', '100ms', '--json', '--sort', 'name'], NO_TOKEN);
      assert.equal(code, 0, stderr);
      const snapshot = JSON.parse(stdout) as { ready: boolean; failing: string[]; rates: { linesAcknowledged: number }; containers: Array<{ name: string; lagSeconds: number | null }>; sortedBy: unknown; problem: unknown };
      assert.equal(snapshot.ready, false);
      assert.deepEqual(snapshot.failing, ['sink']);
      assert.equal(snapshot.rates.linesAcknowledged, 0);
      assert.deepEqual(snapshot.containers.map((c) => c.name), ['api', 'billing-import', 'cache-warmer', 'cron', 'legacy-syslog', 'migrate-db', 'web-frontend']);
      assert.equal(snapshot.containers.find((c) => c.name === 'legacy-syslog')?.lagSeconds, null);
      assert.deepEqual(snapshot.sortedBy, { key: 'name', reversed: false });
      assert.equal(snapshot.problem, null);
    } finally {
      await capturer.close();
    }
  });

  void it('a /status behind server.status_token: the token from the environment, sent to /status only, never printed', async () => {
    const token = 'top-secret-7f3a9c';
    const capturer = await startFakeCapturer({ scenario: 'busy', statusToken: token });
    try {
      const missing = await runTop(['--url', capturer.url, '--once'], NO_TOKEN);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, `log-capturer top: the capturer at ${capturer.url} protects /status with a token (server.status_token): set LOG_CAPTURER_SERVER_STATUS_TOKEN to it.\n`);
      const wrong = await runTop(['--url', capturer.url, '--once'], { LOG_CAPTURER_SERVER_STATUS_TOKEN: 'not-it' });
      assert.equal(wrong.code, 1);
      assert.equal(wrong.stderr, `log-capturer top: the capturer at ${capturer.url} refused the token in LOG_CAPTURER_SERVER_STATUS_TOKEN: it must equal the capturer's server.status_token.\n`);
      assert.doesNotMatch(wrong.stderr, /not-it/);
      const right = await runTop(['--url', capturer.url, '--once', '--interval', '100ms'], { LOG_CAPTURER_SERVER_STATUS_TOKEN: token });
      assert.equal(right.code, 0, right.stderr);
      assert.match(right.stdout, /^billing-import /m);
      assert.ok(!right.stdout.includes(token) && !right.stderr.includes(token), 'the token is never printed');
      for (const request of capturer.requests) {
        if (request.path === '/metrics') assert.equal(request.authorization, undefined, '/metrics gets no token');
      }
      assert.ok(capturer.requests.some((r) => r.path === '/status' && r.authorization === `Bearer ${token}`));
    } finally {
      await capturer.close();
    }
  });

  void it('an unreachable capturer: one line naming the address and what to check, exit 1, no stack', async () => {
    const port = await freePort();
    for (const args of [[], ['--once'], ['--json']]) {
      const { code, stdout, stderr } = await runTop(['--url', `http://127.0.0.1:${port}`, ...args], NO_TOKEN);
      assert.equal(code, 1);
      assert.equal(stdout, '');
      assert.equal(stderr, `log-capturer top: cannot reach the capturer at http://127.0.0.1:${port}: connection refused. Check that log-capturer is running, that its HTTP server is on (server.enabled) and listens on this address (server.listen, default 127.0.0.1:8001), and that nothing blocks the port; give another address with --url.\n`);
    }
  });

  void it('a server that is not a capturer: says so, names the address, exit 1', async () => {
    const capturer = await startFakeCapturer({ scenario: 'busy', statusCode: 404 });
    try {
      const { code, stderr } = await runTop(['--url', `${capturer.url}/`, '--once'], NO_TOKEN);
      assert.equal(code, 1);
      assert.equal(stderr, `log-capturer top: the server at ${capturer.url} answered GET /status with HTTP 404: is this log-capturer's HTTP server (server.listen)? Give its address with --url.\n`);
    } finally {
      await capturer.close();
    }
  });
});
