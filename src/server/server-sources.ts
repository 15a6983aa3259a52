// What the HTTP server asks the rest of the capturer. The server owns no state of its own: every
// answer comes from these callbacks, so a fake object is all a test needs.

export interface DockerHealth {
  /** The Docker component's own verdict: the daemon is answering now. */
  ok: boolean;
  /** Epoch ms of the last successful answer from the daemon (0 = never). */
  lastSuccessAt: number;
  /** Why it is not ok; shown in /readyz. Must not hold secrets (we strip URL credentials anyway). */
  error?: string;
}

export interface SinkHealth {
  /** The sink's own verdict: its last request was accepted, or it has nothing pending to send. */
  ok: boolean;
  /** Epoch ms of the last request the receiver accepted (0 = never). */
  lastSuccessAt: number;
  /** Set while the receiver answers with a configuration error (401/403/404/405/415). */
  configError?: string;
  /** Epoch ms when the oldest record not yet acknowledged was buffered; absent when none is. */
  oldestPendingAt?: number;
}

/** Capture's own verdict: containers that yield no line though they should (capture/silence.ts). */
export interface CaptureHealth {
  ok: boolean;
  /** Names are container names (not secrets); reasons: `undecodable`, `not_delivered`. */
  silent: Array<{ name: string; reason: string; since: string }>;
}

export interface ServerSources {
  shuttingDown(): boolean;
  dockerHealth(): DockerHealth;
  sinkHealth(): SinkHealth;
  captureHealth(): CaptureHealth;
  checkpointHealthy(): boolean;
  /** JSON-able snapshot from capture + ship: containers, pool, buffer, sink state. */
  status(): unknown;
}
