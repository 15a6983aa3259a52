// Helpers for tests against the real private Podman service (test/support/podman-service.sh), the
// second implementation of the Engine API, beside the private dockerd. Containers are created
// through Podman's Docker-compatible API with dockerode (the same helpers as for Docker); the
// capturer only reads.
//
// The oracle (podmanLines) is Podman's own answer WITHOUT follow, read by this small reader and
// not by the capturer's parser: the compatible endpoint for containers without a TTY, Podman's
// /libpod/ endpoint for TTY containers (it frames them; its compatible TTY stream has parts that
// nothing but the next timestamp delimits). What it compares, and why:
//   timestamp  the FIRST part's stamp, in canonical form. Podman stamps every part of a line on
//              its own (one per read of the pipe or terminal), cut to the second; a line began
//              when its first part was read, and that is the stamp a record carries (as on
//              Docker, where every part carries the first one's anyway).
//   stream     stdout or stderr (a TTY has stdout only).
//   message    the parts joined, without the `\n` (TTY: `\r\n`, also when a read ended between
//              the `\r` and the `\n`).
// A last line without a newline (a container killed mid-line) is a line too, as for Docker.
import { request } from 'node:http';
import type { TestContext } from 'node:test';
import type Docker from 'dockerode';
import { testDocker, dockerAnswers } from './docker.js';
import type { ReferenceLine } from './docker.js';

/** The Podman service's address (unix://...), from PODMAN_HOST. */
export function podmanHost(): string | undefined {
  const host = process.env.PODMAN_HOST;
  return host !== undefined && host !== '' ? host : undefined;
}

/**
 * The Podman service for a test. When none answers: under CI=true the test FAILS (CI installs
 * and starts one: .ci/run); on a developer's machine it is skipped with how to start one.
 */
export async function requirePodman(t: TestContext): Promise<{ podman: Docker; host: string } | undefined> {
  const host = podmanHost();
  if (host !== undefined) {
    const podman = testDocker(host);
    if (await dockerAnswers(podman)) return { podman, host };
  }
  const why = `no Podman service answers at ${host ?? '(PODMAN_HOST is not set)'} (start one: eval "$(bash test/support/podman-service.sh start /tmp/lc-podman)")`;
  if (process.env.CI === 'true') throw new Error(why);
  t.skip(why);
  return undefined;
}

/** GET over the service's unix socket; the whole body. */
function get(host: string, path: string): Promise<{ status: number; body: Buffer }> {
  if (!host.startsWith('unix://')) throw new Error(`the Podman oracle reads unix sockets only, not ${host}`);
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: host.slice('unix://'.length), path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Podman's libpod API version, from /version. */
async function libpodVersion(host: string): Promise<string> {
  const { body } = await get(host, '/version');
  const version = JSON.parse(body.toString('utf8')) as { Components?: Array<{ Name?: string; Details?: { APIVersion?: string } }> };
  const engine = version.Components?.find((c) => c.Name === 'Podman Engine');
  const api = engine?.Details?.APIVersion;
  if (api === undefined) throw new Error('the service at PODMAN_HOST does not say it is Podman');
  return api;
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) /;

/** A Podman stamp in canonical form: UTC, nine fraction digits. */
function canonical(date: string, fraction: string | undefined, zone: string): string {
  const ms = Date.parse(`${date}${zone}`);
  if (Number.isNaN(ms)) throw new Error(`not a time: ${date}${zone}`);
  return `${new Date(ms).toISOString().slice(0, 19)}.${(fraction ?? '').padEnd(9, '0')}Z`;
}

/** Frames of a multiplexed body -> lines, parts merged, each with its first part's stamp. */
function parseFrames(body: Buffer, tty: boolean): ReferenceLine[] {
  const lines: ReferenceLine[] = [];
  const pending = new Map<'stdout' | 'stderr', { timestamp: string; parts: Buffer[] }>();
  let offset = 0;
  while (offset + 8 <= body.length) {
    const type = body[offset] as number;
    const length = body.readUInt32BE(offset + 4);
    const payload = body.subarray(offset + 8, offset + 8 + length);
    offset += 8 + length;
    if (type !== 1 && type !== 2) continue;
    const stream = type === 2 ? 'stderr' : 'stdout';
    const match = STAMP.exec(payload.subarray(0, 40).toString('latin1'));
    if (!match) throw new Error(`Podman oracle: a frame without a stamp: ${JSON.stringify(payload.subarray(0, 40).toString('latin1'))}`);
    const text = payload.subarray(match[0].length);
    const line = pending.get(stream) ?? { timestamp: canonical(match[1] as string, match[2], match[3] as string), parts: [] };
    if (text.length > 0 && text[text.length - 1] === 0x0a) {
      line.parts.push(text.subarray(0, text.length - 1));
      let message = Buffer.concat(line.parts);
      if (tty && message.length > 0 && message[message.length - 1] === 0x0d) message = message.subarray(0, message.length - 1);
      lines.push({ timestamp: line.timestamp, stream, message });
      pending.delete(stream);
    } else {
      line.parts.push(text);
      pending.set(stream, line);
    }
  }
  if (offset !== body.length) throw new Error(`Podman oracle: ${body.length - offset} bytes after the last frame`);
  for (const [stream, line] of pending) lines.push({ timestamp: line.timestamp, stream, message: Buffer.concat(line.parts) });
  return lines;
}

/** The oracle: Podman's own lines for a container, without follow (see the header). */
export async function podmanLines(host: string, id: string): Promise<ReferenceLine[]> {
  const inspect = await get(host, `/v1.41/containers/${id}/json`);
  if (inspect.status !== 200) throw new Error(`inspect ${id}: HTTP ${inspect.status}`);
  const tty = (JSON.parse(inspect.body.toString('utf8')) as { Config?: { Tty?: boolean } }).Config?.Tty === true;
  const query = 'stdout=1&stderr=1&timestamps=1&follow=0';
  const path = tty ? `/v${await libpodVersion(host)}/libpod/containers/${id}/logs?${query}` : `/v1.41/containers/${id}/logs?${query}`;
  const { status, body } = await get(host, path);
  if (status !== 200) throw new Error(`logs of ${id}: HTTP ${status}: ${body.toString('utf8').slice(0, 200)}`);
  return parseFrames(body, tty);
}
