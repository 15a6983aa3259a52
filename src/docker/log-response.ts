// GET /containers/{id}/logs over a connection of its own, without node:http: the status line and
// headers are read here, and the body is decoded over each socket read in one pass
// (http-body-decoder.ts), so a socket read of hundreds of lines is one 'data' event of body bytes
// for the frame parser instead of one event per line (dockerd writes one HTTP chunk per line).
//
// The response is a Readable like the IncomingMessage it replaces: 'data', 'end', 'error',
// 'close', pause()/resume() (TCP backpressure to the daemon), and destroy(), which destroys the
// socket at once (the only way to end a follow stream early). `Connection: close` is asked for:
// a log stream's socket is never handed to anyone else, so it is released exactly when the
// response is destroyed or the body ends.
import { connect as connectNet } from 'node:net';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import { DockerError } from './docker-error.js';
import { HttpBodyDecoder, HttpBodyError } from './http-body-decoder.js';
import type { BodyFraming } from './http-body-decoder.js';

/** Where the daemon listens, as the log streams connect to it. */
export type StreamEndpoint =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'tls'; host: string; port: number; tls: ConnectionOptions };

/** The status line and headers must fit in this (dockerd's are ≈ 200 bytes). */
const MAX_HEAD_BYTES = 64 * 1024;
/** Of an error answer's body, only this much is read (for the message). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** The open body of a 200 answer. */
export class LogResponse extends Readable {
  private ended = false;
  /** start() ran: until then the socket stays paused, whatever the consumer asks. */
  private started = false;
  /** The last push() was refused (buffer full): the socket waits for _read(). */
  private full = false;
  /** The socket ended before start(). */
  private socketEnded = false;

  /** `socket` is paused; start() reads on. */
  constructor(readonly socket: Socket, private readonly decoder: HttpBodyDecoder) {
    super();
    socket.on('end', this.onSocketEnd);
    socket.on('close', this.onSocketEnd);
    socket.on('error', this.onSocketError);
  }

  /** Reads the bytes that came with the headers, then the socket. */
  start(first: Buffer): void {
    if (this.destroyed) return;
    this.started = true;
    this.socket.on('data', this.onSocketData);
    if (first.length > 0) this.onSocketData(first);
    else if (this.decoder.done) this.finish();
    if (this.socketEnded) this.onSocketEnd();
    else if (!this.destroyed && !this.ended && !this.full) this.socket.resume();
  }

  override _read(): void {
    this.full = false;
    if (this.started && !this.socket.destroyed) this.socket.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.off('data', this.onSocketData);
    this.socket.off('end', this.onSocketEnd);
    this.socket.off('close', this.onSocketEnd);
    // An error after our destroy must not be unhandled: keep a listener that ignores it.
    this.socket.off('error', this.onSocketError);
    this.socket.on('error', ignore);
    this.socket.destroy();
    callback(error);
  }

  private readonly onSocketData = (data: Buffer): void => {
    if (this.ended || this.destroyed) return;
    let body: Buffer;
    try {
      body = this.decoder.decode(data);
    } catch (error) {
      this.destroy(error instanceof HttpBodyError ? new DockerError('DOCKER_PROTOCOL', `log stream: ${error.message}`) : (error as Error));
      return;
    }
    if (body.length > 0 && !this.push(body)) {
      this.full = true;
      this.socket.pause();
    }
    if (this.decoder.done) this.finish();
  };

  private readonly onSocketEnd = (): void => {
    if (this.ended || this.destroyed) return;
    // The whole answer may have come in the read with the headers: start() reads it first.
    if (!this.started) {
      this.socketEnded = true;
      return;
    }
    if (this.decoder.endsWithConnection) this.finish();
    else this.destroy(new DockerError('DOCKER_UNREACHABLE', 'log stream: the daemon closed the connection before the end of the body'));
  };

  private readonly onSocketError = (error: Error): void => {
    this.destroy(new DockerError('DOCKER_UNREACHABLE', `log stream: ${error.message}`, { cause: error }));
  };

  /** The body is complete: end; the socket goes when the stream is destroyed (autoDestroy, after 'end'). */
  private finish(): void {
    this.ended = true;
    this.push(null);
  }
}

function ignore(): void {}

interface Head {
  status: number;
  framing: BodyFraming;
  /** Body bytes that came in the same read as the end of the headers. */
  rest: Buffer;
}

