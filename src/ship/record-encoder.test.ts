import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CapturedLine } from '../capture/captured-line.js';
import type { ContainerInfo } from '../docker/container-info.js';
import { eventId } from './event-id.js';
import { RecordEncoder } from './record-encoder.js';

const container: ContainerInfo = {
  id: 'a'.repeat(64), name: 'web-1', image: 'nginx:1', labels: { app: 'web', 'x"y': 'q\nz' },
  createdAt: '2026-01-01T00:00:00.000000000Z', tty: false, logDriver: 'json-file', logOptions: {}, running: true,
};

function line(message: Buffer, extra: Partial<CapturedLine['line']> = {}, info: ContainerInfo = container): CapturedLine {
  return {
    container: info,
    line: { timestamp: '2026-11-28T01:43:21.152000367Z', stream: 'stdout', message, truncated: false, chunks: 1, ...extra },
    position: { sinceMs: 1, skip: 1 },
    ordinal: 0,
  };
}

function decode(record: Buffer): Record<string, unknown> {
  const text = record.toString('utf8');
  assert.equal(text.indexOf('\n'), text.length - 1, 'exactly one line break, at the end');
  const parsed: unknown = JSON.parse(text);
  assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed));
  return parsed as Record<string, unknown>;
}

void describe('RecordEncoder', () => {
  void it('writes the docker_logs field names with Docker\'s timestamp as is', () => {
    const record = decode(new RecordEncoder('host-a').encodeRecord(line(Buffer.from('hello'), { stream: 'stderr' })));
    assert.deepEqual(record, {
      timestamp: '2026-11-28T01:43:21.152000367Z', message: 'hello', stream: 'stderr',
      event_id: eventId(container.id, '2026-11-28T01:43:21.152000367Z', 'stderr', 0), container_id: container.id, container_name: 'web-1', container_created_at: container.createdAt,
      image: 'nginx:1', label: { app: 'web', 'x"y': 'q\nz' }, host: 'host-a', source_type: 'log_capturer',
    });
  });

  void it('names the line in event_id: its ordinal among lines sharing its stamp counts, the message does not', () => {
    const encoder = new RecordEncoder('h');
    const first = decode(encoder.encodeRecord({ ...line(Buffer.from('same')), ordinal: 0 }));
    const second = decode(encoder.encodeRecord({ ...line(Buffer.from('same')), ordinal: 1 }));
    const again = decode(encoder.encodeRecord({ ...line(Buffer.from('other text')), ordinal: 1 }));
    assert.match(String(first.event_id), /^[0-9a-f]{16}$/);
    assert.notEqual(first.event_id, second.event_id);
    assert.equal(second.event_id, again.event_id);
  });

  void it('leaves event_id out when told to', () => {
    assert.equal('event_id' in decode(new RecordEncoder('h', false).encodeRecord(line(Buffer.from('x')))), false);
  });

  void it('marks truncated lines and only those', () => {
    const encoder = new RecordEncoder('h');
    assert.equal(decode(encoder.encodeRecord(line(Buffer.from('x'), { truncated: true }))).truncated, true);
    assert.equal('truncated' in decode(encoder.encodeRecord(line(Buffer.from('x')))), false);
  });

  void it('stays one valid NDJSON line for binary, NUL, invalid UTF-8, U+2028 and CR/LF bytes', () => {
    const encoder = new RecordEncoder('h');
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i += 1) all[i] = i;
    const cases: Array<[Buffer, string]> = [
      [Buffer.from([0x00, 0x41, 0x00]), '\u0000A\u0000'],
      [Buffer.from([0x66, 0xff, 0xfe, 0x6f]), 'f\ufffd\ufffdo'],
      [Buffer.from([0xe2, 0x82]), '\ufffd'], // a cut multi-byte sequence
      [Buffer.from('a\u2028b\u2029c', 'utf8'), 'a\u2028b\u2029c'],
      [Buffer.from('a\nb\r\nc\r'), 'a\nb\r\nc\r'],
      [Buffer.from('tab\there "q" \\ é ✓ 😀'), 'tab\there "q" \\ é ✓ 😀'],
    ];
    for (const [bytes, expected] of cases) assert.equal(decode(encoder.encodeRecord(line(bytes))).message, expected);
    const binary = decode(encoder.encodeRecord(line(all))).message;
    assert.equal(typeof binary, 'string');
    assert.equal((binary as string).slice(0, 128), all.subarray(0, 128).toString('latin1'));
  });

  void it('encodes a megabyte line intact', () => {
    const big = Buffer.alloc(1024 * 1024, 'x');
    big[500_000] = 0x0a;
    const record = decode(new RecordEncoder('h').encodeRecord(line(big)));
    assert.equal(record.message, big.toString('utf8'));
  });

  void it('notices a rename and forgets a container on request', () => {
    const encoder = new RecordEncoder('h');
    assert.equal(decode(encoder.encodeRecord(line(Buffer.from('1')))).container_name, 'web-1');
    const renamed = { ...container, name: 'web-renamed' };
    assert.equal(decode(encoder.encodeRecord(line(Buffer.from('2'), {}, renamed))).container_name, 'web-renamed');
    encoder.forget(container.id);
    assert.equal(decode(encoder.encodeRecord(line(Buffer.from('3')))).container_name, 'web-1');
  });
});
