// The stand-in against every row of the contract tables (vector-http-server.md, fluent-bit-http.md).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { compress as zstdCompress } from 'zstd-napi';
import { startStandInReceiver } from './stand-in-receiver.js';
import type { StandInReceiver } from './stand-in-receiver.js';

const agent = new Agent({ keepAliveTimeout: 10_000 });

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

async function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Reply> {
  const response = await request(url, {
    dispatcher: agent,
    method: (options.method ?? 'POST') as 'POST',
    headers: options.headers ?? {},
    body: options.body,
  });
  return { status: response.statusCode, body: await response.body.text(), headers: response.headers };
}

const ndjson = '{"a":1}\n{"b":"x"}\n';

void describe('stand-in Vector http_server', () => {
  let vector: StandInReceiver;
  void before(async () => {
    vector = await startStandInReceiver({ kind: 'vector', path: '/logs', maxBodyBytes: 1000 });
  });
  void after(async () => {
    await vector.stop();
  });
  const url = (): string => vector.url;
  const keptBy = async (reply: Promise<Reply>): Promise<[Reply, number]> => {
    const before = vector.events.length;
    const r = await reply;
    return [r, vector.events.length - before];
  };

  void it('listens on 127.0.0.1 at the configured path', () => {
    assert.match(url(), /^http:\/\/127\.0\.0\.1:\d+\/logs$/);
  });

  void it('wrong method: 405 plain text', async () => {
    const r = await send(url(), { method: 'PUT', body: ndjson });
    assert.equal(r.status, 405);
    assert.match(String(r.headers['content-type']), /text\/plain/);
    assert.ok(!r.body.startsWith('{'), 'not the JSON error body');
  });

  void it('wrong path (also extra segments): 404 with the JSON body', async () => {
    for (const path of ['/other', '/logs/more']) {
      const r = await send(`http://127.0.0.1:${vector.port}${path}`, { body: ndjson });
      assert.equal(r.status, 404);
      assert.deepEqual(JSON.parse(r.body), { code: 404, message: 'Not found' });
    }
  });

  void it('body over the limit, raw or after decompression: 413, nothing kept', async () => {
    const [raw, keptRaw] = await keptBy(send(url(), { body: `{"m":"${'x'.repeat(2000)}"}\n` }));
    assert.equal(raw.status, 413);
    assert.equal(keptRaw, 0);
    const bomb = gzipSync(`{"m":"${'y'.repeat(5000)}"}\n`);
    assert.ok(bomb.length < 1000);
    const [decoded, keptDecoded] = await keptBy(send(url(), { headers: { 'content-encoding': 'gzip' }, body: bomb }));
    assert.equal(decoded.status, 413);
    assert.equal(keptDecoded, 0);
  });

  void it('NDJSON body: success with the configured code and an empty body, fields added only when absent', async () => {
    const [r, kept] = await keptBy(send(url(), { body: '{"a":1}\n{"timestamp":"mine","source_type":"s","path":"p"}\n' }));
    assert.equal(r.status, 200);
    assert.equal(r.body, '');
    assert.equal(kept, 2);
    const [first, second] = vector.events.slice(-2);
    assert.equal(first?.path, '/logs');
    assert.equal(first?.source_type, 'http_server');
    assert.equal(typeof first?.timestamp, 'string');
    assert.deepEqual(second, { timestamp: 'mine', source_type: 's', path: 'p' });
  });

  void it('Content-Type is never checked', async () => {
    const [r, kept] = await keptBy(send(url(), { headers: { 'content-type': 'image/png' }, body: ndjson }));
    assert.equal(r.status, 200);
    assert.equal(kept, 2);
  });

  void it('gzip, deflate (zlib), zstd and identity are decoded; a comma list right to left', async () => {
    const cases: Array<[string, Buffer]> = [
      ['gzip', gzipSync(ndjson)],
      ['deflate', deflateSync(ndjson)],
      ['zstd', zstdCompress(Buffer.from(ndjson))],
      ['identity', Buffer.from(ndjson)],
      ['gzip, zstd', zstdCompress(gzipSync(ndjson))],
    ];
    for (const [encoding, body] of cases) {
      const [r, kept] = await keptBy(send(url(), { headers: { 'content-encoding': encoding }, body }));
      assert.equal(r.status, 200, encoding);
      assert.equal(kept, 2, encoding);
    }
    assert.equal(vector.requests.at(-1)?.encoding, 'gzip, zstd');
  });

  void it('unknown encoding: 415 naming it; corrupt compressed body: 422', async () => {
    const unknown = await send(url(), { headers: { 'content-encoding': 'br' }, body: ndjson });
    assert.equal(unknown.status, 415);
    assert.deepEqual(JSON.parse(unknown.body), { code: 415, message: 'Unsupported encoding br' });
    for (const encoding of ['gzip', 'deflate', 'zstd']) {
      const [r, kept] = await keptBy(send(url(), { headers: { 'content-encoding': encoding }, body: 'not compressed at all' }));
      assert.equal(r.status, 422, encoding);
      assert.equal(kept, 0);
    }
  });

  void it('a line that is not JSON, or JSON but not an object: 400 for the whole request', async () => {
    for (const bad of ['{"ok":1}\nnot json\n', '{"ok":1}\n42\n', '{"ok":1}\n"s"\n', '{"ok":1}\nnull\n']) {
      const [r, kept] = await keptBy(send(url(), { body: bad }));
      assert.equal(r.status, 400, bad);
      assert.match((JSON.parse(r.body) as { message: string }).message, /^Failed decoding body/);
      assert.equal(kept, 0, bad);
    }
  });

  void it('a top-level array is one event per element; empty lines are skipped; a lone \\r is a 400', async () => {
    const [array, keptArray] = await keptBy(send(url(), { body: '[{"a":1},{"a":2},{"a":3}]\n' }));
    assert.equal(array.status, 200);
    assert.equal(keptArray, 3);
    const [empty, keptEmpty] = await keptBy(send(url(), { body: '{"a":1}\n\n\n{"a":2}' }));
    assert.equal(empty.status, 200);
    assert.equal(keptEmpty, 2);
    const [cr, keptCr] = await keptBy(send(url(), { body: '{"a":1}\n\r\n' }));
    assert.equal(cr.status, 400);
    assert.equal(keptCr, 0);
  });

  void it('empty body: 200, no events', async () => {
    const [r, kept] = await keptBy(send(url(), { body: '' }));
    assert.equal(r.status, 200);
    assert.equal(kept, 0);
  });

  void it('records every request: status, raw bytes, encoding, content type, time', () => {
    const last = vector.requests.at(-1);
    assert.ok(last);
    assert.equal(last.status, 200);
    assert.equal(last.bytes, 0);
    assert.equal(typeof last.at, 'number');
  });
});

