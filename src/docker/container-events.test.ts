import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { silentLogger } from '../utils/logger.js';
import { ContainerEvents, JsonObjectSplitter, parseContainerEvent, sinceFromTimeNano } from './container-events.js';
import type { ContainerEvent } from './container-events.js';
import { DockerReader } from './docker-reader.js';

/** Container ids as the daemon writes them (anything else is refused). */
const C1 = '1'.repeat(64);
const C2 = '2'.repeat(64);
const C3 = '3'.repeat(64);

function eventJson(action: string, id: string, timeNano: string, attributes: Record<string, string> = {}): string {
  // As API 1.41 sends it, old fields included; only Type/Action/Actor/timeNano may be read.
  return `{"status":"${action}","id":"${id}","from":"img","Type":"container","Action":"${action}","Actor":{"ID":"${id}","Attributes":${JSON.stringify(attributes)}},"scope":"local","time":${timeNano.slice(0, -9)},"timeNano":${timeNano}}\n`;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await delay(10);
  }
}

void describe('JsonObjectSplitter', () => {
  const stream = Buffer.from(
    [
      '{"a":"brace } and { in a string","b":{"c":[1,{"d":2}]}}\n',
      '{"quote":"escaped \\" quote } here","back":"\\\\"}',
      '{"utf8":"grüße → 日本"}\n',
      '\n{}\n',
    ].join(''),
  );
  const expected = ['{"a":"brace } and { in a string","b":{"c":[1,{"d":2}]}}', '{"quote":"escaped \\" quote } here","back":"\\\\"}', '{"utf8":"grüße → 日本"}', '{}'];

  void it('splits objects at every chunk boundary, strings, escapes and multi-byte characters included', () => {
    for (let a = 0; a <= stream.length; a += 1) {
      for (let b = a; b <= stream.length; b += 5) {
        const seen: string[] = [];
        const splitter = new JsonObjectSplitter((text) => seen.push(text), (message) => assert.fail(message));
        splitter.push(stream.subarray(0, a));
        splitter.push(stream.subarray(a, b));
        splitter.push(stream.subarray(b));
        assert.deepEqual(seen, expected, `split at ${a} and ${b}`);
      }
    }
  });

  void it('drops an object that never closes instead of growing without bound', () => {
    const garbage: string[] = [];
    const seen: string[] = [];
    const splitter = new JsonObjectSplitter((text) => seen.push(text), (message) => garbage.push(message));
    splitter.push(Buffer.from('{"x":"'));
    for (let i = 0; i < 20; i += 1) splitter.push(Buffer.alloc(64 * 1024, 'a'));
    assert.equal(garbage.length, 1);
    splitter.push(Buffer.from('{"ok":1}'));
    assert.deepEqual(seen, ['{"ok":1}']);
  });
});

void describe('parseContainerEvent', () => {
  void it('reads Type, Action, Actor and the exact timeNano', () => {
    const event = parseContainerEvent(eventJson('start', 'abc', '1764294201152000367', { name: 'web', image: 'busybox' }).trim());
    assert.deepEqual(event, { action: 'start', id: 'abc', name: 'web', timeNano: '1764294201152000367', attributes: { name: 'web', image: 'busybox' } });
  });

  void it('works without the fields API 1.52 removed, and ignores other types and malformed objects', () => {
    const modern = '{"Type":"container","Action":"die","Actor":{"ID":"x","Attributes":{"exitCode":"0"}},"scope":"local","time":1,"timeNano":1000000001}';
    assert.deepEqual(parseContainerEvent(modern), { action: 'die', id: 'x', name: undefined, timeNano: '1000000001', attributes: { exitCode: '0' } });
    assert.equal(parseContainerEvent('{"Type":"network","Action":"connect","Actor":{"ID":"n"}}'), undefined);
    assert.equal(parseContainerEvent('{"Type":"container","Action":"start"}'), undefined);
    assert.equal(parseContainerEvent('{not json'), undefined);
  });

  void it('formats since as seconds.nanoseconds', () => {
    assert.equal(sinceFromTimeNano('1764294201152000367'), '1764294201.152000367');
    assert.equal(sinceFromTimeNano('5'), '0.000000005');
  });
});

