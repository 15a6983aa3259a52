// The capturer's only way into the Docker Engine API, and it can only read: every call here is
// a GET. Built on dockerode's modem, with an HTTP agent of our own so close() can release every
// socket, and with a request timeout of our own because the modem's would also cut idle follow
// streams (a quiet container's log, the events stream).
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { inspect } from 'node:util';
import Docker from 'dockerode';
import type { DockerConfig } from '../config/capturer-config.js';
import { sinceParam } from '../capture/position.js';
import type { Position } from '../capture/position.js';
import type { ContainerInfo } from './container-info.js';

/** A Docker API call failed. statusCode: 404 no such container, 501 unreadable log driver, undefined = no answer (connection error or timeout). */
export class DockerApiError extends Error {
  readonly statusCode: number | undefined;

  constructor(message: string, statusCode: number | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DockerApiError';
    this.statusCode = statusCode;
  }
}

type DialOptions = Parameters<Docker['modem']['dial']>[0];
type StatusCodes = NonNullable<DialOptions['statusCodes']>;

export interface ContainerSummary {
  /** Full 64-hex id. */
  id: string;
  /** Name without the leading `/`. */
  name: string;
  running: boolean;
}

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

const EVENT_FILTERS = JSON.stringify({ type: ['container'] });

interface Endpoint {
  modemOptions: Docker.DockerOptions;
  agent: HttpAgent;
}

/**
 * Keep-alive for the short calls (inspect, list), but only a few idle sockets: each finished
 * follow stream would otherwise leave one behind, up to the peak number of streams.
 */
const AGENT_OPTIONS = { keepAlive: true, maxFreeSockets: 4 } as const;

