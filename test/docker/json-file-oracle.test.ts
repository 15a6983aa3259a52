// The file route against the API route on the real daemon: for containers that write every
// awkward kind of output, reading `<id>-json.log` straight from disk must give exactly the LogLines
// that GET /containers/{id}/logs (follow=0) gives through LogFrameParser: timestamp, stream,
// message bytes, truncated and chunks, line for line, also with a small max_line_bytes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { DockerReader } from '../../src/docker/docker-reader.js';
import { JsonFileReader } from '../../src/docker/json-file/json-file-reader.js';
import { jsonLogLocation } from '../../src/docker/json-file/log-location.js';
import type { JsonLogLocation } from '../../src/docker/json-file/log-location.js';
import { LogFrameParser } from '../../src/docker/log-frame-parser.js';
import type { LogLine } from '../../src/docker/log-line.js';
import { removeQuietly, requireDocker, runContainer, uniqueName, waitForExit } from '../support/docker.js';
import { canDropToNobody, openAsNobody } from '../support/json-file-as-nobody.js';
import { waitForProgress } from '../support/wait-progress.js';

interface SeenLine {
  timestamp: string;
  stream: string;
  message: string;
  truncated: boolean;
  chunks: number;
}

const seen = (line: LogLine): SeenLine => ({ timestamp: line.timestamp, stream: line.stream, message: line.message.toString('base64'), truncated: line.truncated, chunks: line.chunks });

async function throughApi(id: string, tty: boolean, maxLineBytes: number): Promise<SeenLine[]> {
  const reader = new DockerReader({ host: process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock', requestTimeoutMs: 30_000 });
  try {
    const lines: SeenLine[] = [];
    const errors: string[] = [];
    const parser = new LogFrameParser({ tty, maxLineBytes, onLine: (l) => lines.push(seen(l)), onDaemonError: (e) => errors.push(e) });
    const response = await reader.openLogs(id, { follow: false });
    for await (const chunk of response) parser.push(chunk as Buffer);
    parser.end();
    assert.deepEqual(errors, [], 'the API route parsed cleanly');
    return lines;
  } finally {
    reader.close();
  }
}

async function throughFile(location: JsonLogLocation, tty: boolean, maxLineBytes: number): Promise<SeenLine[]> {
  const lines: SeenLine[] = [];
  const warnings: string[] = [];
  const reader = new JsonFileReader({ location, start: { kind: 'beginning' }, tty, maxLineBytes, follow: false, onLine: (l) => { lines.push(seen(l)); }, onWarning: (m) => warnings.push(m) });
  await reader.open();
  assert.deepEqual(await reader.done, { kind: 'ended' });
  assert.deepEqual(warnings, []);
  return lines;
}

/** The container's log on our side: LogPath is a path on the daemon's host, which is this machine. */
async function locate(docker: Docker, id: string): Promise<JsonLogLocation> {
  const info = await docker.getContainer(id).inspect();
  const logPath = info.LogPath;
  assert.ok(logPath, 'json-file containers have a LogPath');
  return jsonLogLocation(dirname(dirname(logPath)), id, logPath);
}

function firstDifference(a: SeenLine[], b: SeenLine[]): string {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) return `line ${i}: file ${JSON.stringify(a[i])?.slice(0, 300)} api ${JSON.stringify(b[i])?.slice(0, 300)}`;
  }
  return 'none';
}

interface Case {
  name: string;
  script: string;
  tty?: boolean;
  /** Kill it once its log holds this many bytes (a container killed mid-line). */
  killAt?: number;
  check: (lines: SeenLine[]) => void;
}

const CASES: Case[] = [
  {
    name: 'stdout and stderr interleaved',
    script: 'i=0; while [ $i -lt 3000 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done',
    check: (lines) => {
      assert.equal(lines.length, 6000);
      assert.ok(lines.some((l) => l.stream === 'stderr') && lines.some((l) => l.stream === 'stdout'));
    },
  },
  {
    name: 'lines over 16 KiB on both streams, their pieces interleaved',
    script: [
      '(for i in 1 2 3 4 5 6; do head -c $((30000 + i * 7000)) /dev/zero | tr "\\0" o; echo " out$i"; done) &',
      '(for i in 1 2 3 4 5 6; do head -c $((20000 + i * 9000)) /dev/zero | tr "\\0" e; echo " err$i"; done) >&2 &',
      'wait',
    ].join(' '),
    check: (lines) => {
      assert.equal(lines.length, 12);
      assert.ok(lines.every((l) => l.chunks >= 2));
    },
  },
  {
    name: 'a TTY: \\r\\n endings, a \\r that ends a 16 KiB piece, tabs and carriage returns',
    tty: true,
    script: 'echo hello; printf "a\\tb\\n"; printf "over\\rwrite\\n"; head -c 16383 /dev/zero | tr "\\0" y; echo; head -c 40000 /dev/zero | tr "\\0" x; echo; printf "no newline at the end"',
    check: (lines) => {
      assert.equal(lines.length, 6);
      assert.equal(Buffer.from(lines[0]?.message ?? '', 'base64').toString(), 'hello');
      assert.equal(lines[3]?.chunks, 2, 'the `\\n` after a piece ending in `\\r` is a piece of its own');
    },
  },
  {
    name: 'binary output: invalid UTF-8, NUL, control characters, surrogates, long binary lines',
    script: 'printf "bin\\377\\376\\000\\001 \\342\\200 \\355\\240\\200 \\360\\237\\230\\200 \\342\\200\\250 <&> \\"q\\" \\\\\\n"; head -c 6000 /dev/urandom; echo; head -c 70000 /dev/urandom | tr -d "\\n"; echo',
    check: (lines) => {
      assert.ok(lines.length > 3);
      const first = Buffer.from(lines[0]?.message ?? '', 'base64');
      assert.ok(first.includes(Buffer.from('\ufffd\ufffd\u0000\u0001 \ufffd\ufffd \ufffd\ufffd\ufffd 😀 \u2028 <&> "q" \\')), first.toString('hex'));
    },
  },
  {
    name: 'killed mid-line, on a short line and on a long one',
    script: '(echo first; printf "unfinished out") & (head -c 20000 /dev/zero | tr "\\0" k) >&2 & sleep 600',
    killAt: 16_500, // 'first' and the long line's first 16 KiB piece: the rest waits in dockerd's copier until the kill
    check: (lines) => {
      assert.deepEqual(lines.map((l) => [l.stream, Buffer.from(l.message, 'base64').length, l.chunks]).sort(), [['stderr', 20000, 2], ['stdout', 14, 1], ['stdout', 5, 1]].sort());
    },
  },
  {
    name: 'many lines in a burst (timestamps close together, some shared)',
    script: 'seq 1 30000 & seq 1 30000 >&2 & wait',
    check: (lines) => assert.equal(lines.length, 60000),
  },
];

