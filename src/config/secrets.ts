// Which configuration values are secrets. They are replaced by [redacted] in every error, so a
// misconfigured password cannot leak into logs, terminals or CI output.
import { schemaNodeAt } from './config-schema.js';

export const REDACTED = '[redacted]';

/** Header names whose values grant access: Authorization, Cookie, X-Api-Key, X-Auth-Token... */
const SECRET_HEADER = /auth|cookie|token|secret|key|pass|session|credential/i;

export function isSecretHeaderName(name: string): boolean {
  return SECRET_HEADER.test(name);
}

/** True for `sink.auth.password`, `server.status_token` and secret-like `sink.headers.*`. */
export function isSecretPath(path: readonly string[]): boolean {
  if (path.length === 3 && path[0] === 'sink' && path[1] === 'headers') return isSecretHeaderName(path[2] as string);
  return schemaNodeAt(path)?.['x-secret'] === true;
}
