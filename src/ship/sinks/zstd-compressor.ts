// zstd off the event loop. zstd-napi only compresses synchronously (its Compressor and
// CompressStream both run on the calling thread), and a 1 MiB batch takes milliseconds: every
// Docker stream, timer and /metrics request would wait that long. So compression runs in one
// worker thread; the main thread only copies the body to it and gets the compressed bytes back.
// gzip needs no such thing: node:zlib's async gzip runs in libuv's pool.
//
// Memory: the worker runs one body at a time, so bodies wait here (as references: they are views
// of the pipeline's records, held anyway) and are copied, one at a time, into one shared input
// buffer; the worker compresses with zstd-napi's low-level CCtx into one output buffer it keeps,
// and sends back only an exact copy of the compressed bytes. Nothing of a batch's size is
// allocated per batch, on either thread (a worker allocating a fresh megabyte per batch held
// tens of megabytes of garbage: its heap is too quiet for V8 to collect it soon).
//
// The worker is started on first use, ref'd only while work is pending (an idle compressor never
// keeps the process alive) and ended by close(). If it dies, the bodies waiting on it fail (the
// sink turns that into a `retry`) and the next body starts a new worker.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker's code: CommonJS, evaluated, so it runs the same from src/ (tsx) and dist/. ZSTD_compress2
 * with a fresh context's parameters: the frame zstd-napi's compress() makes (level 3).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const binding = require(workerData.bindingPath);
const cctx = new binding.CCtx();
let input = new Uint8Array(0);
let output = new Uint8Array(0);
parentPort.on('message', (job) => {
  try {
    if (job.input !== undefined) input = new Uint8Array(job.input);
    const source = input.subarray(0, job.length);
    const bound = binding.compressBound(job.length);
    if (output.length < bound) output = new Uint8Array(bound);
    const written = cctx.compress2(output, source);
    const exact = new Uint8Array(written);
    exact.set(output.subarray(0, written));
    parentPort.postMessage({ id: job.id, out: exact }, [exact.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) });
  }
});
`;

interface Job {
  id: number;
  body: Buffer;
  resolve: (compressed: Buffer) => void;
  reject: (error: Error) => void;
}

interface Reply {
  id: number;
  out?: Uint8Array;
  error?: string;
}

export class ZstdCompressor {
  private worker: Worker | undefined;
  /** Waiting for the worker, oldest first; the first one is in the worker when `active`. */
  private readonly queue: Job[] = [];
  private active = false;
  /** The input buffer shared with the current worker (grown, and sent again, for a larger body). */
  private input: SharedArrayBuffer | undefined;
  private nextId = 0;
  private closed = false;

  /** The zstd frame of `body` (zstd-napi's defaults, level 3), compressed in the worker thread. */
  compress(body: Buffer): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('zstd compressor closed'));
    return new Promise<Buffer>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, body, resolve, reject });
      this.startNext();
    });
  }

  /** Ends the worker; bodies waiting on it fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new Error('zstd compressor closed'));
    if (worker !== undefined) await worker.terminate();
  }

  private startNext(): void {
    const job = this.queue[0];
    if (this.active || job === undefined) return;
    const worker = this.worker ?? this.start();
    let grown: SharedArrayBuffer | undefined;
    if (this.input === undefined || this.input.byteLength < job.body.length) {
      grown = new SharedArrayBuffer(Math.max(64 * 1024, job.body.length));
      this.input = grown;
    }
    job.body.copy(new Uint8Array(this.input, 0, job.body.length));
    this.active = true;
    worker.ref();
    worker.postMessage({ id: job.id, length: job.body.length, input: grown });
  }

  private start(): Worker {
    const bindingPath = createRequire(import.meta.url).resolve('zstd-napi/binding');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bindingPath } });
    worker.on('message', (reply: Reply) => {
      if (this.worker === worker) this.settle(reply);
    });
    const fail = (error: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.input = undefined; // a new worker gets its own
      this.failAll(error);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`zstd worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: Reply): void {
    const job = this.queue[0];
    if (job === undefined || job.id !== reply.id) return;
    this.queue.shift();
    this.active = false;
    if (this.queue.length === 0) this.worker?.unref();
    if (reply.out !== undefined) job.resolve(Buffer.from(reply.out.buffer, reply.out.byteOffset, reply.out.byteLength));
    else job.reject(new Error(reply.error ?? 'zstd worker sent no result'));
    this.startNext();
  }

  private failAll(error: Error): void {
    const jobs = this.queue.splice(0);
    this.active = false;
    this.worker?.unref();
    for (const job of jobs) job.reject(error);
  }
}
