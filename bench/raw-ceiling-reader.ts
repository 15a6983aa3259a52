// The frame-only reader again, without Node's HTTP client: one GET over a plain socket, and the
// chunked transfer encoding and Docker's frames decoded in ONE pass over each socket read.
// dockerd writes one HTTP chunk per log line, so through node:http every line costs an llhttp
// callback, a Readable push and a 'data' event; here a socket read of 64 KiB holds hundreds of
// lines and costs one event. The capturer reads its log streams through dockerode's connection
// (node:http), as the project requires; this row says what decoding in one pass would save
// (`raw_cpu_ratio`: the capturer's CPU per line over this reader's).
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { dockerOptions } from '../test/support/docker.js';
import type { CeilingResult } from './ceiling-reader.js';

const CR = 0x0d;
const LF = 0x0a;

const enum Chunked {
  /** Hex digits of a chunk size. */
  Size,
  /** After the size: extensions up to LF. */
  SizeLine,
  /** Inside a chunk's data. */
  Data,
  /** The CRLF after a chunk's data. */
  DataEnd,
  /** The zero chunk was seen: trailers, then the end. */
  Done,
}

/** Counts frames ending a line in a chunked body, decoding chunks and frames together. */
export class ChunkedFrameCounter {
  lines = 0;
  bytes = 0;
  done = false;
  private state = Chunked.Size;
  private size = 0;
  private chunkLeft = 0;
  // Frame state, as in the ceiling reader: header bytes seen, payload bytes left.
  private readonly header = Buffer.alloc(8);
  private headerFill = 0;
  private payloadLeft = 0;

  push(data: Buffer): void {
    let at = 0;
    const n = data.length;
    while (at < n) {
      switch (this.state) {
        case Chunked.Size: {
          const byte = data[at] as number;
          at += 1;
          const digit = byte >= 0x30 && byte <= 0x39 ? byte - 0x30 : byte >= 0x61 && byte <= 0x66 ? byte - 0x57 : byte >= 0x41 && byte <= 0x46 ? byte - 0x37 : -1;
          if (digit >= 0) this.size = this.size * 16 + digit;
          else this.state = byte === LF ? this.startChunk() : Chunked.SizeLine;
          break;
        }
        case Chunked.SizeLine: {
          const lf = data.indexOf(LF, at);
          if (lf < 0) return;
          at = lf + 1;
          this.state = this.startChunk();
          break;
        }
        case Chunked.Data: {
          const take = Math.min(this.chunkLeft, n - at);
          this.frames(data, at, at + take);
          at += take;
          this.chunkLeft -= take;
          if (this.chunkLeft === 0) this.state = Chunked.DataEnd;
          break;
        }
        case Chunked.DataEnd: {
          const byte = data[at] as number;
          at += 1;
          if (byte === LF) this.state = Chunked.Size;
          else if (byte !== CR) throw new Error('chunked encoding: no CRLF after a chunk');
          break;
        }
        case Chunked.Done:
          return;
      }
    }
  }

  private startChunk(): Chunked {
    const size = this.size;
    this.size = 0;
    if (size === 0) {
      this.done = true;
      return Chunked.Done;
    }
    this.chunkLeft = size;
    return Chunked.Data;
  }

  /** The ceiling reader's frame loop over data[start, end). */
  private frames(data: Buffer, start: number, end: number): void {
    this.bytes += end - start;
    let at = start;
    while (at < end) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, end - at);
        at += take;
        this.payloadLeft -= take;
        if (this.payloadLeft === 0 && data[at - 1] === LF) this.lines += 1;
        continue;
      }
      if (this.headerFill === 0 && end - at >= 8) {
        this.payloadLeft = data.readUInt32BE(at + 4);
        at += 8;
        continue;
      }
      const take = Math.min(8 - this.headerFill, end - at);
      data.copy(this.header, this.headerFill, at, at + take);
      this.headerFill += take;
      at += take;
      if (this.headerFill === 8) {
        this.headerFill = 0;
        this.payloadLeft = this.header.readUInt32BE(4);
      }
    }
  }
}

/** Reads a container's whole log (no follow) through a raw socket; same figures as readLogCeiling. */
export function readLogCeilingRaw(dockerHost: string, containerId: string, timeoutMs = 600_000): Promise<CeilingResult> {
  const path = `/containers/${containerId}/logs?stdout=1&stderr=1&timestamps=1&follow=0`;
  const options = dockerOptions(dockerHost);
  const startedAt = performance.now();
  const cpuBefore = process.cpuUsage();
  return new Promise<CeilingResult>((resolve, reject) => {
    const socket: Socket = options.socketPath ? connect(options.socketPath) : connect(Number(options.port), String(options.host));
    const counter = new ChunkedFrameCounter();
    let head: Buffer | undefined = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(new Error(`raw ceiling read did not finish within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n`));
    socket.on('data', (data: Buffer) => {
      let body = data;
      if (head !== undefined) {
        const all: Buffer = Buffer.concat([head, data]);
        const end = all.indexOf('\r\n\r\n');
        if (end < 0) {
          head = all;
          return;
        }
        const headers = all.toString('latin1', 0, end);
        head = undefined;
        if (!/^HTTP\/1\.1 200 /.test(headers)) return fail(new Error(`GET ${path}: ${headers.split('\r\n')[0] ?? ''}`));
        if (!/\r\ntransfer-encoding: chunked/i.test(headers)) return fail(new Error('the daemon did not answer with a chunked body'));
        body = all.subarray(end + 4);
      }
      try {
        counter.push(body);
      } catch (error) {
        fail(error as Error);
        return;
      }
      if (counter.done) {
        clearTimeout(timer);
        const cpu = process.cpuUsage(cpuBefore);
        socket.destroy();
        resolve({ lines: counter.lines, bytes: counter.bytes, wallMs: performance.now() - startedAt, cpuUs: cpu.user + cpu.system });
      }
    });
    socket.on('error', fail);
    socket.on('close', () => {
      if (!counter.done) fail(new Error('the daemon closed the connection before the end of the body'));
    });
  });
}
