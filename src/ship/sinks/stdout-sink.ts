// Writes NDJSON to our own stdout (our logs go to stderr), for `docker logs` of the capturer or
// a pipe. Honours the pipe's backpressure: a send resolves only once the stream took the body.
import type { Writable } from 'node:stream';
import type { SendOutcome, Sink } from './sink.js';

export class StdoutSink implements Sink {
  readonly kind = 'stdout' as const;
  readonly displayUrl = 'stdout';

  constructor(private readonly out: Writable = process.stdout) {}

  send(body: Buffer, _eventCount: number): Promise<SendOutcome> {
    return new Promise((resolve) => {
      if (this.out.write(body)) resolve({ kind: 'delivered' });
      else this.out.once('drain', () => resolve({ kind: 'delivered' }));
    });
  }

  /** stdout is not ours to close. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  destroy(): Promise<void> {
    return Promise.resolve();
  }
}
