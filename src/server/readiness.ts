// The /readyz verdict. A check passes when its component says it is fine now OR it succeeded within
// the window: the window absorbs short blips (a receiver restart, a daemon hiccup) so orchestrators
// do not flap, while a lasting outage turns the check red once the window has passed.
// Sink: "nothing to send" counts as ready (the sink reports ok), so an idle capturer is ready even
// before its first request; a configuration error is never excused by the window, and neither is
// a record that has waited longer than the window to be acknowledged: a receiver that holds a
// request open, or takes other batches while one never gets through, is not a working receiver.
import type { ServerSources } from './server-sources.js';
import { stripUrlCredentials } from '../utils/url-credentials.js';

export const DEFAULT_READINESS_WINDOW_MS = 30_000;

export interface ReadinessCheck {
  name: 'docker' | 'sink' | 'checkpoint';
  ok: boolean;
  detail: string;
}

export interface Readiness {
  ready: boolean;
  checks: ReadinessCheck[];
}

type HealthSources = Pick<ServerSources, 'dockerHealth' | 'sinkHealth' | 'checkpointHealthy'>;

export function evaluateReadiness(sources: HealthSources, windowMs: number, now: number = Date.now()): Readiness {
  const checks = [
    guarded('docker', () => dockerCheck(sources, windowMs, now)),
    guarded('sink', () => sinkCheck(sources, windowMs, now)),
    guarded('checkpoint', () => checkpointCheck(sources)),
  ];
  return { ready: checks.every((check) => check.ok), checks };
}

/** A component whose health callback throws is not healthy; its error text is not echoed (it may hold anything). */
function guarded(name: ReadinessCheck['name'], check: () => ReadinessCheck): ReadinessCheck {
  try {
    return check();
  } catch {
    return { name, ok: false, detail: 'health check failed' };
  }
}

function withinWindow(lastSuccessAt: number, windowMs: number, now: number): boolean {
  return lastSuccessAt > 0 && now - lastSuccessAt <= windowMs;
}

function sinceText(lastSuccessAt: number, now: number): string {
  if (lastSuccessAt <= 0) return 'never';
  return `${Math.max(0, Math.round((now - lastSuccessAt) / 1000))}s ago`;
}

function dockerCheck(sources: HealthSources, windowMs: number, now: number): ReadinessCheck {
  const health = sources.dockerHealth();
  if (health.ok) return { name: 'docker', ok: true, detail: 'daemon answering' };
  const why = health.error ? `: ${stripUrlCredentials(health.error)}` : '';
  if (withinWindow(health.lastSuccessAt, windowMs, now)) {
    return { name: 'docker', ok: true, detail: `daemon last answered ${sinceText(health.lastSuccessAt, now)}, within the window${why}` };
  }
  return { name: 'docker', ok: false, detail: `daemon last answered ${sinceText(health.lastSuccessAt, now)}${why}` };
}

function sinkCheck(sources: HealthSources, windowMs: number, now: number): ReadinessCheck {
  const health = sources.sinkHealth();
  if (health.configError) {
    return { name: 'sink', ok: false, detail: `configuration error: ${stripUrlCredentials(health.configError)}` };
  }
  if (health.oldestPendingAt !== undefined && now - health.oldestPendingAt > windowMs) {
    return { name: 'sink', ok: false, detail: `the oldest record not yet acknowledged was read ${sinceText(health.oldestPendingAt, now)}; receiver last accepted ${sinceText(health.lastSuccessAt, now)}` };
  }
  if (health.ok) return { name: 'sink', ok: true, detail: 'receiver accepting (or nothing to send)' };
  if (withinWindow(health.lastSuccessAt, windowMs, now)) {
    return { name: 'sink', ok: true, detail: `receiver last accepted ${sinceText(health.lastSuccessAt, now)}, within the window` };
  }
  return { name: 'sink', ok: false, detail: `receiver last accepted ${sinceText(health.lastSuccessAt, now)}` };
}

function checkpointCheck(sources: HealthSources): ReadinessCheck {
  return sources.checkpointHealthy()
    ? { name: 'checkpoint', ok: true, detail: 'positions are being written' }
    : { name: 'checkpoint', ok: false, detail: 'positions cannot be written' };
}
