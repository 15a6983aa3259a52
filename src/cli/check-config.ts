// `log-capturer check-config FILE`: the whole loading path (file, environment, flags) without
// starting anything, for CI and for editing a config with confidence. What it prints never holds
// a secret: URLs are shown without their user information.
import type { LoadedConfig } from '../config/load-config.js';
import { BUILT_IN_DEFAULT } from '../config/load-config.js';
import { formatDuration } from '../config/units.js';
import { stripUrlValueCredentials } from '../utils/url-credentials.js';

const DOCKER_HOST_PATH = ['docker', 'host'] as const;

/** `plugin-config/log-capturer.yaml: valid (sink vector -> http://127.0.0.1:8080/, 100 streams, rotation 5m)` */
function validLine(file: string, { config }: LoadedConfig): string {
  const sink = config.sink.url === undefined ? `sink ${config.sink.type}` : `sink ${config.sink.type} -> ${stripUrlValueCredentials(config.sink.url)}`;
  const streams = config.capture.maxStreams === 1 ? '1 stream' : `${config.capture.maxStreams} streams`;
  return `${file}: valid (${sink}, ${streams}, rotation ${formatDuration(config.capture.rotationIntervalMs)})`;
}

/**
 * `docker host: tcp://127.0.0.1:2375 (from environment variable DOCKER_HOST)`: the address is the
 * first thing to check when no daemon answers, and DOCKER_HOST loses to the file, so say who won.
 */
function dockerHostLine(file: string, loaded: LoadedConfig, env: NodeJS.ProcessEnv): string {
  const origin = loaded.originOf(DOCKER_HOST_PATH);
  const from = origin === BUILT_IN_DEFAULT ? 'the built-in default; set DOCKER_HOST, docker.host, LOG_CAPTURER_DOCKER_HOST or --docker-host to change it'
    : origin === file ? `from docker.host in ${file}`
      : `from ${origin}`;
  const dockerHostVariable = env.DOCKER_HOST;
  const ignored = dockerHostVariable !== undefined && dockerHostVariable !== '' && origin !== 'environment variable DOCKER_HOST'
    ? `; DOCKER_HOST=${stripUrlValueCredentials(dockerHostVariable)} is overridden`
    : '';
  return `docker host: ${stripUrlValueCredentials(loaded.config.docker.host)} (${from}${ignored})`;
}

/** What check-config prints for a valid configuration: one line each, no secret in any. */
export function configSummary(file: string, loaded: LoadedConfig, env: NodeJS.ProcessEnv): string {
  return `${validLine(file, loaded)}\n${dockerHostLine(file, loaded, env)}\n`;
}
