// The capturer's only way into the Docker Engine API, and it can only read: every call here is
// a GET. Built on dockerode's modem, with an HTTP agent of our own so close() can release every
// socket, and with a request timeout of our own because the modem's would also cut idle follow
// streams (a quiet container's log, the events stream).
//
// The modem would also take settings from the environment (DOCKER_HOST, DOCKER_TLS_VERIFY,
// DOCKER_CERT_PATH, DOCKER_CLIENT_TIMEOUT, DOCKER_PATH_PREFIX) and let them win over ours: a
// DOCKER_HOST in the environment silently redirected every request away from docker.host, and
// DOCKER_CLIENT_TIMEOUT would cut follow streams. So it is built with that environment hidden
// and with every option it knows set from our resolved configuration. Its debug output
// (DEBUG=modem) would print every inspect answer, other containers' environment secrets
// included: that namespace is switched off.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { inspect } from 'node:util';
import createDebug from 'debug';
import Docker from 'dockerode';
import type { DockerConfig } from '../config/capturer-config.js';
import { describeRefusedId, isContainerId } from './container-id.js';
import type { ApiStream, ContainerSummary, DaemonVersion, DockerApi, LogQuery } from './docker-api.js';
import { DockerError } from './docker-error.js';
import type { ContainerInfo } from './container-info.js';

export type { ContainerSummary } from './docker-api.js';

type DialOptions = Parameters<Docker['modem']['dial']>[0];
type StatusCodes = NonNullable<DialOptions['statusCodes']>;

/** Status codes the daemon documents for our calls; anything else is an error too. */
const STATUS_CODES: StatusCodes = {
  200: true,
  304: 'not modified',
  400: 'bad parameter',
  404: 'no such container',
  409: 'conflict',
  500: 'server error',
  501: 'configured logging driver does not support reading',
  503: 'daemon not available',
};

/**
 * For streams every documented status is handed back as a response: the modem would read an
 * error body into its message only, dropping the JSON (Podman's `cause` tells a log driver that
 * cannot be read from any other 500). openStream() reads it instead.
 */
const STREAM_STATUS_CODES: StatusCodes = Object.fromEntries(Object.keys(STATUS_CODES).map((code) => [code, true]));
/** An error body longer than this is not an error message: cut. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

const EVENT_FILTERS = JSON.stringify({ type: ['container'] });

/** The environment docker-modem reads when it is constructed; see the header. */
const MODEM_ENVIRONMENT = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_CLIENT_TIMEOUT', 'DOCKER_PATH_PREFIX'] as const;

/**
 * Keep-alive for the short calls (inspect, list), but only a few idle sockets: each finished
 * follow stream would otherwise leave one behind, up to the peak number of streams.
 */
const AGENT_OPTIONS = { keepAlive: true, maxFreeSockets: 4 } as const;

interface Endpoint {
  modemOptions: Docker.DockerOptions;
  agent: HttpAgent;
  /** For messages: the address without user information. */
  display: string;
  /**
   * `/v1.41` for docker.api_version 1.41, else empty: put in front of every Docker API path here
   * rather than by the modem, which would put it in front of Podman's `/v4.3.1/libpod/` paths too.
   */
  versionPrefix: string;
}

/** Every option docker-modem would otherwise fill from the environment, unset. */
const NO_ENVIRONMENT_OPTIONS = {
  socketPath: undefined, host: undefined, port: undefined, protocol: undefined, pathPrefix: undefined,
  ca: undefined, cert: undefined, key: undefined, timeout: undefined, username: undefined, password: undefined,
} as const;

