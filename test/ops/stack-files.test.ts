// The runnable stacks must agree with the capturer: vector.toml listens where the capturer sends
// by default and in compose, decodes NDJSON, keeps acknowledgements on, and its remap reads only
// fields our records carry; fluent-bit.yaml likewise; the compose file and the swarm stack
// validate with their own tools and are hardened (issue #11 item 10): the capturer sees no Docker
// socket, only the GET-only filter of deploy/docker-api-proxy, and runs read-only with every
// capability dropped.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
const RECORD_FIELDS = ['timestamp', 'message', 'event_id', 'stream', 'container_id', 'container_name', 'container_created_at', 'image', 'label', 'host', 'source_type', 'truncated', 'multiline_lines', 'multiline_cut'];

type Table = Record<string, unknown>;
const isTable = (value: unknown): value is Table => typeof value === 'object' && value !== null && !Array.isArray(value);
function table(value: unknown, what: string): Table {
  assert.ok(isTable(value), `${what} is a table`);
  return value;
}

/** Keys of a real record from the encoder, truncated and joined (and cut) so that the optional fields show too. */
function encoderFields(): string[] {
  const line: CapturedLine = {
    container: { id: 'c'.repeat(64), name: 'web', image: 'busybox', labels: { a: 'b' }, createdAt: '2026-01-01T00:00:00.000000000Z', tty: false, logDriver: 'json-file', logOptions: {}, running: true },
    line: { timestamp: '2026-11-28T01:43:21.152000367Z', stream: 'stdout', message: Buffer.from('x'), truncated: true, chunks: 1 },
    position: { sinceMs: 1, skip: 1 },
    ordinal: 0,
    multiline: { lines: 2, cut: true },
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

function withoutEnv(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of names) delete env[name];
  return env;
}

/**
 * A docker CLI that has `docker stack config` (Docker 20.10's CLI, Debian's docker.io, lacks
 * it; the CLI in /usr/local/bin has it). Without one the test is skipped, and fails under CI=true.
 */
async function dockerWithStackConfig(t: TestContext): Promise<string | undefined> {
  for (const candidate of ['docker', '/usr/local/bin/docker']) {
    try {
      const { stdout } = await run(candidate, ['stack', 'config', '--help'], { timeout: SAFETY_CAP_MS });
      if (/--compose-file/.test(stdout)) return candidate;
    } catch {
      // not this one
    }
  }
  const why = 'no docker CLI with `docker stack config` (Docker CLI 23 or newer)';
  if (process.env.CI === 'true') throw new Error(why);
  t.skip(why);
  return undefined;
}

const vector = parseToml(read('vector.toml')) as Table;
const compose = parseYaml(read('docker-compose.yml')) as Table;
const swarm = parseYaml(read('deploy/swarm-stack.yml')) as Table;
/** Where the official haproxy image reads its configuration. */
const HAPROXY_CFG_TARGET = '/usr/local/etc/haproxy/haproxy.cfg';
const schema = JSON.parse(read('plugin-config/schema.json')) as { properties: { filters: { properties: { opt_out_label: { default: string } } } } };
/** The label that keeps a container out of capture, as the capturer knows it by default. */
const OPT_OUT_LABEL = schema.properties.filters.properties.opt_out_label.default;

type Mount = { type?: string; source?: string; target?: string; read_only?: boolean };
const mountsOf = (service: Table): Mount[] => ((service.volumes ?? []) as unknown[]).map((m) => table(m, 'mount') as Mount);

/** What `docker stack config` rendered: global capturer and filter, hardened, node-local state, Vector replicated. */
function checkSwarmStack(stack: Table): void {
  const services = table(stack.services, 'services');
  assert.deepEqual(Object.keys(services).sort(), ['docker-api-proxy', 'log-capturer', 'vector']);
  const capturer = table(services['log-capturer'], 'log-capturer');
  const proxy = table(services['docker-api-proxy'], 'docker-api-proxy');
  const vectorService = table(services.vector, 'vector');

  // One capturer and one filter on every node; Vector replicated, one replica per node at most.
  assert.equal(table(capturer.deploy, 'capturer deploy').mode, 'global');
  assert.equal(table(proxy.deploy, 'proxy deploy').mode, 'global');
  const vectorDeploy = table(vectorService.deploy, 'vector deploy');
  assert.equal(vectorDeploy.mode ?? 'replicated', 'replicated');
  assert.ok(Number(vectorDeploy.replicas) >= 1);
  assert.equal(table(vectorDeploy.placement, 'vector placement').max_replicas_per_node, 1);

  // No POST-capable socket in the capturer: no bind mount at all, nothing named docker.sock but the filter's.
  const env = table(capturer.environment, 'capturer environment');
  const proxyEnv = table(proxy.environment, 'proxy environment');
  const capturerMounts = mountsOf(capturer);
  assert.deepEqual(capturerMounts.filter((m) => m.type === 'bind'), [], 'the capturer mounts nothing from the host');
  const filtered = String(proxyEnv.FILTERED_API_SOCKET);
  assert.equal(env.LOG_CAPTURER_DOCKER_HOST, `unix://${filtered}`, 'the capturer talks to the filter');
  const apiVolume = capturerMounts.find((m) => m.target === dirname(filtered));
  assert.ok(apiVolume && apiVolume.type === 'volume' && apiVolume.read_only === true, 'the filter\'s socket comes read-only from a volume');
  assert.ok(mountsOf(proxy).some((m) => m.type === 'volume' && m.source === apiVolume.source && m.target === dirname(filtered)), 'the filter offers its socket in the same volume');
  assert.ok(capturerMounts.every((m) => m.target === dirname(filtered) || !/docker\.sock/.test(`${m.source} ${m.target}`)));
  const socketBind = mountsOf(proxy).filter((m) => m.type === 'bind');
  assert.deepEqual(socketBind, [{ type: 'bind', source: '/var/run/docker.sock', target: String(proxyEnv.DOCKER_API_SOCKET), read_only: true }], 'the filter binds only the daemon\'s socket');
  assert.ok(table(stack.volumes, 'volumes')[String(apiVolume.source)] !== undefined);

  // The filter's rules are the shipped haproxy.cfg; it sits alone on an internal network.
  const configs = table(stack.configs, 'configs');
  const proxyConfig = (proxy.configs as Table[]).find((c) => c.target === HAPROXY_CFG_TARGET);
  assert.ok(proxyConfig, 'haproxy.cfg is given to the filter');
  assert.equal(table(configs[String(proxyConfig.source)], 'proxy config').file, new URL('deploy/docker-api-proxy/haproxy.cfg', root).pathname);
  const networks = table(stack.networks, 'networks');
  for (const name of Object.keys(table(proxy.networks, 'proxy networks'))) {
    assert.equal(table(networks[name], name).internal, true, `${name} is internal`);
    assert.ok(!(name in table(capturer.networks, 'capturer networks')), 'the capturer does not share the filter\'s network');
  }

  // Hardened: read-only root, no capabilities (security_opt is not applied to swarm services).
  for (const [name, service] of [['log-capturer', capturer], ['docker-api-proxy', proxy]] as const) {
    assert.equal(service.read_only, true, `${name} read_only`);
    assert.deepEqual(service.cap_drop, ['ALL'], `${name} cap_drop`);
    assert.equal(service.cap_add, undefined, `${name} adds no capability`);
    assert.equal(service.security_opt, undefined, `${name}: no security_opt that swarm would silently ignore`);
  }

  // A liveness healthcheck, a clean stop, never two capturers on one node during an update.
  const healthcheck = table(capturer.healthcheck, 'healthcheck');
  assert.equal((healthcheck.test as string[])[0], 'CMD');
  assert.match(JSON.stringify(healthcheck.test), /http:\/\/127\.0\.0\.1:8001\/healthz/);
  assert.equal(env.LOG_CAPTURER_SERVER_LISTEN, '0.0.0.0:8001');
  assert.equal(capturer.stop_grace_period, '15s');
  assert.equal(table(table(capturer.deploy, 'capturer deploy').update_config, 'update_config').order, 'stop-first');

  // Host name from the node; state on a node-local volume at the state dir.
  assert.equal(env.LOG_CAPTURER_CAPTURE_HOST_NAME, '{{.Node.Hostname}}');
  const state = capturerMounts.find((m) => m.target === env.LOG_CAPTURER_CHECKPOINT_STATE_DIR);
  assert.ok(state && state.type === 'volume', 'the state dir is a volume');
  const stateVolume = table(table(stack.volumes, 'volumes')[String(state.source)], 'state volume');
  assert.equal(stateVolume.driver ?? 'local', 'local', 'node-local');

  // Records go to the Vector service, which runs vector.toml and listens where the capturer sends.
  const sinkUrl = new URL(String(env.LOG_CAPTURER_SINK_URL));
  assert.equal(env.LOG_CAPTURER_SINK_TYPE, 'vector');
  assert.equal(sinkUrl.hostname, 'vector');
  const source = Object.values(table(vector.sources, 'sources')).map((s) => table(s, 'source')).find((s) => s.type === 'http_server') as Table;
  assert.equal(urlPort(sinkUrl), portOf(source.address as string));
  const vectorConfig = (vectorService.configs as Table[]).find((c) => String(c.target).endsWith('vector.toml'));
  assert.ok(vectorConfig);
  assert.equal(table(configs[String(vectorConfig.source)], 'vector config').file, new URL('vector.toml', root).pathname);
  assert.ok(Object.keys(table(vectorService.networks, 'vector networks')).some((n) => n in table(capturer.networks, 'capturer networks')), 'capturer and Vector share a network');
}

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

  void it('vector.toml: the commented exactly-once examples are valid TOML keyed on event_id', () => {
    // The commented blocks are what a user uncomments: they must parse and name a real field.
    const uncommented = (start: RegExp): Table => {
      const lines = read('vector.toml').split('\n');
      const first = lines.findIndex((line) => start.test(line));
      assert.ok(first >= 0, `a commented block ${String(start)}`);
      const block: string[] = [];
      for (const line of lines.slice(first)) {
        if (!line.startsWith('# ') || (block.length > 0 && /^# \[/.test(line))) break;
        block.push(line.slice(2).replace(/\s+#.*$/, ''));
      }
      return parseToml(block.join('\n'));
    };
    const dedupe = table(table(uncommented(/^# \[transforms\.dedupe\]/).transforms, 'transforms').dedupe, 'dedupe');
    assert.equal(dedupe.type, 'dedupe');
    assert.deepEqual(table(dedupe.fields, 'fields').match, ['event_id']);
    assert.deepEqual(dedupe.inputs, Object.keys(table(vector.transforms, 'transforms')).filter((id) => id === 'docker_logs'));
    const elasticsearch = table(table(uncommented(/^# \[sinks\.elasticsearch\]/).sinks, 'sinks').elasticsearch, 'elasticsearch');
    assert.equal(elasticsearch.id_key, 'event_id');
    assert.ok(encoderFields().includes('event_id'), 'records carry event_id by default');
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
    assert.ok((capturer.volumes as string[]).some((v) => v.endsWith(':/var/lib/log-capturer')));
    assert.match(JSON.stringify(table(capturer.healthcheck, 'healthcheck').test), /\/readyz/);
  });

  void it('docker-compose.yml: the capturer has no Docker socket and no socket group, only the GET-only filter\'s socket', () => {
    const services = table(compose.services, 'services');
    const capturer = table(services['log-capturer'], 'log-capturer service');
    const proxy = table(services['docker-api-proxy'], 'docker-api-proxy service');
    const volumes = capturer.volumes as string[];
    assert.deepEqual(volumes.filter((v) => /docker\.sock/.test(v)), [], 'no Docker socket mounted into the capturer');
    assert.equal(capturer.group_add, undefined, 'no group of the Docker socket: the capturer never opens it');
    assert.equal(capturer.user, undefined, 'the image\'s non-root user');
    const socketMounters = Object.entries(services).filter(([, service]) => ((table(service, 'service').volumes ?? []) as string[]).some((v) => /docker\.sock/.test(v)));
    assert.deepEqual(socketMounters.map(([name]) => name), ['docker-api-proxy'], 'only the filter mounts the daemon\'s socket');

    // The capturer's Docker host is the filter's socket, in a volume only the two share.
    const proxyEnv = table(proxy.environment, 'proxy environment');
    const capturerEnv = table(capturer.environment, 'capturer environment');
    const filtered = String(proxyEnv.FILTERED_API_SOCKET);
    assert.equal(capturerEnv.LOG_CAPTURER_DOCKER_HOST, `unix://${filtered}`);
    const dir = dirname(filtered);
    const proxyVolume = (proxy.volumes as string[]).find((v) => v.split(':')[1] === dir);
    assert.ok(proxyVolume, `the proxy mounts a volume at ${dir}`);
    const shared = proxyVolume.split(':')[0] as string;
    assert.ok(shared in table(compose.volumes, 'volumes'), `${shared} is a named volume`);
    assert.ok(volumes.includes(`${shared}:${dir}:ro`), `the capturer mounts ${shared} read-only at ${dir}`);
    const sharers = Object.entries(services).filter(([, service]) => ((table(service, 'service').volumes ?? []) as string[]).some((v) => v.startsWith(`${shared}:`)));
    assert.deepEqual(sharers.map(([name]) => name).sort(), ['docker-api-proxy', 'log-capturer']);

    // The filter: the shipped haproxy.cfg, the host's socket (DOCKER_SOCKET, default the usual path), no network.
    assert.ok((proxy.volumes as string[]).includes(`\${DOCKER_SOCKET:-/var/run/docker.sock}:${String(proxyEnv.DOCKER_API_SOCKET)}:ro`));
    assert.ok((proxy.volumes as string[]).includes(`./deploy/docker-api-proxy/haproxy.cfg:${HAPROXY_CFG_TARGET}:ro`));
    assert.match(JSON.stringify(proxy.entrypoint), new RegExp(`haproxy -W -db -f ${HAPROXY_CFG_TARGET}`));
    assert.equal(proxy.network_mode, 'none', 'the filter has no network at all');
    assert.equal(proxy.ports, undefined);
  });

  void it('docker-compose.yml: capturer and filter run read-only, with every capability dropped and no-new-privileges', () => {
    const services = table(compose.services, 'services');
    for (const name of ['log-capturer', 'docker-api-proxy']) {
      const service = table(services[name], name);
      assert.equal(service.read_only, true, `${name} read_only`);
      assert.deepEqual(service.cap_drop, ['ALL'], `${name} cap_drop`);
      assert.equal(service.cap_add, undefined, `${name} adds no capability`);
      assert.equal(service.privileged, undefined, `${name} is not privileged`);
      assert.ok((service.security_opt as string[]).includes('no-new-privileges:true'), `${name} no-new-privileges`);
    }
  });

  void it('docker-compose.yml and the swarm stack: Vector, which prints every record, opts out of capture', () => {
    for (const [file, doc] of [['docker-compose.yml', compose], ['deploy/swarm-stack.yml', swarm]] as const) {
      const vectorService = table(table(doc.services, `${file} services`).vector, `${file} vector`);
      assert.equal(table(vectorService.labels, `${file} vector labels`)[OPT_OUT_LABEL], 'false', `${file}: ${OPT_OUT_LABEL}=false on vector`);
    }
  });

  void it('the filter\'s entrypoint is the same in both stacks and fails loudly when the socket is not there', async () => {
    const entrypoints = [compose, swarm].map((doc) => table(table(doc.services, 'services')['docker-api-proxy'], 'docker-api-proxy').entrypoint as string[]);
    assert.deepEqual(entrypoints[0], entrypoints[1]);
    const [shell, flag, script] = entrypoints[0] as [string, string, string];
    assert.deepEqual([shell, flag], ['/bin/sh', '-c']);
    // Compose and stack files write a literal $ as $$.
    const command = script.replaceAll('$$', '$');
    const missing = join(mkdtempSync(join(tmpdir(), 'lc-no-socket-')), 'docker.sock');
    await assert.rejects(run('sh', ['-c', command], { env: { PATH: process.env.PATH, DOCKER_API_SOCKET: missing } }), (error: Error & { code?: number; stderr?: string }) => {
      assert.equal(error.code, 1);
      assert.match(String(error.stderr), new RegExp(`no Docker socket at ${missing}: set DOCKER_SOCKET`));
      return true;
    });
  });

  void it('Dockerfile: multi-stage on node:26-trixie-slim (the current LTS), production deps only, non-root, state volume 0700, no setuid, /readyz healthcheck', () => {
    const dockerfile = read('Dockerfile');
    const bases = [...dockerfile.matchAll(/^FROM (node:\S+)/gm)].map((m) => m[1]);
    assert.ok(bases.length >= 2);
    assert.deepEqual([...new Set(bases)], ['node:26-trixie-slim'], 'build and runtime on the same Node 26 LTS image');
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /^USER (?!root\b|0\b)\S+/m);
    assert.match(dockerfile, /^VOLUME \["\/var\/lib\/log-capturer"\]/m);
    assert.match(dockerfile, /install -d -o node -g node -m 0700 \/var\/lib\/log-capturer/);
    assert.match(dockerfile, /find \/ -xdev -type f -perm \/6000 -exec chmod a-s/);
    assert.match(dockerfile, /^HEALTHCHECK[\s\S]*\/readyz/m);
    assert.match(dockerfile, /LOG_CAPTURER_CHECKPOINT_STATE_DIR=\/var\/lib\/log-capturer/);
    assert.match(dockerfile, /LOG_CAPTURER_SERVER_LISTEN=0\.0\.0\.0:8001/);
  });

  void it('package.json engines admits the Node the tests run on', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const major = Number(process.versions.node.split('.')[0]);
    const minimum = Number(/^>=(\d+)$/.exec(engines)?.[1]);
    assert.ok(minimum <= major, `engines.node ${engines} admits Node ${process.versions.node}, which runs these tests`);
  });

  void it('every LOG_CAPTURER_ variable in the compose file, the swarm stack and the Dockerfile is a configuration variable', () => {
    const known = envVariables();
    const used = new Set([...`${read('docker-compose.yml')}\n${read('deploy/swarm-stack.yml')}\n${read('Dockerfile')}`.matchAll(/LOG_CAPTURER_[A-Z_]+/g)].map((m) => m[0]));
    used.delete('LOG_CAPTURER_IMAGE'); // the swarm stack's own variable: which image to deploy
    assert.ok(used.size >= 4);
    assert.deepEqual([...used].filter((name) => !known.has(name)), []);
  });

  void it('README: the deploy instructions name every variable the stack files read, and no DOCKER_GID', () => {
    const readme = read('README.md');
    const uncommented = `${read('docker-compose.yml')}\n${read('deploy/swarm-stack.yml')}`.split('\n').filter((line) => !/^\s*#/.test(line)).join('\n');
    const variables = new Set([...uncommented.matchAll(/(?<!\$)\$\{([A-Z_]+)/g)].map((m) => m[1] as string));
    assert.deepEqual([...variables].sort(), ['DOCKER_SOCKET', 'LOG_CAPTURER_IMAGE']);
    for (const name of variables) assert.match(readme, new RegExp(`\\b${name}=`), `README says how to set ${name}`);
    assert.doesNotMatch(readme, /DOCKER_GID=|stat -c %g/, 'the old group instructions are gone');
    assert.match(readme, /^docker-compose up -d --build$/m, 'one command starts the compose stack');
    assert.match(readme, /^docker stack deploy -c deploy\/swarm-stack\.yml logs$/m);
  });

  void it('docker-compose.yml passes `docker-compose config`', async (t) => {
    if (!(await requireDockerCompose(t))) return;
    const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root.pathname, timeout: SAFETY_CAP_MS, env: withoutEnv('DOCKER_SOCKET') });
    const rendered = parseYaml(stdout) as Table;
    assert.deepEqual(Object.keys(table(rendered.services, 'services')).sort(), ['demo', 'docker-api-proxy', 'log-capturer', 'vector']);
    const proxyVolumes = JSON.stringify(table(table(rendered.services, 'services')['docker-api-proxy'], 'proxy').volumes);
    assert.match(proxyVolumes, /\/var\/run\/docker\.sock:\/var\/run\/docker\.sock:ro/, 'the usual socket by default');
    // A socket elsewhere (rootless Docker, Docker Desktop) is one variable away.
    const elsewhere = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root.pathname, timeout: SAFETY_CAP_MS, env: { ...withoutEnv('DOCKER_SOCKET'), DOCKER_SOCKET: '/run/user/1000/docker.sock' } });
    assert.match(JSON.stringify(table(table((parseYaml(elsewhere.stdout) as Table).services, 'services')['docker-api-proxy'], 'proxy').volumes), /\/run\/user\/1000\/docker\.sock:\/var\/run\/docker\.sock:ro/);
  });

  void it('deploy/swarm-stack.yml passes `docker stack config`, and refuses to render without LOG_CAPTURER_IMAGE', async (t) => {
    const docker = await dockerWithStackConfig(t);
    if (!docker) return;
    const env = { ...withoutEnv('DOCKER_SOCKET', 'LOG_CAPTURER_IMAGE'), LOG_CAPTURER_IMAGE: 'registry.example.com/log-capturer:0.1.0' };
    const { stdout } = await run(docker, ['stack', 'config', '-c', 'deploy/swarm-stack.yml'], { cwd: root.pathname, timeout: SAFETY_CAP_MS, env });
    checkSwarmStack(parseYaml(stdout) as Table);
    await assert.rejects(run(docker, ['stack', 'config', '-c', 'deploy/swarm-stack.yml'], { cwd: root.pathname, timeout: SAFETY_CAP_MS, env: withoutEnv('LOG_CAPTURER_IMAGE') }), (error: Error & { stderr?: string }) => {
      assert.match(String(error.stderr), /required variable LOG_CAPTURER_IMAGE is missing a value: set LOG_CAPTURER_IMAGE to the image you pushed/);
      return true;
    });
  });
});