describe('json-file route: the same LogLines as the API route (real daemon)', () => {
  for (const testCase of CASES) {
    it(testCase.name, async (t) => {
      const docker = await requireDocker(t);
      if (!docker) return;
      const container = await runContainer(docker, { name: uniqueName('jf-oracle'), script: testCase.script, tty: testCase.tty ?? false });
      try {
        const id = (await container.inspect()).Id;
        const location = await locate(docker, id);
        if (testCase.killAt !== undefined) {
          let size = 0;
          await waitForProgress('the output to be logged', () => size >= (testCase.killAt as number), () => {
            try {
              size = readFileSync(location.path).length;
            } catch {
              size = 0;
            }
            return size;
          });
          await container.kill();
        }
        await waitForExit(container);
        for (const maxLineBytes of [1 << 20, 1000]) {
          const api = await throughApi(id, testCase.tty ?? false, maxLineBytes);
          const file = await throughFile(location, testCase.tty ?? false, maxLineBytes);
          assert.equal(file.length, api.length, `line count (max_line_bytes ${maxLineBytes}); first difference: ${firstDifference(file, api)}`);
          assert.ok(JSON.stringify(file) === JSON.stringify(api), `max_line_bytes ${maxLineBytes}: ${firstDifference(file, api)}`);
          if (maxLineBytes === 1 << 20) testCase.check(file);
          else if (file.some((l) => Buffer.from(l.message, 'base64').length > 0)) assert.ok(file.every((l) => Buffer.from(l.message, 'base64').length <= 1000));
        }
        if (testCase.name.startsWith('many lines')) {
          const api = await throughApi(id, false, 1 << 20);
          const shared = api.length - new Set(api.map((l) => l.timestamp)).size;
          t.diagnostic(`${api.length} lines, ${shared} of them share a timestamp with another line`);
        }
      } finally {
        await removeQuietly(container);
      }
    });
  }

  it('maps the daemon\'s LogPath under a containers directory mounted elsewhere', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    const container = await runContainer(docker, { name: uniqueName('jf-mount'), script: 'echo mapped' });
    const mount = mkdtempSync(join(tmpdir(), 'jf-mount-'));
    try {
      const id = (await container.inspect()).Id;
      await waitForExit(container);
      const logPath = (await container.inspect()).LogPath;
      // Our view of the daemon's containers directory, at another path (as a read-only mount would be).
      symlinkSync(dirname(dirname(logPath)), join(mount, 'containers'));
      const location = jsonLogLocation(join(mount, 'containers'), id, logPath);
      assert.equal(location.path, join(mount, 'containers', id, `${id}-json.log`));
      const lines = await throughFile(location, false, 1000);
      assert.deepEqual(lines.map((l) => Buffer.from(l.message, 'base64').toString()), ['mapped']);
    } finally {
      rmSync(mount, { recursive: true, force: true });
      await removeQuietly(container);
    }
  });

  it('says JSON_FILE_UNREADABLE to a reader that is not root (dockerd keeps the directory 0710 root)', async (t) => {
    const docker = await requireDocker(t);
    if (!docker) return;
    if (!canDropToNobody(t)) return;
    const container = await runContainer(docker, { name: uniqueName('jf-perm'), script: 'echo private' });
    try {
      const id = (await container.inspect()).Id;
      await waitForExit(container);
      const location = await locate(docker, id);
      const result = openAsNobody(location);
      assert.equal(result.code, 'JSON_FILE_UNREADABLE', JSON.stringify(result));
      assert.match(result.message ?? '', /permission denied/);
    } finally {
      await removeQuietly(container);
    }
  });
});
