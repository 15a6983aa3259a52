// Opens a JsonFileReader as another user, for the "unreadable log" checks: as root every file is
// readable, so a child process drops to nobody (65534) after loading the reader, then opens.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import type { JsonLogLocation } from '../../src/docker/json-file/log-location.js';

const READER_MODULE = new URL('../../src/docker/json-file/json-file-reader.ts', import.meta.url).pathname;

/** False (skipped) when this process cannot drop to another user; under CI that fails instead. */
export function canDropToNobody(t: TestContext): boolean {
  if (process.getuid?.() === 0) return true;
  // A skip would hide the missing check from CI.
  if (process.env.CI === 'true') assert.fail('this test needs root (it drops to uid 65534 in a child process)');
  t.skip('needs root to drop to another user');
  return false;
}

/** What open() did for nobody: `{ opened: true }`, or the error's code and message. */
export function openAsNobody(location: JsonLogLocation): { opened?: boolean; code?: string; message?: string } {
  const script = `
    const { JsonFileReader } = await import(${JSON.stringify(READER_MODULE)});
    process.setgid(65534); process.setuid(65534);
    const reader = new JsonFileReader({ location: ${JSON.stringify(location)}, start: { kind: 'beginning' }, tty: false, maxLineBytes: 1000, follow: false, onLine: () => {} });
    try { await reader.open(); console.log(JSON.stringify({ opened: true })); }
    catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message })); }`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { opened?: boolean; code?: string; message?: string };
}
