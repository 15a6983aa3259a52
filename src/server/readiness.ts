// The /readyz verdict. A check passes when its component says it is fine now OR it succeeded within
// the window: the window absorbs short blips (a receiver restart, a daemon hiccup) so orchestrators
// do not flap, while a lasting outage turns the check red once the window has passed.
// Sink: "nothing to send" counts as ready (the sink reports ok), so an idle capturer is ready even
// before its first request; a configuration error is never excused by the window, and neither is
// a record that has waited longer than the window to be acknowledged: a receiver that holds a
// request open, or takes other batches while one never gets through, is not a working receiver.
// Capture: not ready while a container yields no line though it should (its streams deliver only
// undecodable bytes, or the daemon shows lines its follow stream never delivered; capture waits
// for that to persist before it says so, see capture/silence.ts). Such a capturer looks alive and
// loses every line of that container: an orchestrator should hold a rollout, and an operator see
// it. No window applies: the verdict is already about something that lasted.
import type { ServerSources } from './server-sources.js';
import { stripUrlCredentials } from '../utils/url-credentials.js';

export const DEFAULT_READINESS_WINDOW_MS = 30_000;

export interface ReadinessCheck {
  name: 'docker' | 'sink' | 'checkpoint' | 'capture';
  ok: boolean;
  detail: string;
}

export interface Readiness {
  ready: boolean;
  checks: ReadinessCheck[];
}

type HealthSources = Pick<ServerSources, 'dockerHealth' | 'sinkHealth' | 'checkpointHealthy' | 'captureHealth'>;

/** How many silent containers /readyz names (the rest are counted). */
const NAMED_SILENT = 5;

export function evaluateReadiness(sources: HealthSources, windowMs: number, now: number = Date.now()): Readiness {
  const checks = [
    guarded('docker', () => dockerCheck(sources, windowMs, now)),
    guarded('sink', () => sinkCheck(sources, windowMs, now)),
    guarded('checkpoint', () => checkpointCheck(sources)),
    guarded('capture', () => captureCheck(sources)),
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

function captureCheck(sources: HealthSources): ReadinessCheck {
  const health = sources.captureHealth();
  if (health.ok) return { name: 'capture', ok: true, detail: 'no container is silent' };
  const named = health.silent.slice(0, NAMED_SILENT).map((c) => `${c.name} (${c.reason} since ${c.since})`);
  const more = health.silent.length > NAMED_SILENT ? `, and ${health.silent.length - NAMED_SILENT} more` : '';
  const count = health.silent.length === 1 ? '1 container yields no log lines though it should' : `${health.silent.length} containers yield no log lines though they should`;
  return { name: 'capture', ok: false, detail: `${count}: ${named.join(', ')}${more} (see /status)` };
}