/** Turns docker.host / docker.tls / docker.api_version into modem options and an agent. */
function endpointFor(config: DockerConfig): Endpoint {
  const version = config.apiVersion ? { version: `v${config.apiVersion.replace(/^v/, '')}` } : {};
  if (config.host.startsWith('unix://')) {
    const agent = new HttpAgent(AGENT_OPTIONS);
    return { agent, modemOptions: { socketPath: config.host.slice('unix://'.length), ...version } };
  }
  const url = new URL(config.host.replace(/^tcp:/, config.tls ? 'https:' : 'http:'));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DockerApiError(`docker.host: unsupported scheme ${url.protocol} (use unix://, tcp://, http:// or https://)`, undefined);
  }
  const https = url.protocol === 'https:';
  const port = url.port !== '' ? Number(url.port) : https ? 2376 : 2375;
  if (!https) {
    return { agent: new HttpAgent(AGENT_OPTIONS), modemOptions: { host: url.hostname, port, protocol: 'http', ...version } };
  }
  const tls = config.tls;
  // The agent carries the TLS material: its options apply to every connection it makes.
  const agent = new HttpsAgent({
    ...AGENT_OPTIONS,
    ...(tls?.caFile ? { ca: readFileSync(tls.caFile) } : {}),
    ...(tls?.certFile ? { cert: readFileSync(tls.certFile) } : {}),
    ...(tls?.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
    rejectUnauthorized: tls?.verify ?? true,
  });
  return { agent, modemOptions: { host: url.hostname, port, protocol: 'https', ...version } };
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

/** The daemon's own words for a failed call (its JSON `message`), else the modem's. */
function describeFailure(error: Error & { json?: unknown }): string {
  const json = error.json;
  if (isRecord(json) && typeof json.message === 'string') return json.message;
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString('utf8', 0, Math.min(json.length, 500)).trim();
  return error.message.trim();
}

export class DockerReader {
  private readonly docker: Docker;
  private readonly agent: HttpAgent;
  private readonly requestTimeoutMs: number;
  private lastAnswerAt = 0;

  constructor(config: DockerConfig) {
    const endpoint = endpointFor(config);
    this.agent = endpoint.agent;
    // docker-modem formats every request's options with util.inspect({ showHidden, depth: null })
    // even when its debug output is off, and the options hold this agent, so every call walked
    // every open socket: with 50 log streams, 2.5 MB of text and ~200 ms of CPU per request,
    // enough to starve the event loop under rotation. A fixed description keeps it constant.
    Object.defineProperty(this.agent, inspect.custom, { value: () => 'DockerReader agent' });
    this.requestTimeoutMs = config.requestTimeoutMs;
    // dockerode hands its options to the modem, which passes `agent` to every request.
    const options: Docker.DockerOptions & { agent: HttpAgent } = { ...endpoint.modemOptions, agent: this.agent };
    this.docker = new Docker(options);
  }

  /** Date.now() of the last call that got an answer from the daemon (any status): for readiness. */
  get lastSuccessAt(): number {
    return this.lastAnswerAt;
  }

  async ping(): Promise<void> {
    await this.call('ping', '/_ping', {});
  }

  async version(): Promise<{ version: string; apiVersion: string }> {
    const body = await this.call('version', '/version', {});
    const record = isRecord(body) ? body : undefined;
    return { version: stringField(record, 'Version'), apiVersion: stringField(record, 'ApiVersion') };
  }

  /** Every container, running or stopped (`all=1`). */
  async listContainers(): Promise<ContainerSummary[]> {
    const body = await this.call('list containers', '/containers/json?', { all: '1' });
    if (!Array.isArray(body)) throw new DockerApiError('list containers: the daemon answered with something other than a list', undefined);
    const summaries: ContainerSummary[] = [];
    for (const item of body as unknown[]) {
      if (!isRecord(item)) continue;
      const names = item.Names;
      const first = Array.isArray(names) && typeof names[0] === 'string' ? names[0] : '';
      summaries.push({ id: stringField(item, 'Id'), name: first.replace(/^\//, ''), running: item.State === 'running' });
    }
    return summaries;
  }

  /** Throws DockerApiError (404 when there is no such container). */
  async inspect(id: string): Promise<ContainerInfo> {
    const body = await this.call(`inspect container ${id}`, `/containers/${encodeURIComponent(id)}/json`, undefined);
    const record = isRecord(body) ? body : undefined;
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
      running: state?.Running === true,
    };
  }

  /**
   * GET /containers/{id}/logs?follow&stdout=1&stderr=1&timestamps=1&since=<sinceParam(position)>.
   * The raw HTTP response: read it with LogFrameParser; destroying it closes the connection,
   * which is the only way to end a follow stream early. Throws DockerApiError: 404 no such
   * container, 501 a log driver that cannot be read.
   */
  async openLogStream(id: string, options: { since: Position; follow: boolean }): Promise<IncomingMessage> {
    return this.openStream(`read the logs of container ${id}`, `/containers/${encodeURIComponent(id)}/logs?`, {
      follow: options.follow ? '1' : '0',
      stdout: '1',
      stderr: '1',
      timestamps: '1',
      since: sinceParam(options.since),
    });
  }

  /** GET /events?filters={"type":["container"]}&since=<since>: a never-ending stream of JSON objects. */
  async openEvents(options: { since?: string }): Promise<IncomingMessage> {
    const query: Record<string, string> = { filters: EVENT_FILTERS };
    if (options.since !== undefined) query.since = options.since;
    return this.openStream('follow container events', '/events?', query);
  }

  /** Releases the agent's sockets. Responses already handed out stay the caller's to destroy. */
  close(): void {
    this.agent.destroy();
  }

  private async call(what: string, path: string, query: Record<string, string> | undefined): Promise<unknown> {
    const result = await this.dial(what, path, query, false);
    return result;
  }

  private async openStream(what: string, path: string, query: Record<string, string>): Promise<IncomingMessage> {
    const result = await this.dial(what, path, query, true);
    if (!isIncomingMessage(result)) throw new DockerApiError(`${what}: the modem returned no response stream`, undefined);
    return result;
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
        statusCodes: STATUS_CODES,
        abortSignal: controller.signal,
        ...(query ? { options: query } : {}),
      };
      this.docker.modem.dial(dialOptions, (error, result) => {
        clearTimeout(timer);
        if (error) {
          const statusCode = (error as { statusCode?: unknown }).statusCode;
          if (typeof statusCode === 'number') {
            this.lastAnswerAt = Date.now();
            reject(new DockerApiError(`${what}: HTTP ${statusCode}: ${describeFailure(error)}`, statusCode, { cause: error }));
          } else if (timedOut) {
            reject(new DockerApiError(`${what}: no answer from the Docker daemon within ${this.requestTimeoutMs} ms`, undefined, { cause: error }));
          } else {
            reject(new DockerApiError(`${what}: cannot reach the Docker daemon: ${error.message}`, undefined, { cause: error }));
          }
          return;
        }
        this.lastAnswerAt = Date.now();
        resolve(result);
      });
    });
  }
}

function isIncomingMessage(value: unknown): value is IncomingMessage {
  return isRecord(value) && typeof value.statusCode === 'number' && typeof value.destroy === 'function' && typeof value.on === 'function';
}
