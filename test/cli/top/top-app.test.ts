// The live view's keys, through Ink with a fake terminal (ink-testing-library): sorting changes
// at once, new samples repaint, `q` ends the app.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { TopApp, ViewStore } from '../../../src/cli/top/top-app.js';
import { TopSession, sortRows } from '../../../src/cli/top/top-view.js';
import type { SortOrder, TopView } from '../../../src/cli/top/top-view.js';
import { waitFor } from '../../support/wait-for.js';
import { scenarioSamples } from './top-fixtures.js';
import type { Scenario } from './top-fixtures.js';

function viewOf(scenario: Scenario): TopView {
  const session = new TopSession('http://127.0.0.1:8001');
  const [first, second] = scenarioSamples(scenario);
  session.update(first);
  return session.update(second);
}

/** The container names of a frame's table, in order. */
function rowNames(frame: string | undefined): string[] {
  const lines = (frame ?? '').split('\n');
  const header = lines.findIndex((line) => line.startsWith('NAME '));
  return lines.slice(header + 1).filter((line) => /^\S+ +(streaming|waiting|stopped|unreadable)/.test(line)).map((line) => line.split(' ')[0] as string);
}

void describe('top live view', () => {
  void it('l, r and n sort (the same key again reverses), a new sample repaints, q quits', async () => {
    const store = new ViewStore(viewOf('busy'));
    const app = render(createElement(TopApp, { store, color: false, initialOrder: { key: 'lag', reversed: false } }));
    try {
      const frameMatching = async (what: RegExp): Promise<string> => (await waitFor(`a frame matching ${what}`, {
        watch: () => app.lastFrame() ?? '',
        until: (frame) => what.test(frame),
        intervalMs: 10,
      }));

      // The order itself is sortRows' (tested in top-view.test.ts); here: the keys pick it.
      const expected = (order: SortOrder): string[] => sortRows(store.get().containers, order).map((row) => row.name);
      let frame = await frameMatching(/sorted by lag, slowest first · keys: l lag, r rate, n name \(again: reverse\), q quit/);
      assert.deepEqual(rowNames(frame), expected({ key: 'lag', reversed: false }));
      app.stdin.write('r');
      frame = await frameMatching(/sorted by lines\/s, busiest first/);
      assert.deepEqual(rowNames(frame), expected({ key: 'rate', reversed: false }));
      app.stdin.write('r');
      frame = await frameMatching(/sorted by lines\/s, quietest first/);
      assert.deepEqual(rowNames(frame), expected({ key: 'rate', reversed: true }));
      app.stdin.write('l');
      frame = await frameMatching(/sorted by lag, slowest first/);
      assert.deepEqual(rowNames(frame), expected({ key: 'lag', reversed: false }));
      app.stdin.write('n');
      frame = await frameMatching(/sorted by name ·/);
      assert.deepEqual(rowNames(frame), ['api', 'billing-import', 'cache-warmer', 'cron', 'legacy-syslog', 'migrate-db', 'web-frontend']);
      app.stdin.write('n');
      frame = await frameMatching(/sorted by name, z to a/);
      assert.equal(rowNames(frame)[0], 'web-frontend');

      store.set(viewOf('receiver-down'));
      frame = await frameMatching(/NOT READY: sink/);
      assert.match(frame, /sorted by name, z to a/, 'the order chosen stays');

      app.stdin.write('q');
      await waitFor('the app to end (it stops listening to stdin)', { watch: () => app.stdin.listenerCount('readable'), until: (n) => n === 0, intervalMs: 10 });
      const frames = app.frames.length;
      store.set(viewOf('busy'));
      assert.equal(app.frames.length, frames, 'no frame after q');
    } finally {
      app.unmount();
    }
  });
});
