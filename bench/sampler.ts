// Samples the capturer child while a scenario runs: peak of its /metrics gauges and of RSS.
import type { CapturerProcess } from './capturer-process.js';

export interface Sampler {
  readonly peakBufferBytes: number;
  readonly pausedSeen: boolean;
  readonly peakRssMiB: number;
  /** Peaks of V8's heap in use and of memory outside it (Buffers), from /metrics: what RSS is made of. */
  readonly peakHeapUsedBytes: number;
  readonly peakExternalBytes: number;
  /** Peak of the heap V8 has reserved (used + free + garbage not yet collected): the heap's share of RSS. */
  readonly peakHeapTotalBytes: number;
  stop(): Promise<void>;
}

export function sampleCapturer(capturer: CapturerProcess, everyMs = 500): Sampler {
  let peakBufferBytes = 0;
  let pausedSeen = false;
  let peakRssMiB = 0;
  let peakHeapUsedBytes = 0;
  let peakExternalBytes = 0;
  let peakHeapTotalBytes = 0;
  let inFlight: Promise<void> | undefined;
  const sample = async (): Promise<void> => {
    try {
      peakRssMiB = Math.max(peakRssMiB, capturer.memory().rssMiB);
      const metrics = await capturer.metrics();
      peakBufferBytes = Math.max(peakBufferBytes, metrics.sum('log_capturer_buffer_bytes'));
      if (metrics.sum('log_capturer_streams_paused') > 0) pausedSeen = true;
      peakHeapUsedBytes = Math.max(peakHeapUsedBytes, metrics.sum('log_capturer_nodejs_heap_size_used_bytes'));
      peakExternalBytes = Math.max(peakExternalBytes, metrics.sum('log_capturer_nodejs_external_memory_bytes'));
      peakHeapTotalBytes = Math.max(peakHeapTotalBytes, metrics.sum('log_capturer_nodejs_heap_size_total_bytes'));
    } catch {
      // the capturer is busy or gone; the next sample will tell
    }
  };
  const timer = setInterval(() => {
    inFlight ??= sample().finally(() => {
      inFlight = undefined;
    });
  }, everyMs);
  return {
    get peakBufferBytes() {
      return peakBufferBytes;
    },
    get pausedSeen() {
      return pausedSeen;
    },
    get peakRssMiB() {
      return peakRssMiB;
    },
    get peakHeapUsedBytes() {
      return peakHeapUsedBytes;
    },
    get peakExternalBytes() {
      return peakExternalBytes;
    },
    get peakHeapTotalBytes() {
      return peakHeapTotalBytes;
    },
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
