// docs/configuration.md, generated from the schema (src/config/config-file-schema.ts: descriptions,
// defaults, bounds), the environment-variable mapping, the flags and the exit codes, so the
// documentation cannot drift from what the code accepts. `npx tsx scripts/config-reference.ts` rewrites it.
import { CLI_OPTIONS } from '../config/cli-overrides.js';
import { configSchema, isSection } from '../config/config-schema.js';
import type { SchemaNode } from '../config/config-schema.js';
import { ENV_RESERVED_PREFIX, envVariableName } from '../config/env-overrides.js';
import { expectedText } from '../config/schema-problems.js';
import { EXIT_CODE_MEANINGS } from './exit-codes.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function defaultText(node: SchemaNode): string {
  if (node['x-default-text'] !== undefined) return node['x-default-text'];
  const value = node.default;
  if (value === undefined) return 'unset';
  if (Array.isArray(value)) return value.length === 0 ? 'empty list' : `\`${value.join(',')}\``;
  if (typeof value === 'object' && value !== null) return Object.keys(value).length === 0 ? 'none' : `\`${JSON.stringify(value)}\``;
  return `\`${JSON.stringify(value)}\``.replace(/^`"(.*)"`$/, '`$1`');
}

function boundsText(node: SchemaNode): string {
  const bounds = node.duration ?? node.size;
  if (bounds === undefined) return '';
  const parts = [bounds.min === undefined ? '' : `at least ${bounds.min}`, bounds.max === undefined ? '' : `at most ${bounds.max}`].filter((p) => p !== '');
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function sectionTables(node: SchemaNode, prefix: string[], lines: string[]): void {
  const leaves = Object.entries(node.properties ?? {}).filter(([, child]) => !isSection(child));
  if (leaves.length > 0) {
    lines.push('| Key | Expects | Default | Description |', '|---|---|---|---|');
    for (const [key, child] of leaves) {
      const path = [...prefix, key].join('.');
      const secret = child['x-secret'] === true ? ' Secret: shown as [redacted] in errors.' : '';
      lines.push(`| \`${path}\` | ${cell(expectedText(child) + boundsText(child))} | ${cell(defaultText(child))} | ${cell((child.description ?? '') + secret)} |`);
    }
    lines.push('');
  }
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (!isSection(child)) continue;
    const path = [...prefix, key];
    const required = child.required === undefined ? '' : ` Required keys: ${child.required.map((r) => `\`${r}\``).join(', ')}.`;
    lines.push(`${'#'.repeat(Math.min(2 + path.length, 6))} \`${path.join('.')}\``, '', `${child.description ?? ''}${required}`, '');
    sectionTables(child, path, lines);
  }
}

function leafPaths(node: SchemaNode, prefix: string[] = []): string[][] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => (isSection(child) ? leafPaths(child, [...prefix, key]) : [[...prefix, key]]));
}

export function configReference(): string {
  const schema = configSchema();
  const lines: string[] = [
    '<!-- Generated from src/config/config-file-schema.ts by `npx tsx scripts/config-reference.ts`; do not edit by hand. -->',
    '',
    '## Configuration reference',
    '',
    'log-capturer reads one configuration file, YAML or JSON, given with `--config FILE` (without one it uses the defaults below: NDJSON on stdout from the local Docker daemon). ' +
      'Keys are snake_case; every key is optional, unknown keys are errors, and an empty value means the default. ' +
      'The JSON Schema is `plugin-config/schema.json`; a commented example setting every section is `plugin-config/log-capturer.yaml`. ' +
      'Check a file without starting anything: `log-capturer check-config FILE`.',
    '',
    '- **Durations** are strings with a unit: `250ms`, `10s`, `5m`, `1h`, `1m30s`. A bare number is refused, because `30` could mean milliseconds or seconds.',
    '- **Sizes** are a number of bytes (`512`) or a string with a unit: `64KiB`, `1MiB`, `1GiB` (1024-based) or `1KB`, `10MB`, `1GB` (1000-based). Sizes are greater than zero.',
    '- **Secrets** (`sink.auth.password`, `server.status_token`, and `sink.headers` whose name looks like authorization, cookie, token, key, secret or password) are never printed: errors show `[redacted]`. Nor is the `user:password` of a URL (`sink.url`, `docker.host`), valid or not: it is shown as `http://[redacted]@host/`.',
    '- Every problem is reported at once, each naming its source (file, environment variable or flag), the key, what was expected and what was found.',
    '',
  ];
  sectionTables(schema, [], lines);

  lines.push(
    '## Environment variables',
    '',
    'Sources, lowest precedence first:',
    '',
    '1. built-in defaults (the table above);',
    '2. `DOCKER_HOST` (the Docker CLI\'s own variable), for `docker.host` only, and only when the file does not set `docker.host`;',
    '3. the configuration file;',
    '4. `LOG_CAPTURER_*` variables;',
    '5. command-line flags.',
    '',
    'Every key has a variable: `LOG_CAPTURER_` followed by its path in upper case, joined by `_`. Values are typed by the schema: ' +
      'whole numbers, booleans (`true`/`false`, also `1`/`0`, `yes`/`no`, `on`/`off`), lists as comma-separated values (`web-*,api-*`), ' +
      '`LOG_CAPTURER_SINK_HEADERS` as comma-separated `Name=value` pairs. An empty variable counts as unset. ' +
      `An unknown \`LOG_CAPTURER_*\` variable is an error (with a suggestion); names starting with \`${ENV_RESERVED_PREFIX}\` are reserved for the test suite and ignored.`,
    '',
    '| Variable | Key |',
    '|---|---|',
    ...leafPaths(schema).map((path) => `| \`${envVariableName(path)}\` | \`${path.join('.')}\` |`),
    '',
    '### Command-line flags',
    '',
    '`log-capturer [--config FILE] [flags]` runs the capturer; `log-capturer check-config FILE` validates a file (exit 0 and a summary that includes the Docker host it will use and where that came from, or exit 2 and every problem on stderr). ' +
      '`--help` and `--version` print and exit 0.',
    '',
    '| Flag | Key |',
    '|---|---|',
    '| `--config FILE`, `-c FILE` | the configuration file |',
    ...CLI_OPTIONS.map((option) => `| \`${option.flag} ${option.valueName.toUpperCase()}\` | \`${option.path.join('.')}\` |`),
    '',
    '## Exit codes',
    '',
    '| Code | Meaning |',
    '|---|---|',
    ...EXIT_CODE_MEANINGS.map(({ code, meaning }) => `| ${code} | ${cell(meaning)} |`),
    '',
  );
  return lines.join('\n');
}
