import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CapturedLine } from '../capture/captured-line.js';
import type { ContainerInfo } from '../docker/container-info.js';
import { ReferenceRecordEncoder } from '../../test/support/reference-record-encoder.js';
import { seededRandom } from '../../test/support/seeded-random.js';
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

// The encoder writes bytes itself instead of building strings; the oracle is the encoder it
// replaced (two JSON.stringify, concatenation, Buffer.from). Every hostile line must come out
// byte for byte the same, from encodeRecord and from encodeInto at an offset inside a larger buffer.
void describe('RecordEncoder against the reference encoder', () => {
  const hostile: ContainerInfo = {
    id: 'b'.repeat(64), name: 'wéird "name"\u2028', image: 'img\u0000\\', labels: { '\ud800lone': '\udfff', 'ctl\u0001': 'a\u2029b', emoji: '😀' },
    createdAt: '2026-01-01T00:00:00Z', tty: false, logDriver: 'json-file', running: true, logOptions: {},
  };
  const hosts = ['h', 'host "with" quotes\n'];

  function messages(): Array<[string, Buffer]> {
    const cases: Array<[string, Buffer]> = [
      ['empty', Buffer.alloc(0)],
      ['plain', Buffer.from('000000001 xxxxxxxx')],
      ['json log line', Buffer.from('{"level":"info","msg":"a \\"quoted\\" \\\\ path C:\\\\x","n":1}')],
      ['every control byte', Buffer.from(Array.from({ length: 0x20 }, (_, i) => i))],
      ['DEL and NUL', Buffer.from([0x7f, 0x00, 0x7f])],
      ['U+2028 and U+2029', Buffer.from('a\u2028b\u2029c', 'utf8')],
      ['BOM', Buffer.from('\ufeffhello', 'utf8')],
      ['emoji and accents', Buffer.from('é ✓ 😀 ǅ 𝄞', 'utf8')],
      ['lone high surrogate (CESU-8)', Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x62])],
      ['lone low surrogate (CESU-8)', Buffer.from([0xed, 0xbf, 0xbf])],
      ['surrogate pair as CESU-8', Buffer.from([0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80])],
      ['overlong slash', Buffer.from([0xc0, 0xaf, 0x2f])],
      ['overlong NUL', Buffer.from([0xc0, 0x80])],
      ['above U+10FFFF', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
      ['cut 3-byte sequence at the end', Buffer.from([0x41, 0xe2, 0x82])],
      ['cut 4-byte sequence in the middle', Buffer.from([0xf0, 0x9f, 0x98, 0x41])],
      ['lone continuation bytes', Buffer.from([0x80, 0xbf, 0x41])],
      ['0xfe 0xff', Buffer.from([0xfe, 0xff])],
      ['latin-1 text', Buffer.from('caf\u00e9 na\u00efve', 'latin1')],
      ['CR LF', Buffer.from('a\r\nb\rc\n')],
    ];
    for (let byte = 0; byte < 256; byte += 1) cases.push([`byte 0x${byte.toString(16)}`, Buffer.from([0x78, byte, 0x79])]);
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i += 1) all[i] = i;
    cases.push(['all 256 bytes', all]);
    // Random bytes, and random mixes of the troublesome pieces.
    const next = seededRandom(13);
    const pieces = [[0x22], [0x5c], [0x0a], [0x00], [0x1f], [0x7f], [0xe2, 0x80, 0xa8], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98, 0x80], [0xc3], [0xa9], [0x41], [0x20]];
    for (let n = 0; n < 400; n += 1) {
      const bytes: number[] = [];
      const length = Math.floor(next() * 200);
      if (n % 2 === 0) for (let i = 0; i < length; i += 1) bytes.push(Math.floor(next() * 256));
      else for (let i = 0; i < length; i += 1) bytes.push(...(pieces[Math.floor(next() * pieces.length)] as number[]));
      cases.push([`random ${n}`, Buffer.from(bytes)]);
    }
    return cases;
  }

  /** Very long lines: ASCII, valid multi-byte, escapes everywhere, invalid bytes in the middle and at the end. */
  function longMessages(): Array<[string, Buffer]> {
    const cases: Array<[string, Buffer]> = [];
    cases.push(['1 MiB of ASCII', Buffer.alloc(1024 * 1024, 'x')]);
    cases.push(['1 MiB of 3-byte characters', Buffer.from('✓'.repeat(350_000), 'utf8')]);
    cases.push(['256 KiB of escapes', Buffer.alloc(256 * 1024, 0x01)]);
    const longInvalid = Buffer.alloc(300_000, 'y');
    longInvalid[150_000] = 0xff;
    cases.push(['long line, one invalid byte in the middle', longInvalid]);
    cases.push(['long line cut inside a character', Buffer.from('😀'.repeat(40_000), 'utf8').subarray(0, 159_999)]);
    return cases;
  }

  const timestamps = [
    '2026-11-28T01:43:21.152000367Z',
    '', 'a"b', 'back\\slash', 'ctl\u0001', 'nbsp\u00a0', 'é', '\ud800', '😀', '\u2028', 'x'.repeat(100),
  ];

  void it('writes the same bytes for hostile messages, both streams, truncated or not', () => {
    for (const host of hosts) {
      const encoder = new RecordEncoder(host);
      const reference = new ReferenceRecordEncoder(host);
      for (const info of [container, hostile]) {
        // The long lines once (their cost is in the message, not in the container or host).
        const cases = info === container && host === 'h' ? [...messages(), ...longMessages()] : messages();
        for (const [name, message] of cases) {
          for (const stream of ['stdout', 'stderr'] as const) {
            for (const truncated of [false, true]) {
              const c = line(message, { stream, truncated }, info);
              const expected = reference.encodeRecord(c);
              const label = `${name} (${stream}, truncated ${truncated}, host ${JSON.stringify(host)}, container ${info.name})`;
              assert.ok(encoder.encodeRecord(c).equals(expected), `encodeRecord: ${label}`);
              assert.equal(encoder.recordBytes(c), expected.length, `recordBytes: ${label}`);
              assert.ok(encoder.maxRecordBytes(c) >= expected.length, `maxRecordBytes: ${label}`);
              // Into a larger buffer at an offset, with exactly the reserved room.
              const target = Buffer.alloc(7 + encoder.maxRecordBytes(c), 0xaa);
              const end = encoder.encodeInto(c, target, 7);
              assert.ok(target.subarray(7, end).equals(expected), `encodeInto: ${label}`);
              assert.ok(target.subarray(0, 7).every((b) => b === 0xaa), `encodeInto left the bytes before the offset alone: ${label}`);
            }
          }
        }
      }
    }
  });

  void it('writes the same bytes for unusual timestamps, and into a buffer of exactly recordBytes', () => {
    const encoder = new RecordEncoder('h');
    const reference = new ReferenceRecordEncoder('h');
    for (const timestamp of timestamps) {
      for (const [name, message] of messages().slice(0, 40)) {
        const c = line(message, { timestamp });
        const expected = reference.encodeRecord(c);
        const label = `${name}, timestamp ${JSON.stringify(timestamp)}`;
        assert.ok(encoder.encodeRecord(c).equals(expected), label);
        assert.ok(encoder.maxRecordBytes(c) >= expected.length, `maxRecordBytes: ${label}`);
        const exact = Buffer.alloc(encoder.recordBytes(c));
        assert.equal(encoder.encodeInto(c, exact, 0), exact.length, label);
        assert.ok(exact.equals(expected), label);
      }
    }
  });

  void it('refuses to write past the room it was given rather than cut a record', () => {
    const encoder = new RecordEncoder('h');
    const c = line(Buffer.from([0x61, 0xff, 0x62])); // invalid UTF-8: the slow path checks its room
    assert.throws(() => encoder.encodeInto(c, Buffer.alloc(10), 0), RangeError);
  });
});
