/**
 * Messages between the benchmark process and its load-generator worker threads. Kept in
 * its own module so both sides import the same shapes and nothing else.
 */

/** `extended`: named prepared statement (Parse once, then Bind/Execute per query).
 *  `simple`: the key inlined into the query text, sent as one Query message. */
export type Protocol = 'extended' | 'simple';
export const ALL_PROTOCOLS: readonly Protocol[] = ['extended', 'simple'];

export interface LoadJob {
  host: string;
  port: number;
  user: string;
  database: string;
  table: string;
  protocol: Protocol;
  connections: number;
  /** Keys are drawn uniformly from [1, keyMax]. */
  keyMax: number;
  warmupMs: number;
  durationMs: number;
  /** Seeds the per-connection key streams, so a rerun draws the same keys. */
  seed: number;
}

export type WorkerMessage =
  | { type: 'progress'; phase: 'connect' | 'warmup' | 'measure'; queries: number }
  | { type: 'done'; result: WorkerResult };

export interface WorkerResult {
  /** Queries started inside the measured window and completed. */
  queries: number;
  /** Queries completed during the warm-up (for per-query server CPU over the whole cell). */
  warmupQueries: number;
  /** Queries that failed; a connection stops at its first error. */
  errors: number;
  firstError?: string;
  /** Queries that returned anything other than exactly the requested row. */
  wrongRows: number;
  measuredMs: number;
  /** Latency histogram in microseconds, hdr-histogram compressed base64. */
  histogram: string;
  /** CPU time of the client process during the measured window (µs, user+system). */
  clientCpuUs: number;
  /** Whole-machine busy fraction during the measured window, 0..1, from /proc/stat. */
  machineBusy: number | null;
}
