// The version reported by /status, read once from package.json (src/server and dist/server both sit
// two levels below it).
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function capturerVersion(): string {
  if (cached !== undefined) return cached;
  try {
    const parsed: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const version = typeof parsed === 'object' && parsed !== null ? (parsed as { version?: unknown }).version : undefined;
    cached = typeof version === 'string' ? version : 'unknown';
  } catch {
    cached = 'unknown';
  }
  return cached;
}
