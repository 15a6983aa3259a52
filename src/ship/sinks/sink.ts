// A destination for NDJSON batches, and what a send can come to. The delivery pipeline decides
// what to do with each outcome; a sink only classifies the receiver's answer. Outcomes are a
// closed vocabulary (kind, and for retries a cause), so nobody decides by matching message text.
import type { SinkType } from '../../config/capturer-config.js';

/** Why a send should simply be tried again later. */
export type RetryCause =
  /** No answer, or no complete answer, within sink.request_timeout. */
  | 'timeout'
  /** Refused, reset, closed, DNS: no usable connection. */
  | 'connection'
  /** 429, 5xx or any other status the contract calls transient (`status` says which). */
  | 'http_status'
  /** We could not compress the body (should never happen; retried rather than lost). */
  | 'compression';

export interface RetryOutcome {
  kind: 'retry';
  cause: RetryCause;
  status?: number;
  /** For logs and /status: never holds credentials. */
  detail: string;
}

export type SendOutcome =
  | { kind: 'delivered' }
  /** 413: the receiver will not take a body this large; split it. */
  | { kind: 'too-large' }
  /** Transient: 429, 5xx, connection errors, timeouts. Send the same body again later. */
  | RetryOutcome
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
  /** Graceful: lets requests under way finish, then releases connections. */
  close(): Promise<void>;
  /** Now: aborts requests under way (they resolve as `retry`) and releases connections. */
  destroy(): Promise<void>;
}
