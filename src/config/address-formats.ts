// The address-like strings of the configuration: the Docker host, the sink URL and the listen
// address. Shared by the schema's formats (so ajv rejects them) and by resolution (which needs
// the parts).
import type { Parsed } from './units.js';

export interface ListenAddress {
  /** Without brackets: `::1`, `127.0.0.1`, `localhost`. */
  host: string;
  /** 0 = any free port. */
  port: number;
}

const LISTEN = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/;

/** `127.0.0.1:8001`, `localhost:8001`, `[::1]:8001`, `0.0.0.0:0`. */
export function parseListen(text: string): Parsed<ListenAddress> {
  const match = LISTEN.exec(text);
  if (match === null) return { ok: false, reason: 'write host:port, with an IPv6 host in brackets' };
  const port = Number(match[3]);
  if (port > 65535) return { ok: false, reason: 'a port is at most 65535' };
  return { ok: true, value: { host: (match[1] ?? match[2]) as string, port } };
}

const DOCKER_SCHEMES = new Set(['unix:', 'tcp:', 'http:', 'https:']);

/**
 * `alice:S3cret@host` parses as a URL whose scheme is `alice`: say what is missing instead of
 * naming that "scheme", which is the user name.
 */
function withoutSlashes(text: string, example: string): Parsed<URL> | undefined {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? undefined : { ok: false, reason: `not a URL: write scheme://..., e.g. ${example}` };
}

/** `unix:///var/run/docker.sock`, `tcp://host:2375`, `http://host:2375`, `https://host:2376`. */
export function checkDockerHost(text: string): Parsed<URL> {
  const missing = withoutSlashes(text, 'unix:///var/run/docker.sock or tcp://127.0.0.1:2375');
  if (missing !== undefined) return missing;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (!DOCKER_SCHEMES.has(url.protocol)) return { ok: false, reason: `scheme ${url.protocol.slice(0, -1)} is not supported; use unix, tcp, http or https` };
  if (url.protocol === 'unix:' && (url.pathname === '' || url.pathname === '/')) return { ok: false, reason: 'a unix:// host needs a socket path' };
  if (url.protocol !== 'unix:' && url.hostname === '') return { ok: false, reason: 'the host name is missing' };
  return { ok: true, value: url };
}

/** An http:// or https:// URL with a host. */
export function checkHttpUrl(text: string): Parsed<URL> {
  const missing = withoutSlashes(text, 'http://127.0.0.1:8080/');
  if (missing !== undefined) return missing;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: `scheme ${url.protocol.slice(0, -1)} is not supported; use http or https` };
  if (url.hostname === '') return { ok: false, reason: 'the host name is missing' };
  return { ok: true, value: url };
}
