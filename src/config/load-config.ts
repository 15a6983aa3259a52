// File < environment < flags, validated against the schema (config-file-schema.ts), resolved to the
// CapturerConfig the capturer runs with. Every problem is collected before anything is thrown.
import type { CapturerConfig } from './capturer-config.js';
import { readCliOverrides } from './cli-overrides.js';
import type { CliOverrides } from './cli-overrides.js';
import { ConfigError, formatProblem } from './config-errors.js';
import type { ConfigProblem } from './config-errors.js';
import { readConfigFile } from './config-file.js';
import { SourceMap, getAt, mergeLayer, setAt } from './config-layers.js';
import type { RawConfig } from './config-layers.js';
import { configValidator } from './config-schema.js';
import { envSource, readEnvOverrides } from './env-overrides.js';
import { crossKeyProblems, resolveConfig } from './resolve-config.js';
import { schemaProblems } from './schema-problems.js';

export type { CliOverrides };

export interface LoadConfigOptions {
  /** YAML or JSON file; none = the built-in defaults (stdout sink, local daemon). */
  file?: string;
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  overrides?: CliOverrides;
}

const RANK = { dockerHostVariable: 0, file: 1, env: 2, cli: 3 } as const;

function addUnique(into: ConfigProblem[], problems: readonly ConfigProblem[]): void {
  const seen = new Set(into.map(formatProblem));
  for (const problem of problems) {
    const text = formatProblem(problem);
    if (seen.has(text)) continue;
    seen.add(text);
    into.push(problem);
  }
}

/** A configuration and where each of its values came from. */
export interface LoadedConfig {
  config: CapturerConfig;
  /**
   * The layer that set this key: the file's path, `environment variable NAME`, a flag such as
   * `--docker-host`, or BUILT_IN_DEFAULT.
   */
  originOf(path: readonly string[]): string;
}

export const BUILT_IN_DEFAULT = 'built-in default';

/** Throws ConfigError listing every problem; see docs/configuration.md for precedence. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<CapturerConfig> {
  return (await loadConfigWithOrigins(options)).config;
}

/** loadConfig, also saying which layer set each value (for check-config). */
export async function loadConfigWithOrigins(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const problems: ConfigProblem[] = [];
  const sources = new SourceMap(options.file ?? 'built-in defaults');
  const merged: RawConfig = {};

  let fileValues: RawConfig = {};
  if (options.file !== undefined) {
    const contents = await readConfigFile(options.file);
    addUnique(problems, contents.problems);
    if (contents.values !== undefined) {
      fileValues = contents.values;
      // The file alone, so a bad value in it is reported even where a variable or flag overrides
      // it. A missing key is left to the merged check: another layer may supply it.
      const fileOnly = new SourceMap(options.file);
      const validate = configValidator();
      if (!validate(structuredClone(fileValues))) {
        addUnique(problems, schemaProblems(validate.errors?.filter((e) => e.keyword !== 'required'), fileOnly));
      }
    }
  }
  const fileUnusable = options.file !== undefined && problems.length > 0 && Object.keys(fileValues).length === 0;

  // DOCKER_HOST is the Docker CLI's own variable: a default, below a docker.host in the file.
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost !== undefined && dockerHost !== '' && getAt(fileValues, ['docker', 'host']) === undefined) {
    setAt(merged, ['docker', 'host'], dockerHost);
    sources.set(['docker', 'host'], envSource('DOCKER_HOST'), RANK.dockerHostVariable);
  }
  mergeLayer(merged, fileValues, options.file ?? 'built-in defaults', RANK.file, sources);

  const envLayer = readEnvOverrides(env);
  addUnique(problems, envLayer.problems);
  for (const { path, source } of envLayer.sources) {
    setAt(merged, path, getAt(envLayer.values, path));
    sources.set(path, source, RANK.env);
  }
  const cliLayer = readCliOverrides(options.overrides ?? {});
  for (const { path, source } of cliLayer.sources) {
    setAt(merged, path, getAt(cliLayer.values, path));
    sources.set(path, source, RANK.cli);
  }

  // A file that did not parse would only produce "missing key" noise here.
  if (fileUnusable) throw new ConfigError(problems);
  const validate = configValidator();
  // The validator is a type guard: `merged` becomes a ConfigFile (defaults filled in) or has errors.
  const validated = validate(merged) ? merged : undefined;
  if (validated === undefined) addUnique(problems, schemaProblems(validate.errors, sources));
  addUnique(problems, crossKeyProblems(merged, sources));
  if (problems.length > 0 || validated === undefined) throw new ConfigError(problems);
  return { config: resolveConfig(validated), originOf: (path) => sources.originOf(path) ?? BUILT_IN_DEFAULT };
}
