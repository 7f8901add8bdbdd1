/**
 * The source connector contract. A connector validates a source's WITH options at CREATE
 * time and opens readers for stream jobs. A reader never blocks: `pull` returns what is
 * ready now (a generator's rows due by its rate, a Kafka consumer's buffered messages), and
 * the source executor calls it once per chunk on each barrier, so rows travel in chunks
 * with no await or promise per row.
 *
 * Positions: a reader's position is its split offsets (`split id → offset`, RisingWave's
 * split state). `offsets()` after a pull is the position just past the last row returned,
 * and `seek(offsets)` resumes there, which is what a checkpoint stores and restores.
 */
import type { DataType, Row } from '@freshet/common';

/** One column a connector fills, in the order of the rows it returns. */
export interface SourceColumn {
  readonly name: string;
  readonly type: DataType;
  /** `INCLUDE key | partition | offset | timestamp | header [...]` columns (Kafka): what they carry. */
  readonly include?: { readonly what: string; readonly inner?: string };
}

export interface SourceFormat {
  /** Lower-cased `FORMAT plain | upsert | debezium | …`. */
  readonly format?: string;
  /** Lower-cased `ENCODE json | csv | bytes | …`. */
  readonly encode?: string;
  readonly options: Readonly<Record<string, string>>;
}

export interface SourceSpec {
  /** The source's name (for log lines and error messages). */
  readonly name: string;
  /** Lower-cased connector name (`datagen`, `nexmark`, `kafka`, …). */
  readonly connector: string;
  /** WITH options as written (dotted keys), `connector` included. */
  readonly options: Readonly<Record<string, string>>;
  /** The columns the reader fills (no `_row_id`, no generated columns). */
  readonly columns: readonly SourceColumn[];
  readonly format?: SourceFormat;
}

/**
 * A change for a table with a primary key (FORMAT UPSERT / DEBEZIUM): `insert`, `upsert`
 * (insert or replace by key) or `delete` (by key; `row` may carry only key columns).
 */
export interface SourceChange {
  readonly op: 'insert' | 'upsert' | 'delete';
  readonly row: Row;
  readonly before?: Row;
}

/** Split id → offset (strings, as RisingWave stores split state). */
export type SplitOffsets = Record<string, string>;

export interface SourceReader {
  /**
   * Up to `max` rows that are ready now, each with `spec.columns.length` datums in column
   * order; `[]` when nothing is ready. Never waits.
   */
  pull(max: number): Row[];
  /**
   * Changes instead of rows (formats that update and delete, read into tables only): when
   * present, tables fed by this reader use it rather than `pull`.
   */
  pullChanges?(max: number): SourceChange[];
  /** True once a bounded source has returned its last row. */
  readonly exhausted: boolean;
  /** The position after the last row returned by `pull`. */
  offsets(): SplitOffsets;
  /** Continues from `offsets` (a value `offsets()` returned, possibly by another reader). */
  seek(offsets: SplitOffsets): void;
  /**
   * Everything up to `offsets` (a value `offsets()` returned) is durable downstream, so the
   * connector may release it upstream (postgres-cdc confirms the slot's LSN). Optional.
   */
  committed?(offsets: SplitOffsets): void;
  close(): void | Promise<void>;
  /**
   * The table or source this reader fed was dropped: close, and release what is kept
   * upstream for it (postgres-cdc drops its replication slot). Optional; else `close`.
   */
  dropped?(): Promise<void>;
}

export interface ReaderContext {
  /** Wall clock in ms (injectable for tests); rate limits and time-based generators read it. */
  now(): number;
  /** Ignore rate limits (an ad-hoc SELECT reads a bounded generator at full speed). */
  readonly unthrottled?: boolean;
  log?(msg: string): void;
  /**
   * Which of `spec.columns` (by position) the job reads; a reader may leave the others NULL,
   * so a generator need not make them (nexmark's `extra` strings). Undefined: all of them.
   */
  readonly columns?: readonly boolean[];
}

export interface SourceConnector {
  readonly name: string;
  /**
   * Checks the options and columns of a CREATE SOURCE / CREATE TABLE … WITH (connector=…);
   * throws SqlError naming the option. Returns the columns to store: `spec.columns` (possibly
   * type-checked) or, when the statement gave none, the connector's own schema (nexmark).
   */
  validate(spec: SourceSpec): SourceColumn[];
  /**
   * Opens a reader at the beginning. Absent for connectors that are declared (their DDL
   * runs, so definitions can be stored) but not implemented yet.
   */
  open?(spec: SourceSpec, ctx: ReaderContext): SourceReader;
  /**
   * True when a reader of `spec` ends by itself (a datagen sequence with an end, a nexmark
   * source with `nexmark.event.num`): an ad-hoc SELECT on the source reads all of it.
   */
  bounded?(spec: SourceSpec): boolean;
  /**
   * "What is there" for an ad-hoc SELECT on a source that keeps its data elsewhere (Kafka:
   * every message up to the current end offsets). Async: the query path awaits it before
   * running the (synchronous) scan — see `prefetchSourceSnapshot` in the frontend.
   */
  snapshot?(spec: SourceSpec, ctx: ReaderContext): Promise<Row[]>;
  /**
   * A source that mirrors one upstream table with a key (postgres-cdc with `table.name`):
   * its columns and primary key, read from upstream at CREATE SOURCE. Such a source is
   * stored as a table fed by the connector (its changes need a key to apply to), so MVs
   * over it see updates and deletes. Undefined when `spec` names no table (a shared source).
   */
  upstreamTable?(spec: SourceSpec): Promise<{ columns: SourceColumn[]; primaryKey: string[] } | undefined>;
}