void describe('ContainerEvents (stand-in daemon)', () => {
  void it('passes on events that arrive out of time order, reconnects 5 s before the newest event, drops the replayed repeats, and leaves nothing behind on stop', async () => {
    const requests: URL[] = [];
    const open = new Set<ServerResponse>();
    let connection = 0;
    const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== '/events') {
        res.writeHead(404).end('{"message":"nope"}');
        return;
      }
      requests.push(url);
      connection += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      open.add(res);
      res.on('close', () => open.delete(res));
      if (connection === 1) {
        // Two events, one split across writes, then the daemon "restarts".
        const second = eventJson('die', C1, '1764294201152000367');
        // c3's start is older than c1's: the daemon delivers events out of order when
        // containers start together; it is not a repeat and must be passed on.
        res.write(eventJson('start', C1, '1764294200000000001', { name: 'one' }) + eventJson('start', C3, '1764294199000000000') + second.slice(0, 30));
        setTimeout(() => {
          res.write(second.slice(30));
          setTimeout(() => res.destroy(), 50);
        }, 50);
      } else if (connection === 2) {
        // Refused once: a failed attempt also backs off and retries.
        res.destroy();
      } else {
        // The replay from `since` repeats what was passed on, then the gap's event.
        res.write(eventJson('start', C3, '1764294199000000000') + eventJson('start', C1, '1764294200000000001') + eventJson('die', C1, '1764294201152000367') + eventJson('destroy', C2, '1764294205000000000'));
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const reader = new DockerReader({ host: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`, requestTimeoutMs: 5000 });
    const events = new ContainerEvents({ docker: reader, logger: silentLogger(), backoff: { initialMs: 20, maxMs: 40 } });
    const seen: ContainerEvent[] = [];
    const connected: boolean[] = [];
    const disconnects: Error[] = [];
    try {
      events.start({
        onEvent: (e) => seen.push(e),
        onConnected: (reconnect) => connected.push(reconnect),
        onDisconnected: (error) => disconnects.push(error),
      });
      await waitFor(() => seen.length >= 4, 'four events');
      await delay(50);
      assert.deepEqual(seen.map((e) => `${e.action} ${e.id}`), [`start ${C1}`, `start ${C3}`, `die ${C1}`, `destroy ${C2}`]);
      assert.equal(seen[0]?.name, 'one');
      assert.equal(requests[0]?.searchParams.has('since'), false);
      assert.equal(requests.at(-1)?.searchParams.get('since'), '1764294196.152000367');
      assert.deepEqual(JSON.parse(requests[0]?.searchParams.get('filters') ?? ''), { type: ['container'] });
      assert.equal(connected[0], false);
      assert.equal(connected.at(-1), true);
      assert.ok(disconnects.length >= 2, 'the break and the failed attempt are reported');
      assert.equal(open.size, 1);
      const resourcesBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      await events.stop();
      await waitFor(() => open.size === 0, 'the server to see the stream closed');
      const seenAtStop = seen.length;
      await delay(100);
      assert.equal(seen.length, seenAtStop);
      assert.equal(requests.length, connection, 'no reconnection after stop');
      assert.ok(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length <= resourcesBefore);
    } finally {
      await events.stop();
      reader.close();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    }
  });

  void it('refuses events whose container id is not 64 hex characters (they never reach a URL)', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(eventJson('start', '..', '1764294200000000001') + eventJson('destroy', '../json', '1764294200000000002') + eventJson('start', C1, '1764294200000000003'));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const reader = new DockerReader({ host: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`, requestTimeoutMs: 5000 });
    const events = new ContainerEvents({ docker: reader, logger: silentLogger() });
    const seen: string[] = [];
    const refused: string[] = [];
    try {
      events.start({ onEvent: (e) => seen.push(`${e.action} ${e.id}`), onConnected: () => {}, onDisconnected: () => {}, onInvalidId: (id) => refused.push(id) });
      await waitFor(() => seen.length >= 1 && refused.length >= 2, 'the events');
      assert.deepEqual(seen, [`start ${C1}`]);
      assert.deepEqual(refused, ['..', '../json']);
    } finally {
      await events.stop();
      reader.close();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    }
  });

  void it('stop() during backoff clears the timer and calls nothing more', async () => {
    const reader = new DockerReader({ host: 'unix:///nonexistent/docker.sock', requestTimeoutMs: 1000 });
    const events = new ContainerEvents({ docker: reader, logger: silentLogger(), backoff: { initialMs: 60_000, maxMs: 60_000 }, random: () => 0.5 });
    const disconnects: Error[] = [];
    try {
      events.start({ onEvent: () => assert.fail('no events'), onConnected: () => assert.fail('never connects'), onDisconnected: (e) => disconnects.push(e) });
      await waitFor(() => disconnects.length === 1, 'the failed attempt');
      assert.match(disconnects[0]?.message ?? '', /cannot reach/);
      const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      await events.stop();
      assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, timersBefore - 1);
    } finally {
      await events.stop();
      reader.close();
    }
  });
});
