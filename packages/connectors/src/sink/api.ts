/**
 * The contract between CREATE SINK (frontend) and external sink connectors (Redis, S3,
 * PostgreSQL, …). The frontend describes the sink (`ExternalSinkSpec`); the connector
 * validates it at CREATE SINK time (`prepare`, throwing `SqlError`s that name the option)
 * and later opens the target the sink's job writes to.
 *
 * Targets follow the stream engine's `SinkTarget` contract: `write(chunk)` within an epoch,
 * `commit(epoch)` at its end, in epoch order. External sinks are decoupled: the sink's
 * log store (packages/stream executor/sink-log.ts) feeds the target in the background, as
 * soon as epochs commit (`commitOn = 'epoch'`, upserts) or only up to durable checkpoints
 * (`commitOn = 'checkpoint'`, files), so a slow target never holds other jobs' epochs.
 * External targets never reject a commit: a target that is down is retried with backoff
 * until it takes the batch (`failing` meanwhile; nothing lost) or the sink is dropped.
 */
import type { DataType } from '@freshet/common';
import type { SinkTarget } from '@freshet/stream';

export interface SinkColumn {
  readonly name: string;
  readonly type: DataType;
  /** Stream-key carriers the user never sees: not written to the target. */
  readonly hidden?: boolean;
}

export interface ExternalSinkSpec {
  /** The sink's name: object names, log lines. */
  readonly name: string;
  readonly connector: string;
  /** WITH options, keys lower-cased. */
  readonly options: Readonly<Record<string, string>>;
  /** `FORMAT …` / `ENCODE …` (lower case), absent when the statement has none. */
  readonly format?: string;
  readonly encode?: string;
  /** `ENCODE x (k = 'v')` options, keys lower-cased. */
  readonly encodeOptions: Readonly<Record<string, string>>;
  /** The columns of the chunks the target receives (visible ones first). */
  readonly columns: readonly SinkColumn[];
  /** The upstream's unique key (indices into `columns`); the default `primary_key`. */
  readonly streamKey: readonly number[];
  /** The query never retracts (an append-only source or table). */
  readonly inputAppendOnly: boolean;
  /** `force_append_only` / `ignore_delete` / `type = 'append-only'`: only inserts reach the target. */
  readonly appendOnly: boolean;
  /** The session's time zone (TEMPLATE text of timestamptz). */
  readonly timeZone: string;
}

export interface SinkContext {
  /** The server log (target errors and retries are logged here, never thrown). */
  log(line: string): void;
}

/** What the sink executor hands over with each commit. */
export interface SinkCommitInfo {
  /**
   * The barrier is a checkpoint. Targets that write files roll over only at checkpoints
   * once checkpoints are durable; until the sink executor passes it, every commit counts.
   */
  readonly checkpoint?: boolean;
  /** When the (last) epoch's first row reached the sink, ms since the Unix epoch: the same when a crash replays it. */
  readonly time?: number;
}

/** Counters of one sink (logged, and readable for a system table). */
export interface SinkStats {
  /** Rows handed to `write` (after append-only filtering). */
  rowsWritten: number;
  /** Epochs (commits) that reached the target. */
  epochsCommitted: number;
  /** Failed attempts to reach the target (each retried). */
  errors: number;
  /** Rows the target refused for their data (e.g. a constraint): logged and skipped. */
  rowsRejected: number;
  lastError: string | null;
}

export interface ExternalSinkTarget extends SinkTarget {
  /**
   * Called synchronously at the barrier of `epoch` (when the executor does): the epoch's
   * writes end here even if the previous commit is still being retried.
   */
  seal?(epoch: number, info?: SinkCommitInfo): void;
  commit(epoch: number, info?: SinkCommitInfo): Promise<void>;
  readonly stats: SinkStats;
  /** Releases connections; resolves once rows it still buffered are delivered (or given up). */
  close(): Promise<void>;
}

/** A validated sink definition, ready to open. */
export interface PreparedSink {
  /** Checks the target is reachable (CREATE SINK fails fast, as RisingWave validates). */
  check?(): Promise<void>;
  /**
   * The target is an idempotent upsert by key (Redis, PostgreSQL upsert). A sink restored
   * from a checkpoint replays its log and the upstream's changes after it, whatever the
   * target; one that cannot be (its upstream was rebuilt, or it is newer than the
   * checkpoint) is rebuilt, and then an upsert target gets the upstream's current rows
   * again so keys converge. Append-only targets would duplicate rows and leave this unset.
   */
  readonly resendOnRestart?: boolean;
  open(ctx: SinkContext): ExternalSinkTarget;
}

export interface SinkConnector {
  readonly name: string;
  /** Validates options, FORMAT/ENCODE and keys; throws SqlError naming what is wrong. */
  prepare(spec: ExternalSinkSpec): PreparedSink;
}
