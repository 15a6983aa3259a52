// Tallies are plain integers; their counters show them only when scraped, and every series
// exists (at 0) before anything was counted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { Tally, scrapedCounter } from './scraped-counter.js';

async function sample(registry: Registry, line: string): Promise<number | undefined> {
  const text = await registry.metrics();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

void describe('scrapedCounter', () => {
  void it('reads its tallies at every scrape, per label set, starting at 0', async () => {
    const registry = new Registry();
    const stdout = new Tally();
    const stderr = new Tally();
    const bytes = new Tally();
    scrapedCounter({ name: 'test_lines_total', help: 'lines', labelNames: ['stream'] as const, registers: [registry] }, [
      { tally: stdout, labels: { stream: 'stdout' } },
      { tally: stderr, labels: { stream: 'stderr' } },
    ]);
    scrapedCounter({ name: 'test_bytes_total', help: 'bytes', registers: [registry] }, [{ tally: bytes }]);
    assert.equal(await sample(registry, 'test_lines_total{stream="stdout"}'), 0);
    assert.equal(await sample(registry, 'test_lines_total{stream="stderr"}'), 0);
    assert.equal(await sample(registry, 'test_bytes_total'), 0);
    stdout.count += 5;
    bytes.count += 100;
    assert.equal(await sample(registry, 'test_lines_total{stream="stdout"}'), 5);
    assert.equal(await sample(registry, 'test_lines_total{stream="stderr"}'), 0);
    assert.equal(await sample(registry, 'test_bytes_total'), 100);
    // Scraped again without news: no change; then only what was added since.
    assert.equal(await sample(registry, 'test_lines_total{stream="stdout"}'), 5);
    stdout.count += 2;
    stderr.count += 1;
    assert.equal(await sample(registry, 'test_lines_total{stream="stdout"}'), 7);
    assert.equal(await sample(registry, 'test_lines_total{stream="stderr"}'), 1);
  });

  void it('a tally that already counted when the counter is made starts the counter there, not at 0', async () => {
    const registry = new Registry();
    const early = new Tally();
    early.count = 3;
    scrapedCounter({ name: 'test_early_total', help: 'early', registers: [registry] }, [{ tally: early }]);
    early.count += 1;
    // What was counted before the counter existed is not the counter's: only the 1 after it.
    assert.equal(await sample(registry, 'test_early_total'), 1);
  });
});
