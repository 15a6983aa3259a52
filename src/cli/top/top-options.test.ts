import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultUrl, parseTopOptions } from './top-options.js';

void describe('top options', () => {
  void it('defaults: 127.0.0.1:8001 every second, slowest first, live', () => {
    const parsed = parseTopOptions({}, {});
    assert.ok(parsed.ok);
    assert.equal(parsed.options.url.href, 'http://127.0.0.1:8001/');
    assert.equal(parsed.options.intervalMs, 1000);
    assert.deepEqual(parsed.options.order, { key: 'lag', reversed: false });
    assert.equal(parsed.options.once || parsed.options.json, false);
  });

  void it('without --url, the address LOG_CAPTURER_SERVER_LISTEN gives the capturer (a wildcard meaning this machine)', () => {
    assert.equal(defaultUrl({ LOG_CAPTURER_SERVER_LISTEN: '0.0.0.0:9100' }), 'http://127.0.0.1:9100');
    assert.equal(defaultUrl({ LOG_CAPTURER_SERVER_LISTEN: '[::]:9100' }), 'http://[::1]:9100');
    assert.equal(defaultUrl({ LOG_CAPTURER_SERVER_LISTEN: '10.1.2.3:9100' }), 'http://10.1.2.3:9100');
    assert.equal(defaultUrl({ LOG_CAPTURER_SERVER_LISTEN: 'nonsense' }), 'http://127.0.0.1:8001');
    const parsed = parseTopOptions({ url: 'https://capturer.example:8443/ops' }, { LOG_CAPTURER_SERVER_LISTEN: '0.0.0.0:9100' });
    assert.ok(parsed.ok);
    assert.equal(parsed.options.url.href, 'https://capturer.example:8443/ops', '--url wins');
  });

  void it('host:port as server.listen is written means http://host:port', () => {
    const parsed = parseTopOptions({ url: '127.0.0.1:9000', interval: '250ms', sort: 'name', once: true }, {});
    assert.ok(parsed.ok);
    assert.equal(parsed.options.url.href, 'http://127.0.0.1:9000/');
    assert.equal(parsed.options.intervalMs, 250);
    assert.deepEqual(parsed.options.order, { key: 'name', reversed: false });
    assert.equal(parsed.options.once, true);
  });

  void it('every mistake is reported at once', () => {
    const parsed = parseTopOptions({ url: 'ftp://host', interval: '5', sort: 'speed', once: true, json: true }, {});
    assert.ok(!parsed.ok);
    assert.deepEqual(parsed.problems, [
      '--url: the capturer\'s server speaks http or https, not ftp',
      '--interval: a duration needs a unit: write 5ms or 5s',
      '--sort: one of lag, rate, name, got "speed"',
      '--once and --json: choose one (--once prints a frame, --json a snapshot)',
    ]);
    const tooFast = parseTopOptions({ interval: '10ms', url: 'http://[bad' }, {});
    assert.ok(!tooFast.ok);
    assert.deepEqual(tooFast.problems, ['--url: expected the capturer\'s address such as http://127.0.0.1:8001, got "http://[bad"', '--interval: at least 100ms']);
  });
});