void describe('stand-in Vector options and controls', () => {
  void it('basic auth: 401 without WWW-Authenticate when missing or wrong, 200 when right', async () => {
    const vector = await startStandInReceiver({ kind: 'vector', auth: { username: 'u', password: 'p' } });
    try {
      const missing = await send(vector.url, { body: ndjson });
      assert.equal(missing.status, 401);
      assert.equal(missing.headers['www-authenticate'], undefined);
      const wrong = await send(vector.url, { headers: { authorization: `Basic ${Buffer.from('u:x').toString('base64')}` }, body: ndjson });
      assert.equal(wrong.status, 401);
      const right = await send(vector.url, { headers: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` }, body: ndjson });
      assert.equal(right.status, 200);
      assert.equal(vector.events.length, 2);
    } finally {
      await vector.stop();
    }
  });

  void it('response_code, failWith, delayReplies', async () => {
    const vector = await startStandInReceiver({ kind: 'vector', responseCode: 202 });
    try {
      assert.equal((await send(vector.url, { body: ndjson })).status, 202);
      vector.failWith(503);
      const failed = await send(vector.url, { body: ndjson });
      assert.equal(failed.status, 503);
      assert.equal(vector.events.length, 2);
      vector.failWith(null);
      vector.delayReplies(300);
      const started = Date.now();
      assert.equal((await send(vector.url, { body: ndjson })).status, 202);
      assert.ok(Date.now() - started >= 250, 'the reply was held');
      assert.equal(vector.events.length, 4);
    } finally {
      await vector.stop();
    }
  });

  void it('answers Connection: close once a connection is older than max connection age', async () => {
    const vector = await startStandInReceiver({ kind: 'vector', maxConnectionAgeMs: 0 });
    try {
      const r = await send(vector.url, { body: ndjson });
      assert.equal(r.headers.connection, 'close');
    } finally {
      await vector.stop();
    }
  });

  void it('refuses connections and accepts them again on the same port', async () => {
    const vector = await startStandInReceiver({ kind: 'vector' });
    try {
      await vector.refuseConnections();
      await assert.rejects(send(vector.url, { body: ndjson }), (error: Error & { code?: string }) => error.code === 'ECONNREFUSED');
      await vector.acceptConnections();
      assert.equal((await send(vector.url, { body: ndjson })).status, 200);
    } finally {
      await vector.stop();
    }
  });
});

void describe('stand-in Fluent Bit http input', () => {
  let fluent: StandInReceiver;
  void before(async () => {
    fluent = await startStandInReceiver({ kind: 'fluentbit', maxBodyBytes: 2000 });
  });
  void after(async () => {
    await fluent.stop();
  });
  const json = { 'content-type': 'application/json' };
  const at = (path: string): string => `http://127.0.0.1:${fluent.port}${path}`;

  void it('only POST; other methods get 400', async () => {
    assert.equal((await send(at('/x'), { method: 'PUT', headers: json, body: ndjson })).status, 400);
  });

  void it('NDJSON labelled application/json (any case, parameters ignored): 201 empty, records kept, tag from path', async () => {
    for (const type of ['application/json', 'Application/JSON; charset=utf-8']) {
      const before = fluent.events.length;
      const r = await send(at('/docker/app-1'), { headers: { 'content-type': type }, body: ndjson });
      assert.equal(r.status, 201, type);
      assert.equal(r.body, '');
      assert.deepEqual(fluent.events.slice(before), [{ a: 1 }, { b: 'x' }]);
      assert.equal(fluent.requests.at(-1)?.tag, 'docker_app_1');
    }
    await send(at('/'), { headers: json, body: ndjson });
    assert.equal(fluent.requests.at(-1)?.tag, 'http.0');
  });

  void it('a top-level array and concatenated objects are accepted', async () => {
    const before = fluent.events.length;
    assert.equal((await send(at('/t'), { headers: json, body: '[{"a":1},{"a":2}]' })).status, 201);
    assert.equal((await send(at('/t'), { headers: json, body: '{"a":3}{"a":4}' })).status, 201);
    assert.equal(fluent.events.length - before, 4);
  });

  void it('application/x-ndjson and a missing Content-Type: 400, nothing kept', async () => {
    const before = fluent.events.length;
    const ndjsonType = await send(at('/t'), { headers: { 'content-type': 'application/x-ndjson' }, body: ndjson });
    assert.equal(ndjsonType.status, 400);
    assert.equal(ndjsonType.body, "error: invalid 'Content-Type'");
    const none = await send(at('/t'), { body: ndjson });
    assert.equal(none.status, 400);
    assert.equal(none.body, "error: header 'Content-Type' is not set");
    assert.equal(fluent.events.length, before);
  });

  void it('application/x-www-form-urlencoded is accepted', async () => {
    const r = await send(at('/t'), { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'k=v&n=1' });
    assert.equal(r.status, 201);
    assert.deepEqual(fluent.events.at(-1), { k: 'v', n: '1' });
  });

  void it('gzip and zstd decoded; deflate 400', async () => {
    assert.equal((await send(at('/t'), { headers: { ...json, 'content-encoding': 'gzip' }, body: gzipSync(ndjson) })).status, 201);
    assert.equal((await send(at('/t'), { headers: { ...json, 'content-encoding': 'zstd' }, body: zstdCompress(Buffer.from(ndjson)) })).status, 201);
    assert.equal((await send(at('/t'), { headers: { ...json, 'content-encoding': 'deflate' }, body: deflateSync(ndjson) })).status, 400);
  });

  void it('a valid line followed by a malformed one: 400, all or nothing; empty body: 400 no payload', async () => {
    const before = fluent.events.length;
    assert.equal((await send(at('/t'), { headers: json, body: '{"ok":1}\n{"broken":\n' })).status, 400);
    const empty = await send(at('/t'), { headers: json, body: '' });
    assert.equal(empty.status, 400);
    assert.equal(empty.body, 'error: no payload found');
    assert.equal(fluent.events.length, before);
  });

  void it('over buffer_max_size: 413', async () => {
    assert.equal((await send(at('/t'), { headers: json, body: `{"m":"${'x'.repeat(3000)}"}` })).status, 413);
  });

  void it('successful_response_code may be 200 or 204; 4 MiB default limit', async () => {
    const other = await startStandInReceiver({ kind: 'fluentbit', responseCode: 204 });
    try {
      assert.equal((await send(other.url, { headers: json, body: ndjson })).status, 204);
      const big = `{"m":"${'x'.repeat(4 * 1024 * 1024)}"}`;
      assert.equal((await send(other.url, { headers: json, body: big })).status, 413);
    } finally {
      await other.stop();
    }
  });
});

void after(async () => {
  await agent.close();
});

void describe('stand-in dedupe transform', () => {
  void it('lets the first event of each value through, events without the field too, and keeps every event in events', async () => {
    const vector = await startStandInReceiver({ kind: 'vector', dedupeBy: 'event_id' });
    try {
      const body = '{"event_id":"a","n":1}\n{"event_id":"b","n":2}\n{"n":3}\n';
      assert.equal((await send(vector.url, { body, headers: { 'content-type': 'application/x-ndjson' } })).status, 200);
      assert.equal((await send(vector.url, { body, headers: { 'content-type': 'application/x-ndjson' } })).status, 200);
      assert.equal(vector.events.length, 6);
      assert.deepEqual(vector.deduplicated.map((e) => e.n), [1, 2, 3, 3]);
    } finally {
      await vector.stop();
    }
  });
});
