// The few settings that have a command-line flag: what a person changes for one run.
import { setAt } from './config-layers.js';
import type { RawConfig } from './config-layers.js';

export interface CliOverrides {
  dockerHost?: string;
  sink?: string;
  sinkUrl?: string;
  stateDir?: string;
  listen?: string;
  logLevel?: string;
}

export interface CliOption {
  key: keyof CliOverrides;
  /** `--sink-url` */
  flag: string;
  /** Shown in --help: `--sink-url <url>` */
  valueName: string;
  path: readonly string[];
}

export const CLI_OPTIONS: readonly CliOption[] = [
  { key: 'dockerHost', flag: '--docker-host', valueName: 'url', path: ['docker', 'host'] },
  { key: 'sink', flag: '--sink', valueName: 'type', path: ['sink', 'type'] },
  { key: 'sinkUrl', flag: '--sink-url', valueName: 'url', path: ['sink', 'url'] },
  { key: 'stateDir', flag: '--state-dir', valueName: 'dir', path: ['checkpoint', 'state_dir'] },
  { key: 'listen', flag: '--listen', valueName: 'host:port', path: ['server', 'listen'] },
  { key: 'logLevel', flag: '--log-level', valueName: 'level', path: ['log', 'level'] },
];

export interface CliLayer {
  values: RawConfig;
  sources: { path: string[]; source: string }[];
}

export function readCliOverrides(overrides: CliOverrides): CliLayer {
  const layer: CliLayer = { values: {}, sources: [] };
  for (const option of CLI_OPTIONS) {
    const value = overrides[option.key];
    if (value === undefined) continue;
    setAt(layer.values, option.path, value);
    layer.sources.push({ path: [...option.path], source: option.flag });
  }
  return layer;
}
