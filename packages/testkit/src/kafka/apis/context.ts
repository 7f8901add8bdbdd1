import type { BrokerState } from '../broker-state';
import type { Reader } from '../protocol/reader';
import type { Writer } from '../protocol/writer';

/** What a request handler sees: the broker, the negotiated version, and who asked. */
export interface RequestContext {
  state: BrokerState;
  version: number;
  clientId: string;
  /** Per-connection SASL progress (only consulted when the broker requires SASL). */
  session: ConnectionSession;
}

export interface ConnectionSession {
  mechanism: string | undefined;
  authenticated: boolean;
  user: string | undefined;
}

/**
 * Reads the request body from `r` and writes the response body to `w`. Returns (or
 * resolves to) false when Kafka sends no response (Produce with acks=0).
 */
export type ApiHandler = (ctx: RequestContext, r: Reader, w: Writer) => void | boolean | Promise<void | boolean>;
