// The configuration schema (defined in config-file-schema.ts) and the ajv instance that enforces it,
// including our own keywords: `duration` and `size` (bounds in the same units people write),
// and annotations (`x-expected`, `x-default-text`, `x-secret`, `x-why`) that error messages
// and the generated reference read.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, SchemaValidateFunction, ValidateFunction } from 'ajv';
import { CONFIG_FILE_SCHEMA } from './config-file-schema.js';
import type { ConfigFile, SchemaNode, UnitBounds } from './config-file-schema.js';
import { checkDockerHost, checkHttpUrl, parseListen } from './address-formats.js';
import { parseDuration, parseSize } from './units.js';
import { checkPattern } from '../capture/multiline-rule.js';

export type { SchemaNode, UnitBounds };

/** Where the generated copy for users and tools lives (also shipped: package.json `files`). */
export const SCHEMA_PATH = new URL('../../plugin-config/schema.json', import.meta.url);

export function configSchema(): SchemaNode {
  return CONFIG_FILE_SCHEMA;
}

/** plugin-config/schema.json's exact text: what scripts/config-reference.ts writes and a test compares. */
export function schemaJsonText(): string {
  return `${JSON.stringify(CONFIG_FILE_SCHEMA, null, 2)}\n`;
}

/** A section has named keys; everything else (including the `headers` map) is a leaf. */
export function isSection(node: SchemaNode): boolean {
  return node.type === 'object' && node.properties !== undefined;
}

export interface SchemaLeaf {
  /** `['sink', 'batch', 'max_bytes']` */
  path: string[];
  node: SchemaNode;
}

/** Every leaf key in schema order. */
export function schemaLeaves(node: SchemaNode = configSchema(), prefix: string[] = []): SchemaLeaf[] {
  const leaves: SchemaLeaf[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = [...prefix, key];
    if (isSection(child)) leaves.push(...schemaLeaves(child, path));
    else leaves.push({ path, node: child });
  }
  return leaves;
}

/** The schema node at a dotted path, or undefined when the path is not in the schema. */
export function schemaNodeAt(path: readonly string[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = configSchema();
  for (const key of path) {
    if (node === undefined) return undefined;
    const next: SchemaNode | undefined = node.properties?.[key];
    if (next !== undefined) node = next;
    else if (typeof node.additionalProperties === 'object') node = node.additionalProperties;
    else return undefined;
  }
  return node;
}

function boundsReason(value: number, bounds: UnitBounds, parse: (text: string) => number, unit: string): string | undefined {
  if (bounds.min !== undefined && value < parse(bounds.min)) return `the smallest allowed ${unit} is ${bounds.min}`;
  if (bounds.max !== undefined && value > parse(bounds.max)) return `the largest allowed ${unit} is ${bounds.max}`;
  return undefined;
}

function mustParse(parsed: ReturnType<typeof parseDuration>): number {
  if (!parsed.ok) throw new Error(`schema bound does not parse: ${parsed.reason}`);
  return parsed.value;
}

const validateDuration: SchemaValidateFunction = (bounds: UnitBounds, data: unknown): boolean => {
  if (typeof data !== 'string') return true; // the `type` keyword reports it
  const parsed = parseDuration(data);
  const reason = parsed.ok ? boundsReason(parsed.value, bounds, (t) => mustParse(parseDuration(t)), 'duration') : parsed.reason;
  if (reason === undefined) return true;
  validateDuration.errors = [{ keyword: 'duration', message: reason, params: { reason } }];
  return false;
};

const validateSize: SchemaValidateFunction = (bounds: UnitBounds, data: unknown): boolean => {
  if (typeof data !== 'string' && typeof data !== 'number') return true;
  const parsed = parseSize(data);
  const reason = parsed.ok ? boundsReason(parsed.value, bounds, (t) => mustParse(parseSize(t)), 'size') : parsed.reason;
  if (reason === undefined) return true;
  validateSize.errors = [{ keyword: 'size', message: reason, params: { reason } }];
  return false;
};

/** Format name -> checker answering with a reason; shared with error messages. */
export const FORMAT_CHECKS: Record<string, (text: string) => { ok: boolean; reason?: string }> = {
  'docker-host': checkDockerHost,
  'http-url': checkHttpUrl,
  listen: parseListen,
  regex: checkPattern,
};

let cachedValidator: ValidateFunction<ConfigFile> | undefined;

/**
 * Validates a configuration object, filling in the schema's defaults (it mutates its argument);
 * on success it has narrowed its argument to ConfigFile, the type derived from the very schema
 * compiled here. allErrors: a user fixes every problem in one round.
 */
export function configValidator(): ValidateFunction<ConfigFile> {
  if (cachedValidator !== undefined) return cachedValidator;
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, verbose: true, strict: true, strictTypes: false, strictRequired: false });
  ajv.addKeyword({ keyword: 'duration', schemaType: 'object', errors: true, validate: validateDuration });
  ajv.addKeyword({ keyword: 'size', schemaType: 'object', errors: true, validate: validateSize });
  for (const keyword of ['x-expected', 'x-default-text', 'x-why']) ajv.addKeyword({ keyword, schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  for (const [name, check] of Object.entries(FORMAT_CHECKS)) ajv.addFormat(name, { type: 'string', validate: (text: string) => check(text).ok });
  cachedValidator = ajv.compile<ConfigFile>(CONFIG_FILE_SCHEMA);
  return cachedValidator;
}

export type { ErrorObject };
