/**
 * Catalog objects. These are plain serialisable records (persisted as JSON by the
 * catalog store); behaviour lives in catalog.ts. Ids double as PostgreSQL OIDs, so
 * they are allocated from 100000 upward to stay clear of pg_catalog's fixed OIDs.
 */
import type { DataType } from '@freshet/common';

export interface ColumnDesc {
  name: string;
  type: DataType;
  /** Hidden columns (`_row_id`) are not returned by `SELECT *` nor listed by DESCRIBE. */
  hidden: boolean;
  notNull: boolean;
  /** DEFAULT expression as SQL text, bound again at each INSERT. */
  defaultExpr?: string;
  /** `AS <expr>` generated column, as SQL text. */
  generatedExpr?: string;
}

export type RelationKind = 'table' | 'view' | 'materialized_view' | 'index' | 'source' | 'sink';

/** RisingWave's ON CONFLICT behaviours for tables with a primary key. */
export type OnConflict = 'overwrite' | 'ignore' | 'do_update_if_not_null';

export interface RelationCatalog {
  id: number;
  kind: RelationKind;
  database: string;
  schema: string;
  name: string;
  owner: string;
  columns: ColumnDesc[];
  /** Primary key column indices (into `columns`). A table without a PK uses its hidden `_row_id`. */
  pk: number[];
  appendOnly: boolean;
  onConflict: OnConflict;
  /** The CREATE statement as the user wrote it (SHOW CREATE, pg_get_viewdef, rw_catalog). */
  definition: string;
  /** Views (and later MVs): the query text after AS. */
  query?: string;
  /** WITH (…) options, keys as written (dotted keys allowed). */
  withOptions: Record<string, string>;
  /** Ids of relations this one reads from (views, MVs, indexes, sinks). */
  dependsOn: number[];
  /** Indexes: the indexed relation, key columns and included columns (indices into the base relation). */
  index?: { on: number; keys: { column: number; desc: boolean; nullsFirst: boolean }[]; include: number[] };
  createdAt: number;
  /**
   * Materialized views: the first id of the state-table id range reserved for the MV's
   * stream job (the job allocates its state tables consecutively from it).
   */
  /**
   * `twoPhaseAgg`: non-default RW_ENABLE_TWO_PHASE_AGG / RW_FORCE_TWO_PHASE_AGG at creation,
   * so that a restart plans the same dataflow (stream-planner/to-stream-agg.ts).
   */
  stream?: { firstStateTableId: number; timeZone?: string; twoPhaseAgg?: 'disabled' | 'forced' };
  /**
   * Tables: `WATERMARK FOR column AS expr` clauses — the column index and the expression as
   * SQL text over the table's columns (bound again by each streaming job that reads it).
   */
  watermarks?: { column: number; expr: string }[];
  /** Materialized views: output columns that carry a watermark (MVs reading this one derive it). */
  watermarkColumns?: number[];
  /** Tables: `ON CONFLICT … WITH VERSION COLUMN (a, b)`, column indices (see TableWriter). */
  versionColumns?: number[];
  /**
   * Sources, and tables fed by a connector (`WITH (connector = …)`): the lower-cased
   * connector name, `FORMAT … ENCODE … (…)`, and which columns are `INCLUDE` columns.
   */
  connector?: SourceInfo;
}

export interface SourceInfo {
  connector: string;
  format?: string;
  encode?: string;
  encodeOptions?: Record<string, string>;
  /** Column index → what it carries (`INCLUDE key | partition | offset | timestamp | header 'h'`). */
  includes?: { column: number; what: string; inner?: string }[];
}

export interface SchemaCatalog {
  id: number;
  database: string;
  name: string;
  owner: string;
}

export interface DatabaseCatalog {
  id: number;
  name: string;
  owner: string;
}

export interface UserCatalog {
  id: number;
  name: string;
  superuser: boolean;
  canLogin: boolean;
  createDb: boolean;
  /** PostgreSQL-format secrets; either or both may be absent (no password: trust). */
  scramVerifier?: string;
  md5Hash?: string;
}

/**
 * A user-defined function (CREATE FUNCTION). SQL functions are inlined where they are
 * called (their body is bound over the call's arguments); JavaScript functions run in a
 * sandbox (@freshet/expr udf/javascript.ts). Overloads share a name and differ in argTypes.
 */
export interface FunctionCatalog {
  id: number;
  database: string;
  schema: string;
  name: string;
  owner: string;
  /** Argument names as declared ('' for an unnamed argument, referenced as $n). */
  argNames: string[];
  argTypes: DataType[];
  /** Scalar functions: the return type. */
  returnType?: DataType;
  /** `RETURNS TABLE (…)` functions: the output columns. */
  tableColumns?: { name: string; type: DataType }[];
  language: 'sql' | 'javascript';
  /** SQL: one SELECT of one expression (or the RETURN expression as `SELECT expr`); JavaScript: the function body. */
  body: string;
  /** The CREATE FUNCTION statement as written (SHOW CREATE, rw_functions). */
  definition: string;
  createdAt: number;
}
