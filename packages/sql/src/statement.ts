/**
 * The parsed form of one SQL statement. PostgreSQL-grammar statements carry the
 * libpg-query node unchanged (kind 'pg'); RisingWave-only statements get their own kinds.
 *
 * Locations: every `location` in this module — `Statement.location`, the `location`
 * fields inside libpg-query nodes, and the ones in RwExtras — is a 0-based UTF-16 index
 * into the string given to `parseSql` (not a byte offset, and not relative to the
 * statement). A PostgreSQL-style error position is `errorPosition(sql, location)`.
 */

/** A libpg-query node, e.g. `{ SelectStmt: {...} }`. */
export type PgNode = Record<string, any>;

export interface Watermark {
  column: string;
  /** The watermark expression as written, e.g. `ts - INTERVAL '5' SECOND`. */
  exprText: string;
  /** The expression parsed by libpg-query (an a_expr node, locations mapped). */
  expr: PgNode;
  location: number;
}

/** `INCLUDE key AS k`, `INCLUDE header 'h' AS x`, `INCLUDE partition`. */
export interface IncludeClause {
  /** Lower-cased: key, partition, offset, timestamp, header, payload, … */
  what: string;
  /** The quoted argument of `INCLUDE header 'name'`. */
  inner?: string;
  /** A type after the argument (`INCLUDE header 'h' varchar AS x`), as written. */
  typeText?: string;
  alias?: string;
}

export interface StructFieldDef {
  name: string;
  /** The field's libpg-query TypeName node (may name another struct placeholder). */
  typeName: PgNode;
}

export interface StructTypeDef {
  fields: StructFieldDef[];
}

export type OnConflict = 'overwrite' | 'ignore' | 'do_update_if_not_null';

/** What the front pass removed from a statement before handing it to the PG grammar. */
export interface RwExtras {
  /** RisingWave `WITH (k = v, …)` options. Keys folded like identifiers, dotted. */
  withOptions: Record<string, string>;
  appendOnly?: boolean;
  onConflict?: OnConflict;
  /** `WITH VERSION COLUMN (a, b)` after ON CONFLICT. */
  versionColumns?: string[];
  /** `FORMAT plain ENCODE json (k = 'v')`, lower-cased names. */
  format?: string;
  encode?: string;
  encodeOptions?: Record<string, string>;
  /** `KEY ENCODE text` after the encode options (sinks). */
  keyEncode?: string;
  watermarks?: Watermark[];
  includes?: IncludeClause[];
  emitOnWindowClose?: boolean;
  /** Placeholder type name (as it appears in TypeName nodes) → the real struct fields. */
  structTypes?: Record<string, StructTypeDef>;
  /** `CREATE TABLE t (…) FROM source TABLE 'public.t'` (CDC shared source). */
  sourceRef?: { source: string; sourceParts: string[]; table: string };
  /**
   * `rel FOR SYSTEM_TIME AS OF PROCTIME()`: `location` equals the RangeVar location of
   * the relation it follows; `asOf` is the text after AS OF.
   */
  temporalJoins?: { location: number; asOf: string }[];
  /** `SELECT * EXCEPT (a, t.b)` / `t.* EXCEPT (…)`: `location` equals the star ColumnRef's location. */
  starExcepts?: { location: number; columns: string[][] }[];
  /**
   * `UNION [ALL] CORRESPONDING [BY (a, b)]`: `location` is the set-operation keyword,
   * `rightLocation` the first token of its right operand.
   */
  corresponding?: { location: number; rightLocation: number; op: string; by?: string[] }[];
  /** `WITH name AS CHANGELOG FROM rel`: rewritten to `name AS (SELECT * FROM rel)`. */
  changelogCtes?: { name: string; location: number }[];
  /** `CREATE INDEX … DISTRIBUTED BY (a, b)`. */
  distributedBy?: string[];
}

