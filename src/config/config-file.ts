// Reading the configuration file: YAML or JSON (YAML 1.2 parses JSON too, and reports JSON syntax
// errors with a line and column, which JSON.parse does not).
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { YAMLError } from 'yaml';
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

/**
 * Where a YAML error is and what it means, in the user's terms. yaml places an over-indented key
 *   sink:
 *     type: vector
 *      url: http://...      <- line 3
 * at line 2: it reads line 3 as the rest of `vector`, a value that then becomes a key spanning two
 * lines (MULTILINE_IMPLICIT_KEY, plus BLOCK_AS_IMPLICIT_KEY at the same place). The line to fix is
 * where that key ends.
 */
function syntaxProblems(errors: readonly YAMLError[], text: string, lines: LineCounter, source: string): ConfigProblem[] {
  const multiline = new Set(errors.filter((e) => e.code === 'MULTILINE_IMPLICIT_KEY').map((e) => e.pos[0]));
  const problems: ConfigProblem[] = [];
  for (const error of errors) {
    if (error.code === 'BLOCK_AS_IMPLICIT_KEY' && multiline.has(error.pos[0])) continue; // same cause
    const start = lines.linePos(error.pos[0]);
    const end = lines.linePos(error.pos[1]);
    if (error.code === 'MULTILINE_IMPLICIT_KEY' && end.line > start.line) {
      const indent = /^[ \t]*/.exec(text.split(/\r?\n/)[end.line - 1] ?? '')?.[0].length ?? 0;
      problems.push({
        source,
        path: '',
        message: `syntax error at line ${end.line}, column ${indent + 1}: this line is indented deeper than the key on line ${start.line}, `
          + 'so it reads as part of that value; keys of one mapping start at the same column',
      });
      continue;
    }
    const what = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+.*$/, '') ?? 'syntax error';
    problems.push({ source, path: '', message: `syntax error at line ${start.line}, column ${start.col}: ${what}` });
  }
  return problems;
}

export function parseConfigText(text: string, source: string): ConfigFileContents {
  const lines = new LineCounter();
  // Messages without the code excerpt: the excerpt could show a password on the broken line.
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) return { problems: syntaxProblems(document.errors, text, lines, source) };
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
