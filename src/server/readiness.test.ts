import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateReadiness } from './readiness.js';
import type { CaptureHealth, DockerHealth, SinkHealth } from './server-sources.js';

const NOW = 1_800_000_000_000;
const WINDOW = 30_000;

function sources(docker: DockerHealth, sink: SinkHealth, checkpoint = true, capture: CaptureHealth = { ok: true, silent: [] }) {
  return { dockerHealth: () => docker, sinkHealth: () => sink, checkpointHealthy: () => checkpoint, captureHealth: () => capture };
}

void describe('evaluateReadiness', () => {
  void it('is ready when every component is ok', () => {
    const result = evaluateReadiness(sources({ ok: true, lastSuccessAt: NOW }, { ok: true, lastSuccessAt: 0 }), WINDOW, NOW);
    assert.equal(result.ready, true);
    assert.deepEqual(result.checks.map((c) => [c.name, c.ok]), [['docker', true], ['sink', true], ['checkpoint', true], ['capture', true]]);
  });

  void it('tolerates a failing component while its last success is within the window', () => {
    const result = evaluateReadiness(
      sources({ ok: false, lastSuccessAt: NOW - WINDOW, error: 'connect ENOENT' }, { ok: false, lastSuccessAt: NOW - 1_000 }),
      WINDOW, NOW,
    );
    assert.equal(result.ready, true);
  });

  void it('fails docker once its last answer is older than the window, naming why', () => {
    const result = evaluateReadiness(sources({ ok: false, lastSuccessAt: NOW - WINDOW - 1, error: 'connect ECONNREFUSED' }, { ok: true, lastSuccessAt: NOW }), WINDOW, NOW);
    assert.equal(result.ready, false);
    const docker = result.checks.find((c) => c.name === 'docker');
    assert.equal(docker?.ok, false);
    assert.match(docker?.detail ?? '', /ECONNREFUSED/);
    assert.match(docker?.detail ?? '', /30s ago/);
  });

  void it('fails a component that never succeeded and is not ok', () => {
    const result = evaluateReadiness(sources({ ok: true, lastSuccessAt: NOW }, { ok: false, lastSuccessAt: 0 }), WINDOW, NOW);
    assert.deepEqual(result.checks.filter((c) => !c.ok).map((c) => c.name), ['sink']);
    assert.match(result.checks[1]?.detail ?? '', /never/);
  });

  void it('fails the sink in a configuration-error state even when it looks ok and recent', () => {
    const result = evaluateReadiness(
      sources({ ok: true, lastSuccessAt: NOW }, { ok: true, lastSuccessAt: NOW, configError: 'receiver answered 401 for http://user:hunter2@vector:8080/' }),
      WINDOW, NOW,
    );
    assert.equal(result.ready, false);
    const sink = result.checks.find((c) => c.name === 'sink');
    assert.match(sink?.detail ?? '', /configuration error: receiver answered 401/);
    assert.doesNotMatch(sink?.detail ?? '', /hunter2/);
  });

  void it('fails the sink when the oldest unacknowledged record has waited longer than the window, however recent the last success', () => {
    const waiting = (ms: number) => evaluateReadiness(sources({ ok: true, lastSuccessAt: NOW }, { ok: true, lastSuccessAt: NOW - 1_000, oldestPendingAt: NOW - ms }), WINDOW, NOW);
    assert.equal(waiting(WINDOW).ready, true, 'within the window');
    const stuck = waiting(WINDOW + 5_000);
    assert.equal(stuck.ready, false);
    assert.match(stuck.checks.find((c) => c.name === 'sink')?.detail ?? '', /oldest record not yet acknowledged was read 35s ago; receiver last accepted 1s ago/);
  });

  void it('fails the checkpoint when positions cannot be written', () => {
    const result = evaluateReadiness(sources({ ok: true, lastSuccessAt: NOW }, { ok: true, lastSuccessAt: NOW }, false), WINDOW, NOW);
    assert.deepEqual(result.checks.filter((c) => !c.ok).map((c) => c.name), ['checkpoint']);
  });

  void it('treats a health callback that throws as a failed check without echoing its error', () => {
    const result = evaluateReadiness(
      { dockerHealth: () => { throw new Error('secret-ish detail'); }, sinkHealth: () => ({ ok: true, lastSuccessAt: NOW }), checkpointHealthy: () => true, captureHealth: () => ({ ok: true, silent: [] }) },
      WINDOW, NOW,
    );
    assert.equal(result.ready, false);
    assert.equal(result.checks[0]?.ok, false);
    assert.doesNotMatch(result.checks[0]?.detail ?? '', /secret-ish/);
  });

  void it('fails capture while a container is silent, naming a few and counting the rest', () => {
    const ok = { ok: true, lastSuccessAt: NOW };
    const one = evaluateReadiness(sources(ok, ok, true, { ok: false, silent: [{ name: 'web', reason: 'undecodable', since: '2026-11-29T00:00:00.000Z' }] }), WINDOW, NOW);
    assert.equal(one.ready, false);
    const check = one.checks.find((c) => c.name === 'capture');
    assert.equal(check?.ok, false);
    assert.equal(check?.detail, '1 container yields no log lines though it should: web (undecodable since 2026-11-29T00:00:00.000Z) (see /status)');
    const silent = Array.from({ length: 7 }, (_, i) => ({ name: `c${i}`, reason: 'not_delivered', since: 'then' }));
    const many = evaluateReadiness(sources(ok, ok, true, { ok: false, silent }), WINDOW, NOW).checks.find((c) => c.name === 'capture');
    assert.match(many?.detail ?? '', /^7 containers yield no log lines though they should: .*c4 \(not_delivered since then\), and 2 more \(see \/status\)$/);
  });
});