interface Base {
  /** The statement's own SQL text, trimmed, without the trailing `;`. */
  text: string;
  /** Offset of the statement's first token in the input. */
  location: number;
}

export interface PgStatement extends Base {
  kind: 'pg';
  node: PgNode;
  rw?: RwExtras;
}

export interface FlushStatement extends Base {
  kind: 'flush';
}

export type ShowWhat =
  | 'tables'
  | 'materialized_views'
  | 'views'
  | 'sources'
  | 'sinks'
  | 'indexes'
  | 'columns'
  | 'databases'
  | 'schemas'
  | 'create'
  | 'jobs'
  | 'processlist'
  | 'parameters'
  | 'all'
  | 'internal_tables'
  | 'functions'
  | 'cluster'
  | 'connections'
  | 'subscriptions'
  | 'secrets'
  | 'cursors'
  | 'variable';

export type ObjectKind =
  | 'table'
  | 'materialized_view'
  | 'view'
  | 'source'
  | 'sink'
  | 'index'
  | 'function'
  | 'connection'
  | 'secret'
  | 'subscription'
  | 'schema'
  | 'database';

export interface ShowStatement extends Base {
  kind: 'show';
  what: ShowWhat;
  /** `FROM schema` / `IN schema` for listing forms. */
  schema?: string;
  /** The object name as written (`"My".t`) for COLUMNS/INDEXES/CREATE; split with resolve helpers. */
  object?: string;
  objectParts?: string[];
  /** For SHOW CREATE: which kind of object. */
  objectKind?: ObjectKind;
  /** Unused by the parser (plain `SHOW name` stays a 'pg' VariableShowStmt); kept for callers. */
  variable?: string;
  /** Pattern of `LIKE 'pattern'`. */
  like?: string;
}

export interface DescribeStatement extends Base {
  kind: 'describe';
  /** As written, e.g. `public."T"`. */
  name: string;
  nameParts: string[];
}

export interface CreateSourceStatement extends Base {
  kind: 'create_source';
  name: string;
  nameParts: string[];
  ifNotExists: boolean;
  /** ColumnDef / Constraint nodes of the column list (libpg-query), empty if none given. */
  tableElts: PgNode[];
  rw: RwExtras;
}

export interface CreateSinkStatement extends Base {
  kind: 'create_sink';
  name: string;
  nameParts: string[];
  ifNotExists: boolean;
  /** `INTO table [(cols)]` (sink into table). */
  into?: { name: string; nameParts: string[]; columns?: string[] };
  /** `FROM relation`, as written. */
  from?: string;
  fromParts?: string[];
  /** `AS query`: its text and the parsed query node (e.g. `{SelectStmt: …}`). */
  queryText?: string;
  query?: PgNode;
  rw: RwExtras;
}

export interface CreateConnectionStatement extends Base {
  kind: 'create_connection';
  name: string;
  nameParts: string[];
  ifNotExists: boolean;
  rw: RwExtras;
}

/** DROP for object kinds the PostgreSQL grammar lacks (SOURCE, SINK, CONNECTION, …). */
export interface DropStatement extends Base {
  kind: 'drop';
  objectKind: 'source' | 'sink' | 'connection' | 'secret' | 'subscription';
  /** Names as written. */
  names: string[];
  nameParts: string[][];
  ifExists: boolean;
  cascade: boolean;
}

/** EXPLAIN of a statement PG cannot explain (CREATE TABLE/INDEX/SINK/SOURCE, RW-extended MV, …). */
export interface ExplainStatement extends Base {
  kind: 'explain';
  /** Lower-cased option names; flags map to 'true'. `EXPLAIN (TYPE physical)` → {type: 'physical'}. */
  options: Record<string, string>;
  inner: Statement;
}

export type Statement =
  | PgStatement
  | FlushStatement
  | ShowStatement
  | DescribeStatement
  | CreateSourceStatement
  | CreateSinkStatement
  | CreateConnectionStatement
  | DropStatement
  | ExplainStatement;
