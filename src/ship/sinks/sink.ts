// A destination for NDJSON batches, and what a send can come to. The delivery pipeline decides
// what to do with each outcome; a sink only classifies the receiver's answer.
import type { SinkType } from '../../config/capturer-config.js';

export type SendOutcome =
  | { kind: 'delivered' }
  /** 413: the receiver will not take a body this large; split it. */
  | { kind: 'too-large' }
  /** Transient: 429, 5xx, connection errors, timeouts. Send the same body again later. */
  | { kind: 'retry'; reason: string; status?: number }
  /** 400: refused as a whole; sending it again unchanged will not help. */
  | { kind: 'rejected'; status: number; detail: string }
  /** 401/403/404/405/415: our configuration is wrong; a human must fix it. */
  | { kind: 'config-error'; status: number; detail: string };

export interface Sink {
  readonly kind: SinkType;
  /** Where the data goes, fit for logs and /status: never carries credentials. */
  readonly displayUrl: string;
  /** Sends one NDJSON body (never empty). Never throws: every failure is an outcome. */
  send(body: Buffer, eventCount: number): Promise<SendOutcome>;
  /** Closes connections; requests still under way are aborted. */
  close(): Promise<void>;
}
