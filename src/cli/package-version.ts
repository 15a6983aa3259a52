// The version printed by --version: package.json's, read at run time so it cannot disagree.
import { readFileSync } from 'node:fs';

// Two levels up from both src/cli/ (tsx) and dist/cli/ (built).
const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

export function packageVersion(): string {
  const parsed = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : '0.0.0';
}
