// Wires docker -> capture -> ship -> server, and runs until a signal. Each component is created
// here and closed here, once, in data-path order: stop reading, flush, persist, stop serving.
import { CaptureEngine } from './capture/capture-engine.js';
import { EXIT_SECOND_SIGNAL } from './cli/exit-codes.js';
import type { CapturerConfig } from './config/capturer-config.js';
import { DockerReader } from './docker/docker-reader.js';
import { CheckpointStore } from './ship/checkpoint-store.js';
import { DeliveryPipeline } from './ship/delivery-pipeline.js';
import { createSink } from './ship/sinks/create-sink.js';
import { startHttpServer } from './server/http-server.js';
import { createMetricsRegistry } from './telemetry/metrics-registry.js';
import type { MetricsRegistry } from './telemetry/metrics-registry.js';
import type { Logger } from './utils/logger.js';

export interface StopResult {
  flushed: boolean;
  pendingEvents: number;
}

export interface RunningCapturer {
  readonly registry: MetricsRegistry;
  readonly engine: CaptureEngine;
  readonly pipeline: DeliveryPipeline;
  /** The HTTP server's base URL, when server.enabled. */
  readonly serverUrl: string | undefined;
  /** Stops reading, flushes within the grace period, persists positions, releases everything. */
  stop(): Promise<StopResult>;
}

/** Starts every component; the caller decides when to stop (signals, or a test). */
export async function startCapturer(config: CapturerConfig, logger: Logger): Promise<RunningCapturer> {
  const registry = createMetricsRegistry();
  const docker = new DockerReader(config.docker);
  const checkpoints = new CheckpointStore({
    stateDir: config.checkpoint.stateDir,
    flushIntervalMs: config.checkpoint.flushIntervalMs,
    logger,
    registry,
  });
  await checkpoints.load();
  const pipeline = new DeliveryPipeline({ config, sink: createSink(config.sink), checkpoints, registry, logger });
  const engine = new CaptureEngine({ config, docker, consumer: pipeline, positions: checkpoints, registry, logger });

  let shuttingDown = false;
  const server = config.server.enabled
    ? await startHttpServer({
        config: config.server,
        registry,
        logger,
        sources: {
          shuttingDown: () => shuttingDown,
          dockerHealth: () => engine.dockerHealth(),
          captureHealth: () => engine.captureHealth(),
          sinkHealth: () => pipeline.sinkHealth(),
          checkpointHealthy: () => checkpoints.healthy(),
          status: () => ({
            docker: { host: docker.address, ...engine.dockerHealth() },
            capture: engine.status(),
            ship: { ...pipeline.status(), acknowledged: checkpoints.acknowledgedTimestamps() },
          }),
        },
      })
    : undefined;

  checkpoints.start();
  pipeline.start();
  await engine.start();
  logger.info({ sink: config.sink.type, docker: docker.address, server: server?.url }, 'log-capturer started');

  let stopping: Promise<StopResult> | undefined;
  const stop = (): Promise<StopResult> => {
    stopping ??= (async () => {
      shuttingDown = true;
      await engine.close(); // stop reading first: nothing new enters the buffer
      const result = await pipeline.close(config.shutdown.gracePeriodMs); // closes the sink
      await checkpoints.close(); // persists the last acknowledged positions
      await server?.close();
      docker.close();
      return result;
    })();
    return stopping;
  };

  return { registry, engine, pipeline, serverUrl: server?.url, stop };
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
  await capturer.stop(); // the pipeline warns once when the grace period ended before everything was acknowledged
  logger.info('log-capturer stopped');
  return 0;
}
