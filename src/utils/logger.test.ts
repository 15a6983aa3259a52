import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from './logger.js';

function capture(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return { logger: createLogger('info', out), text: () => chunks.join('') };
}

void describe('createLogger', () => {
  void it('never writes the user:password of a URL, wherever a log call puts it', () => {
    const { logger, text } = capture();
    // As app.ts logs its start, with a docker.host that carries user information.
    logger.info({ sink: 'vector', docker: 'tcp://alice:S3cretPass@127.0.0.1:2375', server: 'http://127.0.0.1:8001' }, 'log-capturer started');
    logger.warn({ url: new URL('http://alice:S3cretPass@127.0.0.1:9/'), nested: { list: ['https://bob:S3cretPass@h/'] } }, 'receiver %s refused', 'http://alice:S3cretPass@127.0.0.1:9/');
    logger.error(new Error('connect http://alice:S3cretPass@127.0.0.1:9/ failed', { cause: new Error('tcp://alice:S3cretPass@h:1') }));
    logger.error({ err: new Error('GET http://alice:S3cretPass@h/ failed') });
    logger.warn({ err: 'as a string: http://alice:S3cretPass@h/' }, 'failed');
    const lines = text().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 5);
    assert.ok(!text().includes('S3cretPass'), text());
    assert.equal(lines[0]?.docker, 'tcp://[redacted]@127.0.0.1:2375');
    assert.equal(lines[0]?.server, 'http://127.0.0.1:8001');
    assert.equal(lines[1]?.msg, 'receiver http://[redacted]@127.0.0.1:9/ refused');
    assert.equal(lines[2]?.msg, 'connect http://[redacted]@127.0.0.1:9/ failed');
    assert.equal((lines[2]?.err as { type?: string }).type, 'Error');
    assert.equal(lines[3]?.msg, 'GET http://[redacted]@h/ failed');
  });

  void it('still redacts secret fields', () => {
    const { logger, text } = capture();
    logger.info({ password: 'p4ss', sink: { auth: { password: 'p4ss' } }, headers: { Authorization: 'Basic p4ss' } }, 'x');
    assert.ok(!text().includes('p4ss'), text());
  });
});