/** Turns docker.host / docker.tls / docker.api_version into modem options and an agent. */
function endpointFor(config: DockerConfig): Endpoint {
  const versionPrefix = config.apiVersion ? `/v${config.apiVersion.replace(/^v/, '')}` : '';
  if (config.host.startsWith('unix://')) {
    const socketPath = config.host.slice('unix://'.length);
    return { agent: new HttpAgent(AGENT_OPTIONS), display: `unix://${socketPath}`, versionPrefix, modemOptions: { ...NO_ENVIRONMENT_OPTIONS, socketPath } };
  }
  let url: URL;
  try {
    url = new URL(config.host.replace(/^tcp:/, config.tls ? 'https:' : 'http:'));
  } catch {
    throw new DockerError('DOCKER_CONFIG', 'docker.host is not a valid address (use unix:///path, tcp://host:port, http:// or https://)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DockerError('DOCKER_CONFIG', `docker.host: unsupported scheme ${url.protocol} (use unix://, tcp://, http:// or https://)`);
  }
  const https = url.protocol === 'https:';
  const port = url.port !== '' ? Number(url.port) : https ? 2376 : 2375;
  const display = `${url.protocol}//${url.hostname}:${port}`;
  const base = { ...NO_ENVIRONMENT_OPTIONS, host: url.hostname, port, pathPrefix: '/' };
  if (!https) return { agent: new HttpAgent(AGENT_OPTIONS), display, versionPrefix, modemOptions: { ...base, protocol: 'http' } };
  const tls = config.tls;
  const read = (what: string, path: string | undefined): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new DockerError('DOCKER_CONFIG', `cannot read docker.tls.${what} ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  };
  // The agent carries the TLS material: its options apply to every connection it makes.
  const ca = read('ca_file', tls?.caFile);
  const cert = read('cert_file', tls?.certFile);
  const key = read('key_file', tls?.keyFile);
  const agent = new HttpsAgent({
    ...AGENT_OPTIONS,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    rejectUnauthorized: tls?.verify ?? true,
  });
  return { agent, display, versionPrefix, modemOptions: { ...base, protocol: 'https' } };
}

/** Builds the client with the modem's environment hidden (see the header); synchronous, so nothing else runs meanwhile. */
function withoutModemEnvironment<T>(build: () => T): T {
  const saved = new Map<string, string>();
  for (const name of MODEM_ENVIRONMENT) {
    const value = process.env[name];
    if (value !== undefined) saved.set(name, value);
    delete process.env[name];
  }
  try {
    return build();
  } finally {
    for (const [name, value] of saved) process.env[name] = value;
  }
}

/** docker-modem's debug namespace prints whole answers (inspect includes containers' Env): never. */
function silenceModemDebug(): void {
  const enabled = createDebug.disable();
  createDebug.enable(enabled === '' ? '-modem' : `${enabled},-modem`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(record: Record<string, unknown> | undefined, key: string): string {
  const value = record?.[key];
  return typeof value === 'string' ? value : '';
}

function recordField(record: Record<string, unknown> | undefined, key: string): Record<string, unknown> | undefined {
  const value = record?.[key];
  return isRecord(value) ? value : undefined;
}

function stringMap(value: unknown): Record<string, string> {
  const map: Record<string, string> = {};
  if (isRecord(value)) for (const [key, item] of Object.entries(value)) if (typeof item === 'string') map[key] = item;
  return map;
}

/** Podman's JSON `cause` for a failed call (Docker sends none). */
function daemonReason(error: Error & { json?: unknown }): string | undefined {
  const json = error.json;
  return isRecord(json) && typeof json.cause === 'string' ? json.cause.slice(0, 200) : undefined;
}

/** A libpod API version fit to go into a URL path: `4.3.1`. */
const LIBPOD_VERSION = /^\d{1,4}\.\d{1,4}(?:\.\d{1,4})?$/;

/** The daemon's own words for a failed call (its JSON `message`), else the modem's. */
function describeFailure(error: Error & { json?: unknown }): string {
  const json = error.json;
  if (isRecord(json) && typeof json.message === 'string') return json.message.slice(0, 500);
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString('utf8', 0, Math.min(json.length, 500)).trim();
  return error.message.trim().slice(0, 500);
}

export class DockerReader implements DockerApi {
  /** Where the daemon is, without user information: for logs and /status. */
  readonly address: string;
  private readonly docker: Docker;
  private readonly agent: HttpAgent;
  private readonly requestTimeoutMs: number;
  private readonly versionPrefix: string;
  private answeredAt = 0;

  constructor(config: DockerConfig) {
    const endpoint = endpointFor(config);
    this.agent = endpoint.agent;
    this.address = endpoint.display;
    this.versionPrefix = endpoint.versionPrefix;
    // docker-modem formats every request's options with util.inspect({ showHidden, depth: null })
    // even when its debug output is off, and the options hold this agent, so every call walked
    // every open socket: with 50 log streams, 2.5 MB of text and ~200 ms of CPU per request,
    // enough to starve the event loop under rotation. A fixed description keeps it constant.
    Object.defineProperty(this.agent, inspect.custom, { value: () => 'DockerReader agent' });
    this.requestTimeoutMs = config.requestTimeoutMs;
    silenceModemDebug();
    // dockerode hands its options to the modem, which passes `agent` to every request.
    const options: Docker.DockerOptions & { agent: HttpAgent } = { ...endpoint.modemOptions, agent: this.agent };
    this.docker = withoutModemEnvironment(() => new Docker(options));
  }

  get lastAnswerAt(): number {
    return this.answeredAt;
  }

  async ping(): Promise<void> {
    await this.call('ping', '/_ping', {});
  }

  async version(): Promise<DaemonVersion> {
    const body = await this.call('version', '/version', {});
    const record = isRecord(body) ? body : undefined;
    const components = Array.isArray(record?.Components) ? (record.Components as unknown[]).filter(isRecord) : [];
    const podman = components.find((c) => stringField(c, 'Name') === 'Podman Engine');
    const libpodApiVersion = stringField(recordField(podman, 'Details'), 'APIVersion');
    return {
      version: stringField(record, 'Version'),
      apiVersion: stringField(record, 'ApiVersion'),
      platform: stringField(recordField(record, 'Platform'), 'Name'),
      components: components.map((c) => stringField(c, 'Name')),
      // Only a plain version goes into a URL path (see openLogs).
      ...(LIBPOD_VERSION.test(libpodApiVersion) ? { libpodApiVersion } : {}),
    };
  }

  async listContainers(): Promise<ContainerSummary[]> {
    const body = await this.call('list containers', '/containers/json?', { all: '1' });
    if (!Array.isArray(body)) throw new DockerError('DOCKER_PROTOCOL', 'list containers: the daemon answered with something other than a list');
    const summaries: ContainerSummary[] = [];
    for (const item of body as unknown[]) {
      if (!isRecord(item)) continue;
      const names = item.Names;
      const first = Array.isArray(names) && typeof names[0] === 'string' ? names[0] : '';
      summaries.push({ id: stringField(item, 'Id'), name: first.replace(/^\//, ''), running: item.State === 'running' });
    }
    return summaries;
  }

  async inspect(id: string): Promise<ContainerInfo> {
    const body = await this.call(`inspect container ${checkedId(id)}`, `/containers/${id}/json`, undefined);
    const record = isRecord(body) ? body : undefined;
    if (record === undefined) throw new DockerError('DOCKER_PROTOCOL', `inspect container ${id}: the daemon answered with something other than an object`);
    const config = recordField(record, 'Config');
    const hostConfig = recordField(record, 'HostConfig');
    const state = recordField(record, 'State');
    return {
      id: stringField(record, 'Id'),
      name: stringField(record, 'Name').replace(/^\//, ''),
      image: stringField(config, 'Image'),
      labels: stringMap(config?.Labels),
      createdAt: stringField(record, 'Created'),
      tty: config?.Tty === true,
      logDriver: stringField(recordField(hostConfig, 'LogConfig'), 'Type'),
      logOptions: stringMap(recordField(hostConfig, 'LogConfig')?.Config),
      logPath: stringField(record, 'LogPath'),
      running: state?.Running === true,
    };
  }

  /**
   * GET /containers/{id}/logs?stdout=1&stderr=1&timestamps=1 with follow, since and tail (or
   * Podman's /v{libpod}/libpod/containers/{id}/logs, with the same query: see LogQuery). The raw
   * HTTP response: read it with a frame parser; destroying it closes the connection, the only
   * way to end a follow stream early.
   */
  async openLogs(id: string, query: LogQuery): Promise<ApiStream> {
    const what = `read the logs of container ${checkedId(id)}`;
    const options: Record<string, string> = { follow: query.follow ? '1' : '0', stdout: '1', stderr: '1', timestamps: '1' };
    if (query.since !== undefined) options.since = query.since;
    if (query.tail !== undefined) options.tail = String(Math.max(0, Math.floor(query.tail)));
    const libpod = query.libpodApiVersion;
    if (libpod === undefined) return this.openStream(what, `/containers/${id}/logs?`, options);
    if (!LIBPOD_VERSION.test(libpod)) throw new DockerError('DOCKER_PROTOCOL', `${what}: refused a libpod API version that is not a version number: ${JSON.stringify(libpod.slice(0, 40))}`);
    return this.openStream(what, `/v${libpod}/libpod/containers/${id}/logs?`, options, false);
  }

  async openEvents(options: { since?: string }): Promise<ApiStream> {
    const query: Record<string, string> = { filters: EVENT_FILTERS };
    if (options.since !== undefined) query.since = options.since;
    return this.openStream('follow container events', '/events?', query);
  }

  /** Releases the agent's sockets. Responses already handed out stay the caller's to destroy. */
  close(): void {
    this.agent.destroy();
  }

  private async call(what: string, path: string, query: Record<string, string> | undefined): Promise<unknown> {
    return this.dial(what, `${this.versionPrefix}${path}`, query, false);
  }

  /** `dockerPath`: a Docker API path, under docker.api_version when one is set; else the path is sent as it is. */
  private async openStream(what: string, path: string, query: Record<string, string>, dockerPath = true): Promise<IncomingMessage> {
    const result = await this.dial(what, dockerPath ? `${this.versionPrefix}${path}` : path, query, true);
    if (!isIncomingMessage(result)) throw new DockerError('DOCKER_PROTOCOL', `${what}: the modem returned no response stream`);
    if (result.statusCode === 200) return result;
    throw await this.failedStream(what, result);
  }

  /** A stream request the daemon refused: its status, its JSON `message` and (Podman) `cause`. */
  private async failedStream(what: string, response: IncomingMessage): Promise<DockerError> {
    const statusCode = response.statusCode ?? 0;
    const body = await readBounded(response, MAX_ERROR_BODY_BYTES, this.requestTimeoutMs);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8')) as unknown;
    } catch {
      json = undefined;
    }
    const record = isRecord(json) ? json : undefined;
    const message = typeof record?.message === 'string' ? record.message.slice(0, 500) : body.toString('utf8', 0, Math.min(body.length, 500)).trim();
    const reason = typeof record?.cause === 'string' ? record.cause.slice(0, 200) : undefined;
    const fallback = STATUS_CODES[statusCode];
    const text = message !== '' ? message : typeof fallback === 'string' ? fallback : 'no message';
    return new DockerError('DOCKER_HTTP_STATUS', `${what}: HTTP ${statusCode}: ${text}`, { statusCode, ...(reason === undefined ? {} : { reason }) });
  }

  /**
   * One GET. The timeout covers the wait for an answer: all of it for a plain call, only the
   * response headers for a stream (a follow stream may rightly stay silent for hours).
   */
  private dial(what: string, path: string, query: Record<string, string> | undefined, isStream: boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.requestTimeoutMs);
      const dialOptions: DialOptions = {
        path,
        method: 'GET',
        isStream,
        statusCodes: isStream ? STREAM_STATUS_CODES : STATUS_CODES,
        abortSignal: controller.signal,
        ...(query ? { options: query } : {}),
      };
      this.docker.modem.dial(dialOptions, (error, result) => {
        clearTimeout(timer);
        if (error) {
          const statusCode = (error as { statusCode?: unknown }).statusCode;
          if (typeof statusCode === 'number') {
            this.answeredAt = Date.now();
            const reason = daemonReason(error);
            reject(new DockerError('DOCKER_HTTP_STATUS', `${what}: HTTP ${statusCode}: ${describeFailure(error)}`, { statusCode, ...(reason === undefined ? {} : { reason }), cause: error }));
          } else if (timedOut) {
            reject(new DockerError('DOCKER_TIMEOUT', `${what}: no answer from the Docker daemon at ${this.address} within ${this.requestTimeoutMs} ms`, { cause: error }));
          } else {
            reject(new DockerError('DOCKER_UNREACHABLE', `${what}: cannot reach the Docker daemon at ${this.address}: ${error.message}`, { cause: error }));
          }
          return;
        }
        this.answeredAt = Date.now();
        resolve(result);
      });
    });
  }
}

/** Reads at most `limit` bytes of a response (the rest is dropped with it), within `timeoutMs`. */
function readBounded(response: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      response.off('data', onData);
      response.destroy();
      resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer): void => {
      const room = limit - size;
      if (room > 0) chunks.push(chunk.subarray(0, room));
      size += chunk.length;
      if (size >= limit) done();
    };
    const timer = setTimeout(done, timeoutMs);
    response.on('data', onData);
    response.once('end', done);
    response.once('error', done);
    response.once('close', done);
  });
}

/** Ids go into URL paths: anything but 64 hex characters is refused before a request is made. */
function checkedId(id: string): string {
  if (!isContainerId(id)) throw new DockerError('DOCKER_INVALID_ID', `refused a container id that is not 64 hex characters: ${describeRefusedId(id)}`);
  return id;
}

function isIncomingMessage(value: unknown): value is IncomingMessage {
  return isRecord(value) && typeof value.statusCode === 'number' && typeof value.destroy === 'function' && typeof value.on === 'function';
}
