// The recorded /status + /metrics answers of a live capturer (see record-fixtures.ts), as the
// samples `log-capturer top` would have taken.
import { readFileSync } from 'node:fs';
import type { Sample } from '../../../src/cli/top/capturer-client.js';
import { readMetrics } from '../../../src/cli/top/metrics-snapshot.js';
import { readStatus } from '../../../src/cli/top/status-snapshot.js';

export type Scenario = 'busy' | 'receiver-down';

const FIXTURES = new URL('./fixtures/', import.meta.url);

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

/** The two samples of a scenario, with the times they were taken. */
export function scenarioSamples(scenario: Scenario): [Sample, Sample] {
  const { sampledAt } = JSON.parse(fixtureText(`${scenario}.json`)) as { sampledAt: [number, number] };
  const sample = (n: 1 | 2): Sample => ({
    at: sampledAt[n - 1] as number,
    status: readStatus(JSON.parse(fixtureText(`${scenario}-${n}.status.json`))),
    metrics: readMetrics(fixtureText(`${scenario}-${n}.metrics.txt`)),
  });
  return [sample(1), sample(2)];
}
