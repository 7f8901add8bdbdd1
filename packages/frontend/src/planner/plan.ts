/**
 * Logical plan nodes (readonly, discriminated by `kind`). Each node's output row is
 * described by `schema`; expressions in a node refer to its input row(s) by position
 * (for joins: left columns, then right columns).
 */
import type { DataType } from '@freshet/common';
import type { AggImpl, TableFunctionImpl } from '@freshet/expr';
import type { WindowFrame } from '@freshet/batch';
import type { RelationCatalog } from '../catalog/model';
import type { Expr } from './expr';

export interface Field {
  readonly name: string;
  readonly type: DataType;
  /** Qualifier the column can be referenced by (`t` in `t.a`), or null. */
  readonly table: string | null;
  /** Hidden columns (`_row_id`) are skipped by `*`. */
  readonly hidden?: boolean;
}

export type JoinKind = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';

export interface SortItem {
  readonly expr: Expr;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

export interface AggCall {
  readonly fn: AggImpl;
  readonly args: readonly Expr[];
  readonly distinct: boolean;
  readonly orderBy: readonly SortItem[];
  readonly filter: Expr | null;
  readonly type: DataType;
}

export type WindowFnKind =
  | 'row_number'
  | 'rank'
  | 'dense_rank'
  | 'percent_rank'
  | 'cume_dist'
  | 'ntile'
  | 'lag'
  | 'lead'
  | 'first_value'
  | 'last_value'
  | 'agg';

export interface WindowCall {
  readonly kind: WindowFnKind;
  readonly agg: AggImpl | null;
  readonly args: readonly Expr[];
  readonly filter: Expr | null;
  readonly partitionBy: readonly Expr[];
  readonly orderBy: readonly SortItem[];
  /** Undefined: the default frame (see WindowFrame). */
  readonly frame?: WindowFrame;
  readonly type: DataType;
}

export type PlanNode =
  | Scan
  | Get
  | Values
  | Filter
  | Project
  | Agg
  | Join
  | Sort
  | Limit
  | Distinct
  | SetOp
  | Window
  | ProjectSet
  | TableFunction
  | HopWindow
  | Expand
  | Insert
  | Update
  | Delete;

interface Base {
  readonly schema: readonly Field[];
}

export interface Scan extends Base {
  readonly kind: 'scan';
  readonly table: RelationCatalog;
  /** Physical column indices output, in order. */
  readonly columns: readonly number[];
  /**
   * `FOR SYSTEM_TIME AS OF PROCTIME()`: the lookup side of a temporal join. The batch
   * engine reads the table as usual; a streaming job looks rows up at processing time.
   */
  readonly temporal?: boolean;
  /**
   * `WITH sub AS CHANGELOG FROM rel`: the relation's changes as rows; `schema` has two
   * columns more than `columns` (changelog_op, hidden _changelog_row_id). Streaming only.
   */
  readonly changelog?: boolean;
}

/**
 * Point lookup by the full primary key (key exprs are constants/params), or with `index`
 * by the leading key columns of a secondary index: then any number of rows match.
 */
export interface Get extends Base {
  readonly kind: 'get';
  readonly table: RelationCatalog;
  readonly columns: readonly number[];
  readonly key: readonly Expr[];
  /** Lookup through `CREATE INDEX name`: `key[i]` pins physical column `index.columns[i]` of `table`. */
  readonly index?: { readonly name: string; readonly columns: readonly number[] };
}

export interface Values extends Base {
  readonly kind: 'values';
  readonly rows: readonly (readonly Expr[])[];
}

export interface Filter extends Base {
  readonly kind: 'filter';
  readonly input: PlanNode;
  readonly predicate: Expr;
}

export interface Project extends Base {
  readonly kind: 'project';
  readonly input: PlanNode;
  readonly exprs: readonly Expr[];
}

/** Output: group keys, then aggregate results. */
export interface Agg extends Base {
  readonly kind: 'agg';
  readonly input: PlanNode;
  readonly groupKeys: readonly Expr[];
  readonly aggs: readonly AggCall[];
}

export interface Join extends Base {
  readonly kind: 'join';
  readonly joinType: JoinKind;
  readonly left: PlanNode;
  readonly right: PlanNode;
  /** Over the concatenated row (left ++ right), or null (cross join). */
  readonly condition: Expr | null;
}

export interface Sort extends Base {
  readonly kind: 'sort';
  readonly input: PlanNode;
  readonly keys: readonly SortItem[];
}

/** LIMIT/OFFSET as bigint expressions (constants or parameters), evaluated at execution. */
export interface Limit extends Base {
  readonly kind: 'limit';
  readonly input: PlanNode;
  readonly limit: Expr | null;
  readonly offset: Expr | null;
  /** FETCH FIRST n ROWS WITH TIES: rows tied with the last one on the ORDER BY (a Sort input) are kept too. */
  readonly withTies?: boolean;
}

/** DISTINCT (on: null) or DISTINCT ON (exprs). */
export interface Distinct extends Base {
  readonly kind: 'distinct';
  readonly input: PlanNode;
  readonly on: readonly Expr[] | null;
}

export interface SetOp extends Base {
  readonly kind: 'set_op';
  readonly op: 'union' | 'intersect' | 'except';
  readonly all: boolean;
  readonly left: PlanNode;
  readonly right: PlanNode;
}

/** Output: input columns, then one column per call. */
export interface Window extends Base {
  readonly kind: 'window';
  readonly input: PlanNode;
  readonly calls: readonly WindowCall[];
}

export interface ProjectSet extends Base {
  readonly kind: 'project_set';
  readonly input: PlanNode;
  readonly exprs: readonly Expr[];
}

export interface TableFunction extends Base {
  readonly kind: 'table_function';
  readonly fn: TableFunctionImpl;
  readonly args: readonly Expr[];
  /** WITH ORDINALITY: an extra bigint column numbering the rows. */
  readonly ordinality: boolean;
}

/** HOP/TUMBLE: input columns then window_start, window_end. TUMBLE is a hop with slide = size. */
export interface HopWindow extends Base {
  readonly kind: 'hop_window';
  readonly input: PlanNode;
  readonly timeCol: number;
  readonly slideUs: number;
  readonly sizeUs: number;
  readonly offsetUs: number;
}

/** Grouping sets: input columns then the grouping-set ordinal (int32). */
export interface Expand extends Base {
  readonly kind: 'expand';
  readonly input: PlanNode;
  readonly keyColumns: readonly number[];
  readonly sets: readonly (readonly number[])[];
}

export interface Insert extends Base {
  readonly kind: 'insert';
  readonly table: RelationCatalog;
  /** Produces complete physical rows (the `_row_id` column, if any, is filled by the executor). */
  readonly input: PlanNode;
  readonly onConflict: 'overwrite' | 'ignore' | 'do_update_if_not_null';
  /** Over the physical row. */
  readonly returning: readonly Expr[] | null;
}

export interface Update extends Base {
  readonly kind: 'update';
  readonly table: RelationCatalog;
  /** Produces the new physical rows. */
  readonly input: PlanNode;
  readonly returning: readonly Expr[] | null;
}

export interface Delete extends Base {
  readonly kind: 'delete';
  readonly table: RelationCatalog;
  /** Produces the physical rows to delete. */
  readonly input: PlanNode;
  readonly returning: readonly Expr[] | null;
}

export function inputsOf(p: PlanNode): PlanNode[] {
  switch (p.kind) {
    case 'scan':
    case 'get':
    case 'values':
    case 'table_function':
      return [];
    case 'join':
    case 'set_op':
      return [p.left, p.right];
    default:
      return [p.input];
  }
}

export function withInputs(p: PlanNode, inputs: PlanNode[]): PlanNode {
  switch (p.kind) {
    case 'scan':
    case 'get':
    case 'values':
    case 'table_function':
      return p;
    case 'join':
    case 'set_op':
      return { ...p, left: inputs[0], right: inputs[1] };
    default:
      return { ...p, input: inputs[0] } as PlanNode;
  }
}

export function typesOf(p: PlanNode): DataType[] {
  return p.schema.map((f) => f.type);
}
