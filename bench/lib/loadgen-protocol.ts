/**
 * Messages between the benchmark process and its load-generator worker threads. Kept in
 * its own module so both sides import the same shapes and nothing else.
 */

/** `extended`: named prepared statement (Parse once, then Bind/Execute per query).
 *  `simple`: the key inlined into the query text, sent as one Query message. */
export type Protocol = 'extended' | 'simple';
export const ALL_PROTOCOLS: readonly Protocol[] = ['extended', 'simple'];

/**
 * How a query's parameters derive from the drawn key k: `key` is k itself; `{ modulo: m }`
 * is ((k − 1) mod m) + 1 (e.g. the user a session id belongs to).
 */
export type ParamSpec = 'key' | { modulo: number };

/**
 * A general lookup for the load generator (the serving scenario). Without it the worker
 * runs the point-lookup scenario's `SELECT * FROM <table> WHERE id = $1`.
 */
export interface QuerySpec {
  /** The statement with `$1…$n`; for the simple protocol the parameters are inlined as literals. */
  text: string;
  params: ParamSpec[];
  /** A column whose text value must equal the key in the first row; null: no check. */
  checkColumn: string | null;
  /** Rows an answer must have (inclusive bounds); anything else counts as a wrong answer. */
  minRows: number;
  maxRows: number;
}

/** The simple-protocol text for `spec` with the key's parameters inlined (integers: no quoting). */
export function inlineParams(text: string, values: readonly (number | string)[]): string {
  return text.replace(/\$(\d+)/g, (_m, i: string) => String(values[Number(i) - 1]));
}

export function paramValues(spec: QuerySpec, key: number): number[] {
  return spec.params.map((p) => (p === 'key' ? key : ((key - 1) % p.modulo) + 1));
}

/** Redis reads for the serving scenario: `GET <prefix><key>` or `HGETALL <prefix><key>`. */
export interface RedisSpec {
  command: 'get' | 'hgetall';
  keyPrefix: string;
}

export interface LoadJob {
  host: string;
  port: number;
  user: string;
  database: string;
  table: string;
  /** `redis`: `host`/`port` are Redis's and `redis` says what to read. */
  protocol: Protocol | 'redis';
  connections: number;
  /** Keys are drawn uniformly from [keyMin (default 1), keyMax]. */
  keyMax: number;
  keyMin?: number;
  query?: QuerySpec;
  redis?: RedisSpec;
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
