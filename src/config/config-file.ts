// Reading the configuration file: YAML or JSON (YAML 1.2 parses JSON too, and reports JSON syntax
// errors with a line and column, which JSON.parse does not).
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigProblem } from './config-errors.js';
import { isPlainObject } from './config-layers.js';
import type { RawConfig } from './config-layers.js';

export interface ConfigFileContents {
  /** undefined when the file could not be read or parsed; `problems` says why. */
  values?: RawConfig;
  problems: ConfigProblem[];
}

/** An empty value (`tls:` with every line under it commented out) means "use the default". */
function dropEmpty(value: RawConfig): RawConfig {
  const kept: RawConfig = {};
  for (const [key, child] of Object.entries(value)) {
    if (child === null) continue;
    kept[key] = isPlainObject(child) ? dropEmpty(child) : child;
  }
  return kept;
}

export function parseConfigText(text: string, source: string): ConfigFileContents {
  const lines = new LineCounter();
  // Messages without the code excerpt: the excerpt could show a password on the broken line.
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      problems: document.errors.map((error) => {
        const at = lines.linePos(error.pos[0]);
        const what = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+.*$/, '') ?? 'syntax error';
        return { source, path: '', message: `syntax error at line ${at.line}, column ${at.col}: ${what}` };
      }),
    };
  }
  const values: unknown = document.toJS({ maxAliasCount: 100 });
  if (values === null || values === undefined) return { values: {}, problems: [] };
  if (!isPlainObject(values)) {
    const found = Array.isArray(values) ? 'a list' : `a ${typeof values}`;
    return { problems: [{ source, path: '', message: `expected a mapping of sections (docker, capture, sink...), got ${found}` }] };
  }
  return { values: dropEmpty(values), problems: [] };
}

export async function readConfigFile(file: string): Promise<ConfigFileContents> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'read failed');
    return { problems: [{ source: file, path: '', message: `cannot read the configuration file: ${why}` }] };
  }
  return parseConfigText(text, file);
}
