// LOG_CAPTURER_<SECTION>_<KEY> environment variables, one per leaf of the schema, typed by it:
// numbers, booleans, comma lists for lists, `Name=value` comma lists for sink.headers.
import { didYouMean } from './did-you-mean.js';
import type { ConfigProblem } from './config-errors.js';
import { setAt } from './config-layers.js';
import type { RawConfig } from './config-layers.js';
import { schemaLeaves } from './config-schema.js';
import type { SchemaLeaf, SchemaNode } from './config-schema.js';

export const ENV_PREFIX = 'LOG_CAPTURER_';
/** Variables the test suite uses (LOG_CAPTURER_TEST_IMAGE); never configuration. */
export const ENV_RESERVED_PREFIX = 'LOG_CAPTURER_TEST_';

export function envVariableName(path: readonly string[]): string {
  return `${ENV_PREFIX}${path.join('_').toUpperCase()}`;
}

let cachedVariables: Map<string, SchemaLeaf> | undefined;

/** Variable name -> the leaf it sets, in schema order. */
export function envVariables(): Map<string, SchemaLeaf> {
  cachedVariables ??= new Map(schemaLeaves().map((leaf) => [envVariableName(leaf.path), leaf]));
  return cachedVariables;
}

export function envSource(name: string): string {
  return `environment variable ${name}`;
}

function typesOf(node: SchemaNode): readonly string[] {
  if (node.type === undefined) return [];
  return typeof node.type === 'string' ? [node.type] : node.type;
}

/**
 * Text -> the type the schema wants. A value that does not convert stays a string so that
 * validation reports it against the variable, in the same words as a bad value in the file.
 */
export function coerceEnvValue(text: string, node: SchemaNode): unknown {
  const types = typesOf(node);
  const trimmed = text.trim();
  if (types.includes('integer') && /^-?\d+$/.test(trimmed)) return Number(trimmed);
  if (types.includes('boolean')) {
    const lower = trimmed.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lower)) return true;
    if (['false', '0', 'no', 'off'].includes(lower)) return false;
  }
  if (types.includes('array')) return trimmed === '' ? [] : trimmed.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return text;
}

/** `Name=value,Other=value` -> headers; entries without `=` are reported, values never shown. */
function parseHeaders(text: string, variable: string, problems: ConfigProblem[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue;
    const equals = entry.indexOf('=');
    if (equals <= 0) {
      problems.push({ source: envSource(variable), path: 'sink.headers', message: 'expected Name=value pairs separated by commas, got an entry without a name and "="' });
      continue;
    }
    headers[entry.slice(0, equals).trim()] = entry.slice(equals + 1).trim();
  }
  return headers;
}

export interface EnvLayer {
  /** The values the variables set, shaped like the file. */
  values: RawConfig;
  /** Which variable set which path, for error messages. */
  sources: { path: string[]; source: string }[];
  problems: ConfigProblem[];
}

/** Reads every LOG_CAPTURER_* variable; empty ones count as unset. */
export function readEnvOverrides(env: NodeJS.ProcessEnv): EnvLayer {
  const layer: EnvLayer = { values: {}, sources: [], problems: [] };
  const known = envVariables();
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(ENV_PREFIX) || name.startsWith(ENV_RESERVED_PREFIX)) continue;
    const text = env[name];
    if (text === undefined || text === '') continue;
    const leaf = known.get(name);
    if (leaf === undefined) {
      const guess = didYouMean(name, known.keys());
      layer.problems.push({
        source: envSource(name),
        path: '',
        message: guess === undefined
          ? 'unknown variable; every variable is listed in docs/configuration.md'
          : `unknown variable; did you mean ${guess}?`,
      });
      continue;
    }
    const value = leaf.path.join('.') === 'sink.headers' ? parseHeaders(text, name, layer.problems) : coerceEnvValue(text, leaf.node);
    setAt(layer.values, leaf.path, value);
    layer.sources.push({ path: leaf.path, source: envSource(name) });
  }
  return layer;
}
