import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { ConnectionLimit } from './connection-limit.js';
import type { ShedReason } from './connection-limit.js';

class FakeSocket extends EventEmitter {
  destroyed = false;
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      queueMicrotask(() => this.emit('close'));
    }
    return this;
  }
}

const socket = (): FakeSocket & Socket => new FakeSocket() as FakeSocket & Socket;
const response = (): EventEmitter & ServerResponse => new EventEmitter() as EventEmitter & ServerResponse;

void describe('ConnectionLimit', () => {
  void it('never holds more than max: beyond it the least recently active idle connection makes room', () => {
    const shed: ShedReason[] = [];
    const limit = new ConnectionLimit(3, (reason) => shed.push(reason));
    const [a, b, c, d, e] = [socket(), socket(), socket(), socket(), socket()];
    for (const s of [a, b, c]) limit.admit(s);
    limit.requestStarted(a, response()); // a was used most recently: b is now the least recently active
    const done = response();
    limit.requestStarted(a, done);
    done.emit('close');
    limit.admit(d);
    assert.equal(b.destroyed, true, 'the least recently active idle connection goes first');
    assert.equal(limit.size, 3);
    limit.admit(e);
    assert.equal(c.destroyed, true);
    assert.deepEqual([a.destroyed, d.destroyed, e.destroyed], [false, false, false]);
    assert.deepEqual(shed, ['idle_evicted', 'idle_evicted']);
  });

  void it('closes a new connection at once when every open one has a request under way, and admits again once one ends', async () => {
    const shed: ShedReason[] = [];
    const limit = new ConnectionLimit(2, (reason) => shed.push(reason));
    const [a, b, c, d] = [socket(), socket(), socket(), socket()];
    limit.admit(a);
    limit.admit(b);
    const replyA = response();
    limit.requestStarted(a, replyA);
    limit.requestStarted(b, response());
    limit.admit(c);
    assert.equal(c.destroyed, true);
    assert.deepEqual([a.destroyed, b.destroyed], [false, false], 'busy connections are never cut');
    assert.deepEqual(shed, ['refused']);
    replyA.emit('close');
    limit.admit(d);
    assert.equal(a.destroyed, true, 'a is idle again, so it makes room');
    assert.equal(d.destroyed, false);
    b.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(limit.size, 1, 'a connection that closes leaves the table');
  });
});
