// ajv's errors ("must be integer") rewritten as ConfigProblems a person can act on, each
// attributed to the file, variable or flag that set the value.
import type { ErrorObject } from 'ajv';
import { describeFound, expectedGot } from './config-errors.js';
import type { ConfigProblem } from './config-errors.js';
import { FORMAT_CHECKS, configSchema, isSection, schemaNodeAt } from './config-schema.js';
import type { SchemaNode } from './config-schema.js';
import { stripUrlValueCredentials } from '../utils/url-credentials.js';
import { didYouMean } from './did-you-mean.js';
import { DURATION_EXAMPLES, SIZE_EXAMPLES } from './units.js';

/** Where a value came from, by dotted path; see SourceMap. */
export interface SourceLookup {
  sourceOf(path: readonly string[]): string;
  sourceOfSection(section: readonly string[]): string;
}

function pathOf(instancePath: string): string[] {
  if (instancePath === '') return [];
  return instancePath.slice(1).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function rangeText(node: SchemaNode): string {
  const { minimum, maximum } = node;
  if (minimum !== undefined && maximum !== undefined) return `a whole number from ${minimum} to ${maximum}`;
  if (minimum !== undefined) return `a whole number of at least ${minimum}`;
  if (maximum !== undefined) return `a whole number of at most ${maximum}`;
  return 'a whole number';
}

/** What a key wants, in plain words, from its schema. */
export function expectedText(node: SchemaNode | undefined): string {
  if (node === undefined) return 'a known key';
  if (node.duration !== undefined) return DURATION_EXAMPLES;
  if (node.size !== undefined) return SIZE_EXAMPLES;
  if (node['x-expected'] !== undefined && node.type !== 'object') return node['x-expected'];
  if (node.enum !== undefined) return `one of ${node.enum.join(', ')}`;
  if (node.type === 'integer') return rangeText(node);
  if (node.type === 'boolean') return 'true or false';
  if (node.type === 'array') return 'a list of strings';
  if (node.type === 'object') return isSection(node) ? `a mapping of keys (${Object.keys(node.properties ?? {}).join(', ')})` : 'a mapping of names to strings';
  if (node.type === 'string') return node.minLength !== undefined ? 'a non-empty string' : 'a string';
  return 'a valid value';
}

/**
 * For a key required by an if/then (sink.url when sink.type is vector), the keys the `if` tests:
 * the layer that set those made the missing key necessary.
 */
function conditionKeys(schemaPath: string): readonly string[] {
  const at = schemaPath.lastIndexOf('/then/');
  if (at < 0) return [];
  let node: unknown = configSchema();
  for (const part of `${schemaPath.slice(2, at)}/if`.split('/')) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  }
  return (node as SchemaNode | undefined)?.required ?? [];
}

function problemFor(error: ErrorObject, sources: SourceLookup): ConfigProblem | undefined {
  const path = pathOf(error.instancePath);
  const node = schemaNodeAt(path);
  const dotted = path.join('.');
  const found = describeFound(error.data, path);
  const params = error.params as Record<string, unknown>;
  const at = (message: string): ConfigProblem => ({ source: sources.sourceOf(path), path: dotted, message });

  switch (error.keyword) {
    case 'if': // the `then` branch's own error says what is missing
      return undefined;
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const full = [...path, key];
      const siblings = Object.keys(node?.properties ?? {});
      const guess = didYouMean(key, siblings);
      const hint = guess === undefined ? `known keys here: ${siblings.join(', ')}` : `did you mean ${[...path, guess].join('.')}?`;
      return { source: sources.sourceOf(full), path: '', message: `unknown key ${full.join('.')}; ${hint}` };
    }
    case 'required': {
      const missing = [...path, String(params.missingProperty)];
      const why = (error.parentSchema as SchemaNode | undefined)?.['x-why'];
      const trigger = conditionKeys(error.schemaPath);
      return {
        source: trigger.length > 0 ? sources.sourceOf([...path, ...trigger.slice(0, 1)]) : sources.sourceOfSection(path),
        path: missing.join('.'),
        message: expectedGot(expectedText(schemaNodeAt(missing)), 'nothing', why === undefined ? 'set it' : `${why}: set it`),
      };
    }
    case 'type': {
      const note = node?.duration !== undefined && typeof error.data === 'number'
        ? `a duration needs a unit: write ${error.data}ms or ${error.data}s`
        : undefined;
      return at(expectedGot(expectedText(node), found, note));
    }
    case 'duration':
    case 'size':
      return at(expectedGot(expectedText(node), found, String(params.reason)));
    case 'enum': {
      const guess = typeof error.data === 'string' ? didYouMean(error.data, node?.enum ?? []) : undefined;
      return at(expectedGot(expectedText(node), found, guess === undefined ? undefined : `did you mean ${guess}?`));
    }
    case 'format': {
      const check = FORMAT_CHECKS[String(params.format)];
      const reason = check !== undefined && typeof error.data === 'string' ? check(error.data).reason : undefined;
      return at(expectedGot(expectedText(node), found, reason));
    }
    case 'propertyNames':
      return at(expectedGot(node?.['x-expected'] ?? 'valid names', JSON.stringify(stripUrlValueCredentials(String(params.propertyName))), 'a header name'));
    case 'minLength':
      return at(expectedGot('a non-empty string', found));
    default:
      return at(expectedGot(expectedText(node), found));
  }
}

/** Every ajv error as a problem, in ajv's order, without repeats. */
export function schemaProblems(errors: readonly ErrorObject[] | null | undefined, sources: SourceLookup): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const error of errors ?? []) {
    // The pattern error inside propertyNames repeats what the propertyNames error says.
    if ((error as ErrorObject & { propertyName?: string }).propertyName !== undefined) continue;
    const problem = problemFor(error, sources);
    if (problem !== undefined) problems.push(problem);
  }
  return problems;
}
