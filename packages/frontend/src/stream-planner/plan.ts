/**
 * Stream plan nodes: what a materialized view's dataflow is made of, between the optimized
 * logical plan (../planner/plan.ts) and the executors of @freshet/stream (build.ts).
 *
 * Every node knows its **stream key** (`streamKey`, indices into its own output): a set of
 * columns that identifies each row of the node's output uniquely at any point in time.
 * Stateful operators need it (join sides store rows under (join key, stream key); top-N
 * breaks ties with it) and it becomes the MV's primary key. Column lists may therefore
 * carry more than the logical plan asked for: a node's first `width` columns are the
 * logical plan's columns, in order, and anything after them is a key column carried along
 * so that the stream key survives projections (RisingWave's hidden `_row_id` and friends).
 */
import type { DataType } from '@freshet/common';
import type { AggImpl } from '@freshet/expr';
import type { EowcWindowCall } from '@freshet/stream';
import type { RelationCatalog } from '../catalog/model';
import type { Expr } from '../planner/expr';
import type { PlanNode } from '../planner/plan';

export interface StreamField {
  readonly name: string;
  readonly type: DataType;
  /** True for columns the logical plan does not output (stream-key carriers). */
  readonly hidden: boolean;
}

export interface StreamOrderItem {
  readonly column: number;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

export interface StreamAggCall {
  readonly fn: AggImpl;
  /** Input columns holding the arguments (projected upstream). */
  readonly args: readonly number[];
  readonly distinct: boolean;
  /** Boolean input column of FILTER (WHERE …), or null. */
  readonly filter: number | null;
  readonly orderBy: readonly StreamOrderItem[];
  /** Two-phase global side: `args` are a local agg's partial columns (to-stream-agg.ts). */
  readonly merge?: boolean;
}

interface Base {
  readonly schema: readonly StreamField[];
  readonly streamKey: readonly number[];
}

/** Reads a table or MV: its existing rows (backfill), then its changes. */
export interface StreamTableScan extends Base {
  readonly kind: 'table_scan';
  readonly relation: RelationCatalog;
  /** Physical columns of the relation, in output order. */
  readonly columns: readonly number[];
}

/** Constant rows, emitted once; the last column numbers them (the stream key). */
export interface StreamValues extends Base {
  readonly kind: 'values';
  readonly rows: readonly (readonly Expr[])[];
}

export interface StreamFilter extends Base {
  readonly kind: 'filter';
  readonly input: StreamNode;
  readonly predicate: Expr;
}

export interface StreamProject extends Base {
  readonly kind: 'project';
  readonly input: StreamNode;
  readonly exprs: readonly Expr[];
}

/** GROUP BY (groupKey non-empty: StreamHashAgg) or a global aggregate (StreamSimpleAgg). */
export interface StreamAgg extends Base {
  readonly kind: 'agg';
  readonly input: StreamNode;
  readonly groupKey: readonly number[];
  readonly calls: readonly StreamAggCall[];
  /** Set by to-stream-watermark.ts: the first group-key position whose column carries a watermark. */
  readonly windowKey?: number;
  /** Append-only input: groups below the `windowKey` watermark leave the state (they cannot change). */
  readonly cleanState?: boolean;
  /** EMIT ON WINDOW CLOSE: each group is emitted once, when the `windowKey` watermark passes it. */
  readonly eowc?: boolean;
  /** Two-phase global side: the input column of partial row counts (to-stream-agg.ts). */
  readonly rowCountColumn?: number;
}

/**
 * The local phase of a two-phase aggregate (StreamStatelessSimpleAgg /
 * StreamStatelessLocalHashAgg): per chunk, [group key…, row count, partials of `calls`…],
 * inserts only; no stream key.
 */
export interface StreamLocalAgg extends Base {
  readonly kind: 'local_agg';
  readonly input: StreamNode;
  readonly groupKey: readonly number[];
  readonly calls: readonly StreamAggCall[];
}

export interface StreamHashJoin extends Base {
  readonly kind: 'hash_join';
  /** semi / anti: EXISTS / IN subqueries; the output is the left side's columns only. */
  readonly joinType: 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';
  readonly left: StreamNode;
  readonly right: StreamNode;
  readonly leftKeys: readonly number[];
  readonly rightKeys: readonly number[];
  /** Over left ++ right output columns. */
  readonly condition: Expr | null;
  /** Per key pair: IS NOT DISTINCT FROM (NULL matches NULL); absent: plain `=` everywhere. */
  readonly nullSafe?: readonly boolean[];
}

/**
 * `left JOIN rel FOR SYSTEM_TIME AS OF PROCTIME() ON …` (inner or left): each left row looks
 * `relation` up by primary key when it arrives; the right side is not a stream input.
 * Output: left columns ++ the relation's `columns`.
 */
export interface StreamTemporalJoin extends Base {
  readonly kind: 'temporal_join';
  readonly joinType: 'inner' | 'left';
  readonly left: StreamNode;
  readonly relation: RelationCatalog;
  /** Physical columns of the relation, in right-side output order (its pk columns included). */
  readonly columns: readonly number[];
  /** Left columns holding the relation's primary key, in pk order. */
  readonly lookupKey: readonly number[];
  /** Over left ++ right output columns: other key pairs, the ON condition's rest, right-side filters. */
  readonly condition: Expr | null;
  /** The left side never retracts, so no memo of emitted rows is needed. */
  readonly appendOnly: boolean;
}

/** ORDER BY … LIMIT n OFFSET m, optionally per group (StreamGroupTopN). */
export interface StreamTopN extends Base {
  readonly kind: 'top_n';
  readonly input: StreamNode;
  readonly groupKey: readonly number[];
  readonly orderBy: readonly StreamOrderItem[];
  readonly limit: number;
  readonly offset: number;
  /** rank() semantics: rows tied on the ORDER BY share a rank. */
  readonly withTies: boolean;
  /** The output carries the rank as an extra last column (row_number() / rank() selected). */
  readonly rankColumn: boolean;
}

/**
 * `col op <expression of NOW()>` conjuncts of a WHERE: rows enter and leave as the barrier
 * time advances. Each bound is an expression over no columns whose `now()` is the barrier time.
 */
export interface StreamTemporalFilter extends Base {
  readonly kind: 'temporal_filter';
  readonly input: StreamNode;
  readonly column: number;
  readonly lower: { readonly expr: Expr; readonly inclusive: boolean } | null;
  readonly upper: { readonly expr: Expr; readonly inclusive: boolean } | null;
}

/**
 * A select list with set-returning functions: `projected_row_id` (the position within one
 * input row's expansion), then one column per item (`table_fn` items expand).
 */
export interface StreamProjectSet extends Base {
  readonly kind: 'project_set';
  readonly input: StreamNode;
  readonly items: readonly Expr[];
}

/**
 * `left.column op right.0` with a right side of at most one row (`v > (SELECT max(x) …)`):
 * the left rows pass while the comparison holds; a change of the right value flips rows.
 */
export interface StreamDynamicFilter extends Base {
  readonly kind: 'dynamic_filter';
  readonly left: StreamNode;
  readonly right: StreamNode;
  readonly column: number;
  readonly op: '>' | '>=' | '<' | '<=';
}

/**
 * Window functions over one specification: the input's columns, then one per call; each
 * changed partition is recomputed with the batch window evaluation of `window`.
 */
export interface StreamOverWindow extends Base {
  readonly kind: 'over_window';
  readonly input: StreamNode;
  /** The logical window node (its calls read the input's logical columns). */
  readonly window: Extract<PlanNode, { kind: 'window' }>;
  /** Input columns holding the PARTITION BY values. */
  readonly partitionKey: readonly number[];
}

/** `generate_series(start, end(NOW()), step)`: grows at each barrier up to its NOW(). */
export interface StreamNowSeries extends Base {
  readonly kind: 'now_series';
  /** Constants. */
  readonly start: Expr;
  readonly step: Expr;
  /** Over no columns; its NOW() is each barrier's time. */
  readonly end: Expr;
}

/** Every change of the input as an appended row: input columns, changelog_op, _changelog_row_id (the key). */
export interface StreamChangelog extends Base {
  readonly kind: 'changelog';
  readonly input: StreamNode;
}

/** SELECT DISTINCT over all columns; the stream key is every column. */
export interface StreamDedup extends Base {
  readonly kind: 'dedup';
  readonly input: StreamNode;
}

export interface StreamUnion extends Base {
  readonly kind: 'union';
  readonly inputs: readonly StreamNode[];
}

/** HOP / TUMBLE: the input's columns, then window_start and window_end (one row per window). */
export interface StreamHopWindow extends Base {
  readonly kind: 'hop_window';
  readonly input: StreamNode;
  readonly timeCol: number;
  readonly slideUs: number;
  readonly sizeUs: number;
  readonly offsetUs: number;
}

/**
 * `WATERMARK FOR` of the scanned table: watermarks of `column` from `expr` (over the input
 * row), late rows dropped. Same columns and key as the input.
 */
export interface StreamWatermarkFilter extends Base {
  readonly kind: 'watermark_filter';
  readonly input: StreamNode;
  readonly column: number;
  readonly expr: Expr;
}

/**
 * Window functions under EMIT ON WINDOW CLOSE: `input` is an eowc sort on `orderColumn`
 * (the watermarked ORDER BY column); each released row gets its window values appended.
 */
export interface StreamEowcOverWindow extends Base {
  readonly kind: 'eowc_over_window';
  readonly input: StreamNode;
  readonly partitionKey: readonly number[];
  readonly orderColumn: number;
  readonly calls: readonly EowcWindowCall[];
}

/** EMIT ON WINDOW CLOSE over a non-aggregate: rows are held until the watermark of `sortColumn` passes them. */
export interface StreamEowcSort extends Base {
  readonly kind: 'eowc_sort';
  readonly input: StreamNode;
  readonly sortColumn: number;
}

export type StreamNode =
  | StreamWatermarkFilter
  | StreamEowcSort
  | StreamEowcOverWindow
  | StreamTableScan
  | StreamValues
  | StreamFilter
  | StreamTemporalFilter
  | StreamProject
  | StreamProjectSet
  | StreamAgg
  | StreamLocalAgg
  | StreamHashJoin
  | StreamTemporalJoin
  | StreamChangelog
  | StreamOverWindow
  | StreamNowSeries
  | StreamDynamicFilter
  | StreamTopN
  | StreamDedup
  | StreamUnion
  | StreamHopWindow;

/** A planned MV: the dataflow, the logical output width and the MV table's layout. */
export interface StreamPlan {
  readonly root: StreamNode;
  /** Columns of the MV table: the logical output, then hidden key columns. */
  readonly columns: readonly StreamField[];
  /** The MV's primary key (the root's stream key). */
  readonly pk: readonly number[];
  /** Relations read (tables and MVs), by catalog id. */
  readonly upstreams: readonly number[];
}

export function streamInputs(n: StreamNode): StreamNode[] {
  switch (n.kind) {
    case 'table_scan':
    case 'values':
    case 'now_series':
      return [];
    case 'hash_join':
    case 'dynamic_filter':
      return [n.left, n.right];
    case 'temporal_join':
      return [n.left];
    case 'union':
      return [...n.inputs];
    default:
      return [n.input];
  }
}
