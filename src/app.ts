// Wires docker -> capture -> ship -> server, and runs until a signal.
import { CaptureEngine } from './capture/capture-engine.js';
import { EXIT_SECOND_SIGNAL } from './cli/exit-codes.js';
import type { CapturerConfig } from './config/capturer-config.js';
import { DockerReader } from './docker/docker-reader.js';
import { CheckpointStore } from './ship/checkpoint-store.js';
import { DeliveryPipeline } from './ship/delivery-pipeline.js';
import { createSink } from './ship/sinks/create-sink.js';
import { startHttpServer } from './server/http-server.js';
import { CapturerMetrics } from './server/metrics.js';
import type { Logger } from './utils/logger.js';

export interface RunningCapturer {
  readonly metrics: CapturerMetrics;
  readonly engine: CaptureEngine;
  readonly pipeline: DeliveryPipeline;
  readonly checkpoints: CheckpointStore;
  /** The HTTP server's base URL, when server.enabled. */
  readonly serverUrl: string | undefined;
  /** Stops reading, flushes within the grace period, persists positions, releases everything. */
  stop(): Promise<{ flushed: boolean; pendingEvents: number }>;
}

/** Starts every component; the caller decides when to stop (signals, or a test). */
export async function startCapturer(config: CapturerConfig, logger: Logger): Promise<RunningCapturer> {
  const metrics = new CapturerMetrics();
  const reader = new DockerReader(config.docker);
  const checkpoints = new CheckpointStore({
    stateDir: config.checkpoint.stateDir,
    flushIntervalMs: config.checkpoint.flushIntervalMs,
    logger,
    metrics,
  });
  await checkpoints.load();
  const sink = createSink(config.sink);
  const pipeline = new DeliveryPipeline({ config, sink, checkpoints, metrics, logger });
  const engine = new CaptureEngine({ config, reader, consumer: pipeline, positions: checkpoints, metrics, logger });
  pipeline.setFlow(engine);

  let shuttingDown = false;
  const server = config.server.enabled
    ? await startHttpServer({
        config: config.server,
        metrics,
        logger,
        sources: {
          shuttingDown: () => shuttingDown,
          dockerHealth: () => engine.dockerHealth(),
          sinkHealth: () => pipeline.sinkHealth(),
          checkpointHealthy: () => checkpoints.healthy(),
          status: () => ({ capture: engine.status(), ship: pipeline.status() }),
        },
      })
    : undefined;

  checkpoints.start();
  pipeline.start();
  await engine.start();
  await prunePositions(reader, checkpoints, logger);
  logger.info({ sink: config.sink.type, docker: config.docker.host, server: server?.url }, 'log-capturer started');

  let stopping: Promise<{ flushed: boolean; pendingEvents: number }> | undefined;
  const stop = (): Promise<{ flushed: boolean; pendingEvents: number }> => {
    stopping ??= (async () => {
      shuttingDown = true;
      await engine.stop(); // stop reading first: nothing new enters the buffer
      const result = await pipeline.shutdown(config.shutdown.gracePeriodMs);
      await checkpoints.stop(); // persists the last acknowledged positions
      await sink.close();
      await server?.close();
      reader.close();
      return result;
    })();
    return stopping;
  };

  return { metrics, engine, pipeline, checkpoints, serverUrl: server?.url, stop };
}

/**
 * Containers removed while we were down took their logs with them: their positions would only
 * grow positions.json forever. Skipped when the daemon cannot be listed (nothing is dropped on a
 * guess); runtime removals are handled by the pipeline (containerGone).
 */
async function prunePositions(reader: DockerReader, checkpoints: CheckpointStore, logger: Logger): Promise<void> {
  try {
    const existing = new Set((await reader.listContainers()).map((c) => c.id));
    checkpoints.prune(existing);
  } catch (error) {
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'checkpoint: could not list containers to drop the positions of removed ones; keeping them');
  }
}

/** Runs the capturer until SIGTERM/SIGINT; resolves to the process exit code. */
export async function runCapturer(config: CapturerConfig, logger: Logger): Promise<number> {
  // Listen for signals before anything starts: lines flow as soon as the first stream opens,
  // and a SIGTERM during start-up must still end in a clean, flushed stop.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const capturer = await startCapturer(config, logger);
  const signal = await signalled;
  logger.info({ signal, grace_ms: config.shutdown.gracePeriodMs }, 'shutting down: flushing what is buffered');
  const exitAtOnce = (second: NodeJS.Signals): void => {
    logger.warn({ signal: second }, 'second signal: exiting at once; unacknowledged lines will be read again on the next start');
    process.exit(EXIT_SECOND_SIGNAL);
  };
  process.once('SIGTERM', exitAtOnce);
  process.once('SIGINT', exitAtOnce);
  const result = await capturer.stop();
  if (!result.flushed) {
    logger.warn({ pending_events: result.pendingEvents }, 'grace period ended before everything was acknowledged; those lines will be read again on the next start');
  }
  logger.info('log-capturer stopped');
  return 0;
}
