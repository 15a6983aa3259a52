import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixtureText } from '../../../test/cli/top/top-fixtures.js';
import { frameLines, frameText } from './frame-lines.js';
import { readMetrics } from './metrics-snapshot.js';
import { readStatus } from './status-snapshot.js';
import { TopSession } from './top-view.js';

const recorded = (): Record<string, unknown> => JSON.parse(fixtureText('busy-2.status.json')) as Record<string, unknown>;
const metrics = readMetrics(fixtureText('busy-2.metrics.txt'));

/** Every path to a value in a JSON document, e.g. ['capture', 'containers', 3, 'lines']. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof value !== 'object' || value === null) return [prefix];
  const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((item, i) => [i, item]) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, item]) => paths(item, [...prefix, key]))];
}

function replaced(path: Array<string | number>, replacement: unknown): unknown {
  const root = recorded();
  if (path.length === 0) return replacement;
  let parent = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (replacement === undefined) delete parent[last];
  else parent[last] = replacement;
  return root;
}

void describe('readStatus', () => {
  void it('reads a recorded /status answer', () => {
    const status = readStatus(recorded());
    assert.equal(status.version, '0.1.0');
    assert.equal(status.docker.ok, true);
    assert.match(status.docker.host ?? '', /^unix:\/\//);
    assert.equal(status.docker.kind, 'docker');
    assert.match(status.docker.version ?? '', /^\d+\.\d+/);
    assert.match(status.docker.apiVersion ?? '', /^1\.\d+$/);
    assert.equal(status.capture.pool.capacity, 8);
    assert.equal(typeof status.capture.pool.following, 'number');
    assert.deepEqual(status.capture.containers.map((c) => c.name).sort(), ['api', 'billing-import', 'cache-warmer', 'cron', 'legacy-syslog', 'migrate-db', 'web-frontend']);
    const unreadable = status.capture.containers.find((c) => c.name === 'legacy-syslog');
    assert.equal(unreadable?.state, 'unreadable');
    assert.match(unreadable?.lastError ?? '', /501/);
    assert.equal(status.ship.sink.kind, 'vector');
    assert.ok((status.ship.acknowledgedBytes ?? 0) > 0);
    assert.equal(status.ship.acknowledged.size, 6, 'every container but the unreadable one has an acknowledged line');
  });

  void it('never throws on a missing or mistyped field, anywhere, and the frame still renders with "-"', () => {
    const replacements: unknown[] = [undefined, null, 'text', -1, 1.5, true, {}, [], [null]];
    let checked = 0;
    for (const path of paths(recorded())) {
      for (const replacement of replacements) {
        const status = readStatus(replaced(path, replacement));
        const session = new TopSession('http://127.0.0.1:8001');
        session.update({ at: 1_000, status: readStatus(recorded()), metrics });
        const view = session.update({ at: 2_000, status, metrics });
        const text = frameText(frameLines(view, { width: 100, order: { key: 'lag', reversed: false } }));
        assert.match(text, /^log-capturer /, `frame for ${path.join('.')} = ${JSON.stringify(replacement)}`);
        checked += 1;
      }
    }
    assert.ok(checked > 500, `${checked} variants checked`);
  });

  void it('a body that is not an object gives a snapshot of unknowns, shown as "-"', () => {
    for (const body of [null, [], 'ok', 42, { capture: 'x', ship: [], docker: 7 }]) {
      const status = readStatus(body);
      assert.equal(status.version, undefined);
      assert.deepEqual(status.capture.containers, []);
      const view = new TopSession('http://x').update({ at: 0, status, metrics: readMetrics('') });
      const text = frameText(frameLines(view, { width: 80, order: { key: 'lag', reversed: false } }));
      assert.match(text, /^log-capturer - {2}up - {2}http:\/\/x\s+readiness -$/m);
      assert.match(text, /^docker {5}- {2}-$/m);
      assert.match(text, /no container is selected for capture/);
    }
  });

  void it('drops containers without an id or a name and repeated ones; shortens a missing name to the id', () => {
    const status = readStatus({ capture: { containers: [
      { state: 'streaming' },
      { id: '', name: '' },
      { id: 'a'.repeat(64), state: 'waiting' },
      { id: 'b', name: 'web', lines: '12', bytes: -5, state: 3 },
      { id: 'b', name: 'web again' },
      'not a container',
    ] } });
    assert.deepEqual(status.capture.containers.map((c) => [c.name, c.state, c.lines, c.bytes]), [['a'.repeat(12), 'waiting', undefined, undefined], ['web', undefined, undefined, undefined]]);
  });
});
