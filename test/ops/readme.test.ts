// README statements that drift when the code changes, checked against the code and a running
// capturer: the endpoints, /status, the metrics, the exit codes, the alerts, the contracts and
// the test commands. (The configuration summary is checked in src/cli/config-reference.test.ts.)
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { EXIT_CODE_MEANINGS } from '../../src/cli/exit-codes.js';
import { freePort, startCapturerProcess, waitUntilServing } from '../support/capturer-process.js';
import type { CapturerProcess } from '../support/capturer-process.js';
import { START_DAEMON_COMMAND, removeQuietly, requireDocker, runContainer, uniqueName } from '../support/docker.js';
import { waitFor } from '../support/wait-for.js';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, ROOT), 'utf8');
const README = read('README.md');

/** The rows (cells, trimmed) of the first Markdown table after a heading. */
function tableAfter(heading: string): string[][] {
  const at = README.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `README has the heading ${heading}`);
  const lines = README.slice(at + heading.length + 2).split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(' | ').map((cell) => cell.trim()));
  }
  return rows.slice(2); // header and separator
}

/** Objects keyed by container id: their keys are data, not part of the shape. */
const MAPS_BY_CONTAINER = new Set(['acknowledged']);

/** The shape of a JSON value: object keys (recursively), the shape of an array's first element. */
function shape(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (MAPS_BY_CONTAINER.has(key)) return entries.length === 0 ? {} : { '<container id>': shape(entries[0]?.[1]) };
    return Object.fromEntries(entries.map(([k]) => k).sort().map((k) => [k, shape((value as Record<string, unknown>)[k], k)]));
  }
  return typeof value;
}

/** Keys present only in some answers (after an error): the README shows them, a healthy answer may not have them. */
const OPTIONAL_STATUS_KEYS = new Set(['lastError', 'error']);

function withoutOptional(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutOptional);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([key]) => !OPTIONAL_STATUS_KEYS.has(key)).map(([key, v]) => [key, withoutOptional(v)]));
  }
  return value;
}

