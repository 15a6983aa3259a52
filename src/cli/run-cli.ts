// The command line, independent of the process: argv and I/O in, exit code out, so tests can
// drive it in-process. src/cli/main.ts binds it to the real process.
import { Command, CommanderError } from 'commander';
import type { CapturerConfig, LogLevel } from '../config/capturer-config.js';
import { CLI_OPTIONS } from '../config/cli-overrides.js';
import type { CliOverrides } from '../config/cli-overrides.js';
import { ConfigError } from '../config/config-errors.js';
import { loadConfigWithOrigins } from '../config/load-config.js';
import type { LoadedConfig } from '../config/load-config.js';
import { ServerListenError } from '../server/http-server.js';
import { UnsafeStateDirError } from '../ship/state-dir.js';
import type { Logger } from '../utils/logger.js';
import { stripUrlCredentials } from '../utils/url-credentials.js';
import { configSummary } from './check-config.js';
import { EXIT_CODE_MEANINGS, EXIT_OK, EXIT_RUNTIME_FAILURE, EXIT_USAGE } from './exit-codes.js';
import { packageVersion } from './package-version.js';
import { DEFAULT_INTERVAL, DEFAULT_URL, parseTopOptions } from './top/top-options.js';
import type { RawTopOptions, TopOptions } from './top/top-options.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  createLogger(level: LogLevel): Logger;
  runCapturer(config: CapturerConfig, logger: Logger): Promise<number>;
  /** `log-capturer top` with checked options; resolves to the exit code. */
  runTop(options: TopOptions): Promise<number>;
}

const FLAG_HELP: Record<keyof CliOverrides, string> = {
  dockerHost: 'Docker Engine API address (docker.host), e.g. unix:///var/run/docker.sock',
  sink: 'where records go (sink.type): stdout, vector or fluentbit',
  sinkUrl: 'receiver URL (sink.url), e.g. http://127.0.0.1:8080/',
  stateDir: 'directory for positions and dead letters (checkpoint.state_dir)',
  listen: 'health/metrics server address (server.listen), e.g. 127.0.0.1:8001',
  logLevel: 'our own log level (log.level): trace, debug, info, warn, error, fatal or silent',
};

interface ProgramOptions extends CliOverrides {
  config?: string;
}

function overridesOf(options: ProgramOptions): CliOverrides {
  const overrides: CliOverrides = {};
  for (const option of CLI_OPTIONS) {
    const value = options[option.key];
    if (value !== undefined) overrides[option.key] = value;
  }
  return overrides;
}

/** Parses argv (without `node` and the script) and runs the command; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;

  const loadOrReport = async (file: string | undefined, overrides: CliOverrides): Promise<LoadedConfig | undefined> => {
    try {
      return await loadConfigWithOrigins({ ...(file !== undefined ? { file } : {}), env: io.env, overrides });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      io.stderr(`log-capturer: ${error.message}\n`);
      exitCode = EXIT_USAGE;
      return undefined;
    }
  };

  const program = new Command('log-capturer')
    .description('Captures the logs of every Docker container through the Docker Engine API and ships them as NDJSON to stdout, Vector or Fluent Bit.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'print this help and exit')
    .exitOverride()
    // commander's usage errors quote what was typed (`unknown option '--x=http://u:p@h'`).
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(stripUrlCredentials(text)) })
    .option('-c, --config <file>', 'configuration file, YAML or JSON (default: built-in defaults)');
  for (const option of CLI_OPTIONS) program.option(`${option.flag} <${option.valueName}>`, FLAG_HELP[option.key]);
  program.addHelpText('after', [
    '',
    'Every setting also has an environment variable: LOG_CAPTURER_<SECTION>_<KEY>, e.g. LOG_CAPTURER_SINK_URL.',
    'Precedence: defaults < DOCKER_HOST (docker.host only) < file < LOG_CAPTURER_* < flags.',
    '',
    'Exit codes:',
    ...EXIT_CODE_MEANINGS.map(({ code, meaning }) => `  ${code}  ${meaning}`),
  ].join('\n'));

  program.action(async () => {
    const options = program.opts<ProgramOptions>();
    const loaded = await loadOrReport(options.config, overridesOf(options));
    if (loaded === undefined) return;
    const { config } = loaded;
    const logger = io.createLogger(config.log.level);
    try {
      exitCode = await io.runCapturer(config, logger);
    } catch (error) {
      if (error instanceof UnsafeStateDirError) {
        // A setting to fix, like a bad configuration: said plainly, exit 2, nothing started.
        io.stderr(`log-capturer: ${error.message}\n`);
        exitCode = EXIT_USAGE;
        return;
      }
      // An address the server cannot take is the operator's to fix: one line saying how, no
      // stack. Exit 1 (it may be free on the next start), as documented in README.
      if (error instanceof ServerListenError) io.stderr(`log-capturer: ${error.message}\n`);
      else logger.fatal({ err: error }, 'capturer failed');
      exitCode = EXIT_RUNTIME_FAILURE;
    }
  });

  program
    .command('check-config')
    .description('validate a configuration file (with the environment and flags applied) and exit: 0 valid, 2 invalid')
    .argument('<file>', 'configuration file, YAML or JSON')
    .action(async (file: string) => {
      const loaded = await loadOrReport(file, overridesOf(program.opts<ProgramOptions>()));
      if (loaded !== undefined) io.stdout(configSummary(file, loaded, io.env));
    });

  program
    .command('top')
    .description('show a running capturer at a glance: throughput, buffer, streams, and who is behind (live in a terminal)')
    .option('--url <url>', `the capturer's HTTP server (default: ${DEFAULT_URL}, or LOG_CAPTURER_SERVER_LISTEN's address when set)`)
    .option('--interval <duration>', 'time between samples', DEFAULT_INTERVAL)
    .option('--sort <key>', 'order of the containers: lag (slowest first), rate (busiest first) or name', 'lag')
    .option('--once', 'print one frame as text and exit (what top does when stdout is not a terminal)')
    .option('--json', 'print one snapshot as JSON and exit')
    .addHelpText('after', [
      '',
      'A /status protected by server.status_token needs the token in LOG_CAPTURER_SERVER_STATUS_TOKEN.',
      'Keys in the live view: l lag, r rate, n name (the same key again reverses), q or Ctrl-C quit.',
      'NO_COLOR turns colour off; COLUMNS sets the width of a frame printed to a pipe (default 120).',
    ].join('\n'))
    .action(async (raw: RawTopOptions) => {
      const parsed = parseTopOptions(raw, io.env);
      if (!parsed.ok) {
        for (const problem of parsed.problems) io.stderr(`log-capturer top: ${problem}\n`);
        exitCode = EXIT_USAGE;
        return;
      }
      exitCode = await io.runTop(parsed.options);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Help and version exit 0; every usage mistake is a 2, like a bad configuration.
    return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  return exitCode;
}
