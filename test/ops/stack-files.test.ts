// The runnable stack must agree with the capturer: vector.toml listens where the capturer sends
// by default and in compose, decodes NDJSON, keeps acknowledgements on, and its remap reads only
// fields our records carry; fluent-bit.yaml likewise; the compose file validates.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import type { CapturedLine } from '../../src/capture/captured-line.js';
import { envVariables } from '../../src/config/env-overrides.js';
import { RecordEncoder } from '../../src/ship/record-encoder.js';
import { SAFETY_CAP_MS } from '../support/wait-for.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

/** The record fields the capturer promises (Vector's docker_logs names, plus ours). */
const RECORD_FIELDS = ['timestamp', 'message', 'stream', 'container_id', 'container_name', 'container_created_at', 'image', 'label', 'host', 'source_type', 'truncated'];

type Table = Record<string, unknown>;
const isTable = (value: unknown): value is Table => typeof value === 'object' && value !== null && !Array.isArray(value);
function table(value: unknown, what: string): Table {
  assert.ok(isTable(value), `${what} is a table`);
  return value;
}

/** Keys of a real record from the encoder, truncated so that the optional field shows too. */
function encoderFields(): string[] {
  const line: CapturedLine = {
    container: { id: 'c'.repeat(64), name: 'web', image: 'busybox', labels: { a: 'b' }, createdAt: '2026-01-01T00:00:00.000000000Z', tty: false, logDriver: 'json-file', running: true },
    line: { timestamp: '2026-11-28T01:43:21.152000367Z', stream: 'stdout', message: Buffer.from('x'), truncated: true, chunks: 1 },
    position: { sinceMs: 1, skip: 1 },
  };
  return Object.keys(JSON.parse(new RecordEncoder('h').encodeRecord(line).toString('utf8')) as Table);
}

