// Defence in depth for what the server prints: components should never hand us secrets, but a
// URL with `user:pass@` or a `password` field in a status snapshot must not leak if one does.
import { stripUrlCredentials } from '../utils/url-credentials.js';

const SECRET_KEY = /pass(word)?|secret|token|authorization|api[_-]?key|credential/i;

/** A copy of a JSON-able value with secret-looking keys replaced and URL credentials stripped. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return stripUrlCredentials(value);
  if (value === null || typeof value !== 'object' || depth > 32) return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = SECRET_KEY.test(key) && item !== undefined && item !== null ? '[redacted]' : redactSecrets(item, depth + 1);
  }
  return copy;
}
