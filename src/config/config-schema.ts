// The configuration schema (plugin-config/schema.json) and the ajv instance that enforces it,
// including our own keywords: `duration` and `size` (bounds in the same units people write),
// and annotations (`x-expected`, `x-default-text`, `x-secret`, `x-why`) that error messages
// and the generated reference read.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, SchemaValidateFunction, ValidateFunction } from 'ajv';
import { checkDockerHost, checkHttpUrl, parseListen } from './address-formats.js';
import { parseDuration, parseSize } from './units.js';

/** Bounds of the `duration` and `size` keywords, written like the values: `{ "min": "100ms" }`. */
export interface UnitBounds {
  min?: string;
  max?: string;
}

/** The parts of JSON Schema that plugin-config/schema.json uses. */
export interface SchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  required?: string[];
  items?: SchemaNode;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  duration?: UnitBounds;
  size?: UnitBounds;
  'x-expected'?: string;
  'x-default-text'?: string;
  'x-secret'?: boolean;
  'x-why'?: string;
}

/** Lives beside the code in the repository and in the package (package.json `files`). */
export const SCHEMA_PATH = new URL('../../plugin-config/schema.json', import.meta.url);

let cachedSchema: SchemaNode | undefined;

export function configSchema(): SchemaNode {
  cachedSchema ??= JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as SchemaNode;
  return cachedSchema;
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
};

let cachedValidator: ValidateFunction | undefined;

/**
 * Validates a configuration object, filling in the schema's defaults (it mutates its argument).
 * allErrors: a user fixes every problem in one round.
 */
export function configValidator(): ValidateFunction {
  if (cachedValidator !== undefined) return cachedValidator;
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, verbose: true, strict: true, strictTypes: false, strictRequired: false });
  ajv.addKeyword({ keyword: 'duration', schemaType: 'object', errors: true, validate: validateDuration });
  ajv.addKeyword({ keyword: 'size', schemaType: 'object', errors: true, validate: validateSize });
  for (const keyword of ['x-expected', 'x-default-text', 'x-why']) ajv.addKeyword({ keyword, schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  for (const [name, check] of Object.entries(FORMAT_CHECKS)) ajv.addFormat(name, { type: 'string', validate: (text: string) => check(text).ok });
  cachedValidator = ajv.compile(configSchema());
  return cachedValidator;
}

export type { ErrorObject };
