// LogFrameParser itself: which reader it picks, and what it says about the stream. The formats
// are tested in multiplexed-stream-reader.test.ts and tty-stream-reader.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixture, logFrame, run, ts, ttyEntry } from '../../test/support/log-stream-bytes.js';
import { LogFrameParser } from './log-frame-parser.js';

void describe('LogFrameParser', () => {
  void it('reads frames without a TTY and raw entries with one, unless told the framing', () => {
    const frames = logFrame(1, ts(1), 'framed\r');
    const entries = ttyEntry(ts(1), 'raw\r\n');
    assert.deepEqual(
      run(false, [frames]).lines.map((l) => l.message.toString()),
      ['framed\r'],
    );
    assert.deepEqual(
      run(true, [entries]).lines.map((l) => l.message.toString()),
      ['raw'],
    );
    assert.deepEqual(
      run(true, [frames], { framing: 'multiplexed' }).lines.map((l) => l.message.toString()),
      ['framed'],
    );
    assert.deepEqual(
      run(true, [entries], { framing: 'podman-tty' }).lines.map((l) => l.message.toString()),
      ['raw'],
    );
  });

  void it('refuses a raw stream for a container without a TTY', () => {
    assert.throws(() => new LogFrameParser({ tty: false, framing: 'docker-tty', maxLineBytes: 10, onLine: () => undefined, onDaemonError: () => undefined }), /stream of a TTY/);
  });

  void it('gives pending and emitted timestamps in canonical form, and keeps the coarsest resolution across streams', () => {
    const { parser, lines } = run(false, [logFrame(1, '2026-11-29T01:51:59+01:00', 'partial', false)], { finish: 'none' });
    assert.equal(parser.oldestPendingTimestamp, '2026-11-29T00:51:59.000000000Z');
    assert.equal(parser.timestampResolutionNs, 1e9);
    parser.end();
    assert.equal(lines[0]?.timestamp, '2026-11-29T00:51:59.000000000Z');
    assert.equal(parser.oldestPendingTimestamp, undefined);
    parser.push(logFrame(1, ts(2), 'next stream'));
    parser.discard();
    assert.equal(parser.timestampResolutionNs, 1e9, 'it describes the daemon, not one stream');
    assert.equal(run(false, [logFrame(1, ts(2), 'docker')]).parser.timestampResolutionNs, 1);
  });

  void it('says when a line\'s last part carries another stamp than its first (Podman stamps each part)', () => {
    // `printf abc; sleep 1.2; printf "def\n"; printf "x"; sleep 1.1; printf "\n"` on a TTY.
    const podman = run(true, [fixture('podman-slow-writer.tty')], { framing: 'podman-tty' }).lines;
    assert.deepEqual(podman.map((l) => [l.message.toString(), l.timestamp.slice(17, 19), l.lastPartTimestamp?.slice(17, 19)]), [['abcdef', '28', '29'], ['x', '29', '30']]);
    const docker = run(false, [fixture('docker-long-line.mux')]).lines;
    assert.equal(docker[0]?.chunks, 2);
    assert.equal(docker[0] !== undefined && 'lastPartTimestamp' in docker[0], false, 'Docker repeats the first part\'s stamp: nothing to say');
    const twoParts = run(false, [logFrame(1, '2026-11-29T00:33:11Z', 'a', false), logFrame(1, '2026-11-29T00:33:12Z', 'b')]).lines;
    assert.deepEqual(twoParts.map((l) => [l.timestamp, l.lastPartTimestamp]), [['2026-11-29T00:33:11.000000000Z', '2026-11-29T00:33:12.000000000Z']]);
  });

  void it('counts the bytes it dropped as undecodable, across streams', () => {
    const poison = logFrame(1, '2026-99-99T99:99:99Z', 'poison');
    const good = logFrame(2, ts(3), 'after');
    const { parser, lines } = run(false, [logFrame(1, ts(1), 'before'), poison, good]);
    assert.equal(lines.length, 2);
    assert.equal(parser.undecodableBytes, poison.length);
    parser.push(Buffer.from('not a frame at all, and no frame after it'));
    parser.end();
    assert.equal(parser.undecodableBytes, poison.length + 41);
    assert.equal(run(true, [ttyEntry(ts(1), 'fine\r\n')]).parser.undecodableBytes, 0);
  });
});
