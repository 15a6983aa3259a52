// `log-capturer top`'s flags, checked before anything runs: a mistake is a usage error (exit 2)
// with a message saying what to write instead.
import { parseListen } from '../../config/address-formats.js';
import { parseDuration } from '../../config/units.js';
import type { SortKey, SortOrder } from './top-view.js';
import { SORT_KEYS } from './top-view.js';

export const DEFAULT_URL = 'http://127.0.0.1:8001';
export const DEFAULT_INTERVAL = '1s';
/** Faster than this, top would mostly measure its own requests. */
export const MIN_INTERVAL_MS = 100;

export interface TopOptions {
  url: URL;
  intervalMs: number;
  once: boolean;
  json: boolean;
  order: SortOrder;
}

export interface RawTopOptions {
  url?: string | undefined;
  interval?: string | undefined;
  once?: boolean | undefined;
  json?: boolean | undefined;
  sort?: string | undefined;
}

export type ParsedTopOptions = { ok: true; options: TopOptions } | { ok: false; problems: string[] };

/**
 * Without --url: the address the capturer itself would listen on when its LOG_CAPTURER_SERVER_LISTEN
 * is set here too (inside its container, say), a wildcard host meaning this machine; else the default.
 */
export function defaultUrl(env: NodeJS.ProcessEnv): string {
  const listen = env.LOG_CAPTURER_SERVER_LISTEN;
  if (listen === undefined || listen === '') return DEFAULT_URL;
  const parsed = parseListen(listen);
  if (!parsed.ok) return DEFAULT_URL;
  const { host, port } = parsed.value;
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

function parseUrl(text: string): URL | string {
  // `127.0.0.1:8001` as server.listen is written: http:// is implied.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return `--url: expected the capturer's address such as ${DEFAULT_URL}, got ${JSON.stringify(text)}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `--url: the capturer's server speaks http or https, not ${url.protocol.slice(0, -1)}`;
  return url;
}

export function parseTopOptions(raw: RawTopOptions, env: NodeJS.ProcessEnv): ParsedTopOptions {
  const problems: string[] = [];
  const url = parseUrl(raw.url ?? defaultUrl(env));
  if (typeof url === 'string') problems.push(url);
  const interval = parseDuration(raw.interval ?? DEFAULT_INTERVAL);
  if (!interval.ok) problems.push(`--interval: ${interval.reason}`);
  else if (interval.value < MIN_INTERVAL_MS) problems.push(`--interval: at least ${MIN_INTERVAL_MS}ms`);
  const sort = raw.sort ?? 'lag';
  if (!(SORT_KEYS as readonly string[]).includes(sort)) problems.push(`--sort: one of ${SORT_KEYS.join(', ')}, got ${JSON.stringify(sort)}`);
  if (raw.once === true && raw.json === true) problems.push('--once and --json: choose one (--once prints a frame, --json a snapshot)');
  if (problems.length > 0 || typeof url === 'string' || !interval.ok) return { ok: false, problems };
  return { ok: true, options: { url, intervalMs: interval.value, once: raw.once === true, json: raw.json === true, order: { key: sort as SortKey, reversed: false } } };
}