/** Parses the status line and headers; undefined until `\r\n\r\n` arrived. */
function parseHead(data: Buffer): Head | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) {
    if (data.length > MAX_HEAD_BYTES) throw new DockerError('DOCKER_PROTOCOL', 'the daemon\'s response headers are longer than 64 KiB');
    return undefined;
  }
  const lines = data.toString('latin1', 0, end).split('\r\n');
  const statusLine = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '');
  if (!statusLine) throw new DockerError('DOCKER_PROTOCOL', `the daemon did not answer with HTTP/1.1: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  let chunked = false;
  let length: number | undefined;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'transfer-encoding') chunked = value.toLowerCase().split(',').map((v) => v.trim()).at(-1) === 'chunked';
    else if (name === 'content-length') {
      if (!/^\d{1,15}$/.test(value)) throw new DockerError('DOCKER_PROTOCOL', `the daemon sent a Content-Length that is not a number: ${JSON.stringify(value.slice(0, 40))}`);
      length = Number(value);
    }
  }
  const status = Number(statusLine[1]);
  // A status that has no body (1xx is not expected here; 204 and 304 have none).
  const framing: BodyFraming = status === 204 || status === 304 ? { kind: 'length', length: 0 }
    : chunked ? { kind: 'chunked' } : length !== undefined ? { kind: 'length', length } : { kind: 'close' };
  return { status, framing, rest: data.subarray(end + 4) };
}

/** The daemon's own words for a failed call: its JSON `message`, else the body's text. */
function describeErrorBody(body: Buffer): string {
  const text = body.toString('utf8').trim();
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json === 'object' && json !== null && 'message' in json && typeof json.message === 'string') return json.message.slice(0, 500);
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 500);
}

export interface LogRequest {
  endpoint: StreamEndpoint;
  /** The request target: path and query. */
  target: string;
  /** For messages: what was asked (`read the logs of container …`) and of whom. */
  what: string;
  address: string;
  /** Until the response headers arrived; the body may then stay silent for hours. */
  timeoutMs: number;
  /** Called once the daemon answered anything (a status line). */
  onAnswer: () => void;
}

/** Opens the stream: resolves with the body of a 200 answer; rejects with a DockerError otherwise. */
export function requestLogs(request: LogRequest): Promise<LogResponse> {
  const { endpoint } = request;
  return new Promise<LogResponse>((resolve, reject) => {
    const socket: Socket = endpoint.kind === 'unix' ? connectNet({ path: endpoint.path })
      : endpoint.kind === 'tcp' ? connectNet({ host: endpoint.host, port: endpoint.port })
        : connectTls({ ...endpoint.tls, host: endpoint.host, port: endpoint.port });
    let head: Buffer | undefined = Buffer.alloc(0);
    let settled = false;
    /** A non-200 answer: its body, collected for the message. */
    let errorAnswer: { status: number; decoder: HttpBodyDecoder; body: Buffer[]; bytes: number } | undefined;

    const timer = setTimeout(() => {
      fail(new DockerError('DOCKER_TIMEOUT', `${request.what}: no answer from the Docker daemon at ${request.address} within ${request.timeoutMs} ms`));
    }, request.timeoutMs);

    const cleanUp = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
    };
    const fail = (error: DockerError): void => {
      if (settled) return;
      settled = true;
      cleanUp();
      socket.on('error', ignore);
      socket.destroy();
      reject(error);
    };
    const rejectAnswer = (): void => {
      if (!errorAnswer) return;
      const { status, body } = errorAnswer;
      fail(new DockerError('DOCKER_HTTP_STATUS', `${request.what}: HTTP ${status}: ${describeErrorBody(Buffer.concat(body))}`, { statusCode: status }));
    };
    const collectError = (data: Buffer): void => {
      if (!errorAnswer) return;
      let body: Buffer;
      try {
        body = errorAnswer.decoder.decode(data);
      } catch {
        rejectAnswer();
        return;
      }
      const room = MAX_ERROR_BODY_BYTES - errorAnswer.bytes;
      if (room > 0 && body.length > 0) {
        const kept = Buffer.from(body.subarray(0, room));
        errorAnswer.body.push(kept);
        errorAnswer.bytes += kept.length;
      }
      if (errorAnswer.decoder.done || errorAnswer.bytes >= MAX_ERROR_BODY_BYTES) rejectAnswer();
    };
    const onData = (data: Buffer): void => {
      if (errorAnswer) {
        collectError(data);
        return;
      }
      if (head === undefined) return;
      let parsed: Head | undefined;
      const all: Buffer = head.length > 0 ? Buffer.concat([head, data]) : data;
      try {
        parsed = parseHead(all);
      } catch (error) {
        fail(error as DockerError);
        return;
      }
      if (parsed === undefined) {
        head = Buffer.from(all);
        return;
      }
      head = undefined;
      request.onAnswer();
      if (parsed.status !== 200) {
        errorAnswer = { status: parsed.status, decoder: new HttpBodyDecoder(parsed.framing), body: [], bytes: 0 };
        if (parsed.framing.kind === 'length' && parsed.framing.length === 0) rejectAnswer();
        else collectError(parsed.rest);
        return;
      }
      settled = true;
      // Nothing is read until the caller's await has attached its listeners: an error in the
      // first bytes must have someone to go to (a Readable's 'error' without a listener would
      // crash the process).
      socket.pause();
      cleanUp();
      const response = new LogResponse(socket, new HttpBodyDecoder(parsed.framing));
      resolve(response);
      const rest = parsed.rest;
      setImmediate(() => response.start(rest));
    };
    const onEnd = (): void => {
      if (errorAnswer) rejectAnswer();
      else fail(new DockerError('DOCKER_UNREACHABLE', `${request.what}: the Docker daemon at ${request.address} closed the connection without an answer`));
    };
    const onError = (error: Error): void => {
      fail(new DockerError('DOCKER_UNREACHABLE', `${request.what}: cannot reach the Docker daemon at ${request.address}: ${error.message}`, { cause: error }));
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    const host = endpoint.kind === 'unix' ? 'localhost' : endpoint.port === 80 ? endpoint.host : `${endpoint.host}:${endpoint.port}`;
    socket.write(`GET ${request.target} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: log-capturer\r\nConnection: close\r\n\r\n`);
  });
}