void describe('README matches the code', () => {
  let capturer: CapturerProcess | undefined;
  let base = '';
  let stateDir = '';
  before(async () => {
    // The real program, no daemon needed: the server answers while capture retries.
    stateDir = mkdtempSync(join(tmpdir(), 'lc-readme-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    capturer = startCapturerProcess(['--sink', 'stdout', '--state-dir', stateDir, '--listen', `127.0.0.1:${port}`, '--log-level', 'silent'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    await waitUntilServing(capturer, base);
  });
  after(() => {
    capturer?.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  });

  void it('the endpoints table lists exactly the server\'s routes, and they answer as it says', async () => {
    const rows = tableAfter('### HTTP endpoints');
    const documented = rows.map((row) => /^`GET (\/[a-z]+)`$/.exec(row[0] ?? '')?.[1]).filter((path): path is string => path !== undefined).sort();
    const routes = [...read('src/server/http-server.ts').matchAll(/route\(app, '(\/[a-z]+)'/g)].map((m) => m[1] as string).sort();
    assert.ok(routes.length >= 4, `routes found in src/server/http-server.ts: ${routes.join(', ')}`);
    assert.deepEqual(documented, routes);
    for (const path of routes) assert.notEqual((await fetch(`${base}${path}`)).status, 404, `${path} answers`);
    assert.ok(rows.some((row) => row[0] === 'anything else'));
    const missing = await fetch(`${base}/nowhere`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: 'not found', path: '/nowhere' });
    const wrongMethod = await fetch(`${base}/healthz`, { method: 'POST' });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'GET, HEAD');
  });

  void it('the metrics table names every metric /metrics exports, with its type, and nothing else', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const exported = new Map([...text.matchAll(/^# TYPE (log_capturer_\S+) (\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]));
    const own = new Map([...exported].filter(([name]) => !name.startsWith('log_capturer_process_') && !name.startsWith('log_capturer_nodejs_')));
    assert.ok(exported.size > own.size, 'the default process metrics are exported too');
    const rows = tableAfter('### Metrics');
    const documented = new Map<string, string>();
    for (const row of rows) {
      const name = /^`(log_capturer_[a-z_]+)(\{[^}]*\})?`$/.exec(row[0] ?? '')?.[1];
      if (name !== undefined) documented.set(name, row[1] ?? '');
    }
    assert.ok(rows.some((row) => (row[0] ?? '').includes('log_capturer_process_*') && (row[0] ?? '').includes('log_capturer_nodejs_*')), 'a row for the default metrics');
    assert.deepEqual([...documented.keys()].sort(), [...own.keys()].sort(), 'README metrics table vs /metrics');
    for (const [name, type] of own) assert.equal(documented.get(name), type, `type of ${name}`);
  });

  void it('the exit codes table lists exactly the codes of src/cli/exit-codes.ts', () => {
    const documented = tableAfter('### Command line and exit codes').map((row) => Number(row[0]));
    assert.deepEqual(documented, EXIT_CODE_MEANINGS.map((m) => m.code));
  });

  void it('the alerts table lists exactly the rules of ops/prometheus-alerts.yml, with their severities', () => {
    const doc = parseYaml(read('ops/prometheus-alerts.yml')) as { groups: Array<{ rules: Array<{ alert: string; labels?: { severity?: string } }> }> };
    const rules = doc.groups.flatMap((g) => g.rules).map((r) => [r.alert, r.labels?.severity ?? '']).sort();
    const documented = tableAfter('### Alerts').map((row) => [(row[0] ?? '').replace(/`/g, ''), row[2] ?? '']).sort();
    assert.deepEqual(documented, rules);
  });

  void it('the contracts the tests follow are in docs/contracts, and README links them', () => {
    for (const page of ['vector-http-server.md', 'fluent-bit-http.md', 'docker-engine-logs.md']) {
      assert.ok(existsSync(new URL(`docs/contracts/${page}`, ROOT)), `docs/contracts/${page} exists`);
      assert.ok(README.includes(`(docs/contracts/${page})`), `README links docs/contracts/${page}`);
    }
    const standIn = read('test/support/stand-in-receiver.ts');
    assert.ok(standIn.includes('docs/contracts/vector-http-server.md') && standIn.includes('docs/contracts/fluent-bit-http.md'));
    for (const [file, text] of [['README.md', README], ['test/support/stand-in-receiver.ts', standIn]]) {
      assert.doesNotMatch(text ?? '', /shared\/contracts/, `${file} points outside the repository`);
    }
  });

  void it('the test commands are the ones the scripts print', () => {
    assert.ok(README.includes(START_DAEMON_COMMAND), 'README shows the start command');
    assert.ok(README.includes('bash test/support/docker-daemon.sh stop'), 'README shows the stop command');
    assert.ok(read('scripts/run-tests.mjs').includes(`'${START_DAEMON_COMMAND}'`), 'run-tests prints the same command');
  });

  void it('the /status example has the keys of a real /status answer', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const at = README.indexOf('`/status` answers like this');
    assert.ok(at >= 0, 'README shows a /status answer');
    const block = /```json\n([\s\S]*?)\n```/.exec(README.slice(at))?.[1];
    assert.ok(block !== undefined, 'a json block follows');
    const documented = JSON.parse(block) as unknown;

    const run = uniqueName('readme');
    const dir = mkdtempSync(join(tmpdir(), 'lc-readme-status-'));
    const container = await runContainer(docker, { labels: { 'lct.run': run }, script: 'echo one; echo two >&2; sleep 600' });
    const port = await freePort();
    const live = startCapturerProcess(['--sink', 'stdout', '--state-dir', dir, '--listen', `127.0.0.1:${port}`, '--log-level', 'silent'], { LOG_CAPTURER_FILTERS_INCLUDE_LABELS: `lct.run=${run}` });
    t.after(async () => {
      live.kill('SIGKILL');
      await removeQuietly(container);
      rmSync(dir, { recursive: true, force: true });
    });
    await waitUntilServing(live, `http://127.0.0.1:${port}`);
    const status = await waitFor('the container in /status with its lines', {
      watch: async () => (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { capture?: { containers?: Array<{ lines?: number }> }; ship?: { acknowledged?: Record<string, string> } },
      // ...and acknowledged, so that ship.acknowledged holds it.
      until: (body) => (body.capture?.containers?.[0]?.lines ?? 0) >= 2 && Object.keys(body.ship?.acknowledged ?? {}).length > 0,
      progress: (body) => [body.capture?.containers, body.ship?.acknowledged],
    });
    assert.deepEqual(shape(withoutOptional(documented)), shape(withoutOptional(status)), 'README /status keys vs a real answer (optional keys aside)');
  });
});