/** Top-level event fields a VRL program reads (assignment targets and comments left out). */
function fieldsRead(vrl: string): Set<string> {
  const read = new Set<string>();
  for (const rawLine of vrl.split('\n')) {
    let line = rawLine.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/#.*$/, '');
    line = line.replace(/\.[A-Za-z_][\w.]*\s*=(?!=)/g, '');
    for (const match of line.matchAll(/(?<![\w.)\]"])\.([A-Za-z_]\w*)/g)) read.add(match[1] as string);
  }
  return read;
}

interface DocumentedUrls { vector: URL; fluentbit: URL; fluentbitExample: URL }

const RECEIVER_WORDS = { vector: /vector/i, fluentbit: /fluent/i } as const;

/** URLs written right after a receiver's name, with no other receiver named in between. */
function urlsNamedFor(text: string, receiver: keyof typeof RECEIVER_WORDS): string[] {
  const other = receiver === 'vector' ? RECEIVER_WORDS.fluentbit : RECEIVER_WORDS.vector;
  const found: string[] = [];
  for (const line of text.split('\n')) {
    const at = line.search(RECEIVER_WORDS[receiver]);
    if (at < 0) continue;
    const rest = line.slice(at);
    const url = /https?:\/\/[^\s'"`)]+/.exec(rest);
    if (url && !other.test(rest.slice(0, url.index))) found.push(url[0].replace(/[.,;]$/, ''));
  }
  return found;
}

/**
 * The default receiver URLs as the config documents them: plugin-config/log-capturer.yaml when it
 * exists (its sink.url for its sink.type, else URLs written after the receiver's name), else the
 * schema's examples.
 */
function documentedUrls(): DocumentedUrls {
  const schema = read('plugin-config/schema.json');
  const fromSchema = (receiver: string): string => new RegExp(`${receiver} \\(e\\.g\\. (https?://[^\\s)]+)`).exec(schema)?.[1] ?? '';
  const candidates: Record<'vector' | 'fluentbit', string[]> = { vector: [], fluentbit: [] };
  const yamlPath = new URL('plugin-config/log-capturer.yaml', root);
  if (existsSync(yamlPath)) {
    const text = readFileSync(yamlPath, 'utf8');
    const parsed = parseYaml(text) as unknown;
    const sink = isTable(parsed) && isTable(parsed.sink) ? parsed.sink : undefined;
    if (sink && (sink.type === 'vector' || sink.type === 'fluentbit') && typeof sink.url === 'string') candidates[sink.type].push(sink.url);
    for (const receiver of ['vector', 'fluentbit'] as const) {
      if (candidates[receiver].length === 0) candidates[receiver].push(...urlsNamedFor(text, receiver));
    }
  }
  for (const receiver of ['vector', 'fluentbit'] as const) {
    if (candidates[receiver].length === 0) candidates[receiver].push(fromSchema(receiver));
  }
  const one = (list: string[], what: string): URL => {
    const distinct = [...new Set(list.map((u) => new URL(u).href))];
    assert.equal(distinct.length, 1, `the config documents one default ${what} URL: ${distinct.join(', ')}`);
    return new URL(distinct[0] as string);
  };
  return { vector: one(candidates.vector, 'Vector'), fluentbit: one(candidates.fluentbit, 'Fluent Bit'), fluentbitExample: new URL(fromSchema('fluentbit')) };
}

const portOf = (address: string): number => Number(/:(\d+)$/.exec(address)?.[1]);
const urlPort = (url: URL): number => Number(url.port || (url.protocol === 'https:' ? 443 : 80));

async function requireDockerCompose(t: TestContext): Promise<boolean> {
  try {
    await run('docker-compose', ['version'], { timeout: SAFETY_CAP_MS });
    return true;
  } catch {
    const why = 'docker-compose is not installed (Debian package: docker-compose)';
    if (process.env.CI === 'true') throw new Error(why);
    t.skip(why);
    return false;
  }
}

const vector = parseToml(read('vector.toml')) as Table;
const compose = parseYaml(read('docker-compose.yml')) as Table;

void describe('stack files', () => {
  void it('the record encoder emits exactly the documented record fields', () => {
    assert.deepEqual(encoderFields().sort(), [...RECORD_FIELDS].sort());
  });

  void it('vector.toml: one http_server source on 0.0.0.0:8080 at / decoding NDJSON, on the documented default URL', () => {
    const sources = Object.values(table(vector.sources, 'sources')).map((s) => table(s, 'source'));
    const http = sources.filter((s) => s.type === 'http_server');
    assert.equal(http.length, 1);
    const source = http[0] as Table;
    assert.equal(source.address, '0.0.0.0:8080');
    assert.equal(source.path ?? '/', '/');
    assert.equal(source.method ?? 'POST', 'POST');
    assert.equal(table(source.decoding, 'decoding').codec, 'json');
    assert.equal(table(source.framing ?? { method: 'newline_delimited' }, 'framing').method, 'newline_delimited');
    const documented = documentedUrls().vector;
    assert.equal(urlPort(documented), portOf(source.address as string));
    assert.equal(documented.pathname, source.path ?? '/');
  });

  void it('vector.toml: the remap parses the Docker timestamp and reads only fields our records carry', () => {
    const transforms = Object.entries(table(vector.transforms, 'transforms'));
    const remaps = transforms.map(([, t]) => table(t, 'transform')).filter((t) => t.type === 'remap');
    assert.ok(remaps.length > 0, 'a remap transform');
    const sourceIds = Object.keys(table(vector.sources, 'sources'));
    for (const remap of remaps) {
      const program = remap.source;
      assert.equal(typeof program, 'string');
      assert.match(program as string, /parse_timestamp!?\(\s*\.timestamp/);
      assert.match(program as string, /\.label\./);
      const reads = fieldsRead(program as string);
      for (const needed of ['timestamp', 'label', 'container_name']) assert.ok(reads.has(needed), `the remap reads .${needed}`);
      const foreign = [...reads].filter((field) => !RECORD_FIELDS.includes(field));
      assert.deepEqual(foreign, [], 'the remap reads fields no record carries');
      assert.ok((remap.inputs as string[]).every((input) => sourceIds.includes(input)));
    }
  });

  void it('the VRL field scanner tells reads from writes', () => {
    assert.deepEqual([...fieldsRead('.service = .label."com.x" # .ignored\nif .stream == "stderr" { .level = "e" }\nx, e = f(.timestamp, format: "%+")')].sort(), ['label', 'stream', 'timestamp']);
  });

  void it('vector.toml: every sink has acknowledgements enabled and is fed by the remap', () => {
    const sinks = Object.entries(table(vector.sinks, 'sinks'));
    assert.ok(sinks.length > 0);
    const transformIds = Object.keys(table(vector.transforms, 'transforms'));
    for (const [id, sink] of sinks) {
      const s = table(sink, `sink ${id}`);
      assert.equal(table(s.acknowledgements, `${id}.acknowledgements`).enabled, true, `${id} acknowledgements`);
      assert.ok((s.inputs as string[]).every((input) => transformIds.includes(input)), `${id} reads the remap`);
    }
    const console = sinks.map(([, s]) => table(s, 'sink')).find((s) => s.type === 'console');
    assert.equal(table(console?.encoding, 'console encoding').codec, 'json');
  });

  void it('fluent-bit.yaml: an http input on 0.0.0.0 at the documented default port, printing the tag from the path', () => {
    const doc = parseYaml(read('fluent-bit.yaml')) as { pipeline?: { inputs?: Table[]; outputs?: Table[] } };
    const input = doc.pipeline?.inputs?.find((i) => i.name === 'http');
    assert.ok(input, 'an http input');
    assert.equal(input.listen, '0.0.0.0');
    const { fluentbit, fluentbitExample } = documentedUrls();
    assert.equal(Number(input.port), urlPort(fluentbit));
    assert.equal(Number(input.port), urlPort(fluentbitExample));
    const tag = fluentbitExample.pathname.slice(1).replace(/[^A-Za-z0-9_.]/g, '_');
    const output = doc.pipeline?.outputs?.find((o) => o.name === 'stdout');
    assert.ok(output, 'a stdout output');
    const pattern = new RegExp(`^${String(output.match).replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
    assert.match(tag, pattern, 'the stdout output matches the tag taken from the default path');
  });

  void it('docker-compose.yml: the capturer sends to the vector service on vector.toml\'s port and path', () => {
    const services = table(compose.services, 'services');
    const capturer = table(services['log-capturer'], 'log-capturer service');
    const environment = table(capturer.environment, 'environment');
    assert.equal(environment.LOG_CAPTURER_SINK_TYPE, 'vector');
    const sinkUrl = new URL(String(environment.LOG_CAPTURER_SINK_URL));
    assert.ok(sinkUrl.hostname in services, `${sinkUrl.hostname} is a compose service`);
    assert.match(String(table(services[sinkUrl.hostname], 'vector service').image), /^timberio\/vector:\d+\.\d+\.\d+-debian$/);
    const source = Object.values(table(vector.sources, 'sources')).map((s) => table(s, 'source')).find((s) => s.type === 'http_server') as Table;
    assert.equal(urlPort(sinkUrl), portOf(source.address as string));
    assert.equal(sinkUrl.pathname, source.path ?? '/');
    assert.ok((capturer.volumes as string[]).includes('/var/run/docker.sock:/var/run/docker.sock:ro'));
    assert.ok((capturer.volumes as string[]).some((v) => v.endsWith(':/var/lib/log-capturer')));
    assert.match(JSON.stringify(table(capturer.healthcheck, 'healthcheck').test), /\/readyz/);
    assert.ok(Array.isArray(capturer.group_add), 'group_add gives the non-root user the socket group');
  });

  void it('Dockerfile: multi-stage on node:20-bookworm-slim, production deps only, non-root, state volume, /readyz healthcheck', () => {
    const dockerfile = read('Dockerfile');
    assert.ok((dockerfile.match(/^FROM node:20-bookworm-slim\b/gm) ?? []).length >= 2);
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /^USER (?!root\b|0\b)\S+/m);
    assert.match(dockerfile, /^VOLUME \["\/var\/lib\/log-capturer"\]/m);
    assert.match(dockerfile, /^HEALTHCHECK[\s\S]*\/readyz/m);
    assert.match(dockerfile, /LOG_CAPTURER_CHECKPOINT_STATE_DIR=\/var\/lib\/log-capturer/);
    assert.match(dockerfile, /LOG_CAPTURER_SERVER_LISTEN=0\.0\.0\.0:8001/);
  });

  void it('every LOG_CAPTURER_ variable in the compose file and Dockerfile is a configuration variable', () => {
    const known = envVariables();
    const used = new Set([...`${read('docker-compose.yml')}\n${read('Dockerfile')}`.matchAll(/LOG_CAPTURER_[A-Z_]+/g)].map((m) => m[0]));
    assert.ok(used.size >= 4);
    assert.deepEqual([...used].filter((name) => !known.has(name)), []);
  });

  void it('docker-compose.yml passes `docker-compose config`', async (t) => {
    if (!(await requireDockerCompose(t))) return;
    const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root.pathname, timeout: SAFETY_CAP_MS });
    const rendered = parseYaml(stdout) as Table;
    assert.deepEqual(Object.keys(table(rendered.services, 'services')).sort(), ['demo', 'log-capturer', 'vector']);
  });
});
