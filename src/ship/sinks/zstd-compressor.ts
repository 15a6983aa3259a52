// zstd off the event loop. zstd-napi only compresses synchronously (its Compressor and
// CompressStream both run on the calling thread), and a 1 MiB batch takes milliseconds: every
// Docker stream, timer and /metrics request would wait that long. So compression runs in one
// worker thread; the main thread only copies the body to it (structured clone) and gets the
// compressed bytes back. gzip needs no such thing: node:zlib's async gzip runs in libuv's pool.
//
// The worker is started on first use, kept while requests are under way (ref'd only then, so an
// idle compressor never keeps the process alive), and ended by close(). If it dies, the requests
// waiting on it fail (the sink turns that into a `retry`) and the next one starts a new worker.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The worker's code: CommonJS, evaluated, so it runs the same from src/ (tsx) and dist/. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Compressor } = require(workerData.zstdPath);
const compressor = new Compressor();
parentPort.on('message', (job) => {
  try {
    const out = compressor.compress(Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength));
    // Moved back, not cloned; \`out\` may be a view of a larger (or pooled) buffer: then a copy.
    const own = out.byteOffset === 0 && out.buffer.byteLength === out.length && out.length > 4096;
    const exact = own ? out : Buffer.allocUnsafeSlow(out.length);
    if (!own) out.copy(exact);
    parentPort.postMessage({ id: job.id, out: exact }, [exact.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) });
  }
});
`;

interface Job {
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
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;
  private closed = false;

  /** The zstd frame of `body` (zstd-napi's defaults, level 3), compressed in the worker thread. */
  compress(body: Buffer): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('zstd compressor closed'));
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      if (this.jobs.size === 1) worker.ref();
      // An exact copy is moved to the worker: `body` is a view of the pipeline's records and
      // stays theirs (cloning the view itself would copy its whole underlying segment).
      const copy = Buffer.allocUnsafeSlow(body.length);
      body.copy(copy);
      worker.postMessage({ id, body: copy }, [copy.buffer]);
    });
  }

  /** Ends the worker; requests waiting on it fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new Error('zstd compressor closed'));
    if (worker !== undefined) await worker.terminate();
  }

  private start(): Worker {
    const zstdPath = createRequire(import.meta.url).resolve('zstd-napi');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { zstdPath } });
    worker.unref();
    worker.on('message', (reply: Reply) => this.settle(reply));
    const fail = (error: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(error);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`zstd worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: Reply): void {
    const job = this.jobs.get(reply.id);
    if (job === undefined) return;
    this.jobs.delete(reply.id);
    if (this.jobs.size === 0) this.worker?.unref();
    if (reply.out !== undefined) job.resolve(Buffer.from(reply.out.buffer, reply.out.byteOffset, reply.out.byteLength));
    else job.reject(new Error(reply.error ?? 'zstd worker sent no result'));
  }

  private failAll(error: Error): void {
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    for (const job of jobs) job.reject(error);
  }
}
