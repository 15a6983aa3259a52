// The ceiling: the least any capturer must do to read a container's log through the Engine API —
// one GET /containers/{id}/logs?timestamps=1 (no follow), parse the 8-byte frame headers, count
// frames that end a line. No line objects, no encoding, no shipping. Whatever rate this reaches
// is what dockerd can serve on this machine; the capturer is measured against it.
import { request } from 'node:http';
import type { RequestOptions } from 'node:http';
import { dockerOptions } from '../test/support/docker.js';

export interface CeilingResult {
  lines: number;
  bytes: number;
  wallMs: number;
  /** CPU (user + system) this process spent, in microseconds. */
  cpuUs: number;
}

function requestOptions(dockerHost: string, path: string): RequestOptions {
  const options = dockerOptions(dockerHost);
  if (options.socketPath) return { socketPath: options.socketPath, path, method: 'GET' };
  return { host: options.host, port: options.port, path, method: 'GET' };
}

/**
 * Counts the lines of a non-TTY container's log. Frame headers may straddle chunks, so the
 * parser keeps the header bytes it has and how much payload is still to skip.
 */
export function readLogCeiling(dockerHost: string, containerId: string, timeoutMs = 600_000): Promise<CeilingResult> {
  const path = `/containers/${containerId}/logs?stdout=1&stderr=1&timestamps=1&follow=0`;
  const startedAt = performance.now();
  const cpuBefore = process.cpuUsage();
  return new Promise<CeilingResult>((resolve, reject) => {
    const req = request(requestOptions(dockerHost, path), (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${path}: HTTP ${res.statusCode}`));
        return;
      }
      const header = Buffer.alloc(8);
      let headerFill = 0;
      let payloadLeft = 0;
      let lastByte = 0;
      let lines = 0;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        let at = 0;
        while (at < chunk.length) {
          if (payloadLeft > 0) {
            const take = Math.min(payloadLeft, chunk.length - at);
            at += take;
            payloadLeft -= take;
            if (payloadLeft === 0) {
              lastByte = chunk[at - 1] ?? 0;
              if (lastByte === 0x0a) lines += 1;
            }
            continue;
          }
          const take = Math.min(8 - headerFill, chunk.length - at);
          chunk.copy(header, headerFill, at, at + take);
          headerFill += take;
          at += take;
          if (headerFill === 8) {
            headerFill = 0;
            payloadLeft = header.readUInt32BE(4);
          }
        }
      });
      res.on('end', () => {
        clearTimeout(timer);
        const cpu = process.cpuUsage(cpuBefore);
        resolve({ lines, bytes, wallMs: performance.now() - startedAt, cpuUs: cpu.user + cpu.system });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`ceiling read did not finish within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}
