// What is wrong with a configuration, in words a person can act on: where it came from (file,
// environment variable, flag), which key, what was expected, what was found, how to fix it.
import { stripUrlCredentials, stripUrlValueCredentials } from '../utils/url-credentials.js';
import { REDACTED, isSecretPath } from './secrets.js';

export interface ConfigProblem {
  /** `plugin-config/x.yaml`, `environment variable LOG_CAPTURER_SINK_URL`, `--sink-url` */
  source: string;
  /** Dotted key path, `sink.batch.max_bytes`; empty for the whole file. */
  path: string;
  /** The whole sentence after the path, e.g. `expected a size such as 1MiB, got "-5" (...)`. */
  message: string;
}

export function formatProblem(problem: ConfigProblem): string {
  const text = problem.path === '' ? `${problem.source}: ${problem.message}` : `${problem.source}: ${problem.path}: ${problem.message}`;
  // Values are stripped where they are described (describeFound); this catches any other wording.
  return stripUrlCredentials(text);
}

/** Every problem found, not just the first: fixing a config should take one round. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`invalid configuration (${count}):\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const MAX_SHOWN = 80;

/** A found value as the user would recognise it; secrets and URL user information never shown. */
export function describeFound(value: unknown, path: readonly string[]): string {
  if (value === undefined) return 'nothing';
  if (isSecretPath(path)) return REDACTED;
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    // Before cutting: a cut could drop the @ that shows where a URL's password ends.
    const stripped = stripUrlValueCredentials(value);
    const shown = stripped.length > MAX_SHOWN ? `${stripped.slice(0, MAX_SHOWN)}...` : stripped;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

/** `expected X, got Y (note)`: the shape of almost every message. */
export function expectedGot(expected: string, found: string, note?: string): string {
  return `expected ${expected}, got ${found}${note === undefined ? '' : ` (${note})`}`;
}
