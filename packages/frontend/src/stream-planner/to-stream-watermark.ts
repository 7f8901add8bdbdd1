/**
 * Watermarks and EMIT ON WINDOW CLOSE in the stream plan (RisingWave's watermark derivation
 * and EOWC planning):
 *
 * - a scan of a table or source with `WATERMARK FOR col AS expr` gets a StreamWatermarkFilter
 *   on top (columns the expression reads are scanned too, and projected away after it);
 * - `outputWatermarks(node)`: the output columns that carry a watermark — through filters,
 *   projections of the column or of an expression monotone in it (`monotoneInput`: `ts ±
 *   constant`, `date_trunc`, date/time casts), project sets, HOP/TUMBLE (the time column
 *   gives window_start and window_end), a hash agg's group key, unions (columns watermarked
 *   in every input) and EOWC nodes. Joins, top-N and the rest derive none: the executors
 *   agree (they drop or only forward watermarks where this says so);
 * - `appendOnly(node)`: no retractions (append-only tables and sources through stateless
 *   operators, EOWC outputs);
 * - `planWatermarks`: marks hash aggs whose group key carries a watermark (`windowKey`;
 *   `cleanState` when the input is append-only) and, for EOWC, makes the aggregate or the
 *   window functions under the root's projections emit on window close, or else puts a
 *   StreamEowcSort on the root's watermark column. A query with none of these cannot run
 *   EOWC (RisingWave's error).
 */
import { type Datum, SqlError, SqlState } from '@freshet/common';
import type { WindowFrame } from '@freshet/batch';
import type { EowcFrame, EowcWindowCall } from '@freshet/stream';
import type { RelationCatalog } from '../catalog/model';
import { type Expr, col, exprAny, remapColumns } from '../planner/expr';
import type { StreamAgg, StreamField, StreamNode, StreamPlan } from './plan';
import { streamInputs } from './plan';
import type { QueryContext } from '../binder/context';
import type { PlanNode, WindowCall } from '../planner/plan';
import { type StreamPlannerEnv, planStream, projectKeepingKey } from './to-stream';
import { contextTwoPhaseAgg } from './to-stream-agg';
import { bindWatermarkExpr } from './watermark';

/** Binds a table's stored watermark expression over its columns (indices are the relation's). */
export type WatermarkBinder = (rel: RelationCatalog, exprText: string) => Expr;

/**
 * The scan with the table's watermark filter on top, or the scan unchanged (no watermark,
 * or no binder: plans built outside a session).
 */
export function withWatermarkFilter(scan: StreamNode, bind: WatermarkBinder | undefined): StreamNode {
  if (scan.kind !== 'table_scan' || !bind) return scan;
  const rel = scan.relation;
  const wm = rel.kind === 'table' || rel.kind === 'source' ? rel.watermarks?.[0] : undefined;
  if (!wm) return scan;
  const expr = bind(rel, wm.expr);
  const needed = new Set<number>([wm.column]);
  exprAny(expr, (e) => {
    if (e.kind === 'column') needed.add(e.index);
    return false;
  });
  const columns = [...scan.columns];
  const schema: StreamField[] = [...scan.schema];
  for (const c of needed) {
    if (columns.includes(c)) continue;
    columns.push(c);
    schema.push({ name: rel.columns[c].name, type: rel.columns[c].type, hidden: true });
  }
  const widened: StreamNode = columns.length === scan.columns.length ? scan : { ...scan, columns, schema };
  const filter: StreamNode = {
    kind: 'watermark_filter',
    input: widened,
    column: columns.indexOf(wm.column),
    expr: remapColumns(expr, (i) => columns.indexOf(i)),
    schema,
    streamKey: scan.streamKey,
  };
  if (widened === scan) return filter;
  return projectKeepingKey(
    filter,
    scan.schema.map((f, i) => col(i, f.type)),
    scan.schema,
  );
}

const watermarkMemo = new WeakMap<StreamNode, ReadonlySet<number>>();
const NONE: ReadonlySet<number> = new Set();

/** Output columns of `n` that carry a watermark. */
export function outputWatermarks(n: StreamNode): ReadonlySet<number> {
  let r = watermarkMemo.get(n);
  if (r === undefined) {
    r = deriveWatermarks(n);
    watermarkMemo.set(n, r);
  }
  return r;
}

function deriveWatermarks(n: StreamNode): ReadonlySet<number> {
  switch (n.kind) {
    case 'table_scan': {
      // An upstream MV's watermarked columns (recorded at its CREATE), as the chain forwards them.
      const cols = n.relation.kind === 'materialized_view' ? n.relation.watermarkColumns : undefined;
      if (!cols) return NONE;
      const out = new Set<number>();
      n.columns.forEach((c, j) => {
        if (cols.includes(c)) out.add(j);
      });
      return out;
    }
    case 'watermark_filter':
      return new Set([...outputWatermarks(n.input), n.column]);
    case 'filter':
    case 'temporal_filter':
      return outputWatermarks(n.input);
    case 'project': {
      const inWm = outputWatermarks(n.input);
      const out = new Set<number>();
      n.exprs.forEach((e, j) => {
        if (monotoneInput(e, inWm) !== null) out.add(j);
      });
      return out;
    }
    case 'project_set': {
      const inWm = outputWatermarks(n.input);
      const out = new Set<number>();
      n.items.forEach((e, j) => {
        if (e.kind === 'column' && inWm.has(e.index)) out.add(j + 1);
      });
      return out;
    }
    case 'hop_window': {
      const inWm = outputWatermarks(n.input);
      if (!inWm.has(n.timeCol)) return inWm;
      const iw = n.input.schema.length;
      return new Set([...inWm, iw, iw + 1]);
    }
    case 'agg': {
      if (n.groupKey.length === 0) return NONE;
      const inWm = outputWatermarks(n.input);
      const out = new Set<number>();
      n.groupKey.forEach((c, k) => {
        if (inWm.has(c)) out.add(k);
      });
      return out;
    }
    case 'eowc_sort':
      return new Set([n.sortColumn]);
    case 'eowc_over_window':
      return outputWatermarks(n.input);
    case 'union': {
      const sets = n.inputs.map(outputWatermarks);
      return new Set([...sets[0]].filter((c) => sets.every((s) => s.has(c))));
    }
    default:
      return NONE;
  }
}

const TIME_KINDS = new Set(['date', 'timestamp', 'timestamptz']);
const isConstant = (e: Expr): boolean => e.kind === 'literal' || (e.kind === 'cast' && e.arg.kind === 'literal');

/**
 * The watermarked input column `e` is non-decreasing in (so the watermark maps through
 * it), or null: the column itself, `col ± constant`, `date_trunc('unit', col [, zone])`,
 * casts among date / timestamp / timestamptz — RisingWave's common monotone cases.
 */
export function monotoneInput(e: Expr, inWm: ReadonlySet<number>): number | null {
  switch (e.kind) {
    case 'column':
      return inWm.has(e.index) ? e.index : null;
    case 'cast':
      return TIME_KINDS.has(e.type.kind) && TIME_KINDS.has(e.arg.type.kind) ? monotoneInput(e.arg, inWm) : null;
    case 'call': {
      const [a, b, c] = e.args;
      switch (e.fn.name) {
        case 'add':
          if (e.args.length !== 2) return null;
          if (isConstant(b)) return monotoneInput(a, inWm);
          return isConstant(a) ? monotoneInput(b, inWm) : null;
        case 'subtract':
          return e.args.length === 2 && isConstant(b) ? monotoneInput(a, inWm) : null;
        case 'date_trunc':
          return isConstant(a) && (c === undefined || isConstant(c)) ? monotoneInput(b, inWm) : null;
        default:
          return null;
      }
    }
    default:
      return null;
  }
}

/** True when `n` only ever emits inserts (also used by temporal-join planning, to-stream-join.ts). */
export function appendOnly(n: StreamNode): boolean {
  switch (n.kind) {
    case 'table_scan':
      // A source's reader only appends (upsert formats aside).
      return (n.relation.kind === 'table' && n.relation.appendOnly) || (n.relation.kind === 'source' && !/\bupsert\b/i.test(n.relation.definition));
    case 'watermark_filter':
    case 'filter':
    case 'project':
    case 'project_set':
    case 'hop_window':
      return appendOnly(n.input);
    case 'eowc_sort':
    case 'eowc_over_window':
    case 'values':
    case 'changelog':
      return true;
    case 'temporal_join':
      return appendOnly(n.left);
    case 'agg':
      return n.eowc === true;
    case 'union':
      return n.inputs.every(appendOnly);
    case 'hash_join':
      // An inner join only retracts a pair when one of its rows is retracted; outer joins
      // retract NULL-padded rows on a first match, anti joins a row on its first match.
      return n.joinType === 'inner' && appendOnly(n.left) && appendOnly(n.right);
    default:
      return false;
  }
}

/** `n` with its inputs replaced (same kind, same fields otherwise). */
function withInputs(n: StreamNode, inputs: StreamNode[]): StreamNode {
  if ('left' in n && 'right' in n) return { ...n, left: inputs[0], right: inputs[1] } as StreamNode;
  if ('left' in n) return { ...n, left: inputs[0] } as StreamNode;
  if ('inputs' in n) return { ...n, inputs } as StreamNode;
  if ('input' in n) return { ...n, input: inputs[0] } as StreamNode;
  return n;
}

/** Whether watermarks enter the plan anywhere (a watermark filter, or an upstream MV's watermarked columns). */
function hasWatermarkSource(n: StreamNode): boolean {
  if (n.kind === 'watermark_filter' || (n.kind === 'table_scan' && outputWatermarks(n).size > 0)) return true;
  return streamInputs(n).some(hasWatermarkSource);
}

/** Marks aggregates over watermarked group keys, bottom-up. */
function annotateAggs(n: StreamNode): StreamNode {
  const inputs = streamInputs(n);
  const next = inputs.map(annotateAggs);
  let out = next.every((x, i) => x === inputs[i]) ? n : withInputs(n, next);
  if (out.kind === 'agg' && out.groupKey.length > 0) {
    const inWm = outputWatermarks(out.input);
    const windowKey = out.groupKey.findIndex((c) => inWm.has(c));
    if (windowKey >= 0) out = { ...out, windowKey, cleanState: appendOnly(out.input) };
  }
  return out;
}

/** The stream plan with watermark annotations, and in EOWC form when `emitOnWindowClose`. */
export function planWatermarks(plan: StreamPlan, emitOnWindowClose: boolean): StreamPlan {
  const root = hasWatermarkSource(plan.root) ? annotateAggs(plan.root) : plan.root;
  if (!emitOnWindowClose) return root === plan.root ? plan : { ...plan, root };
  return { ...plan, root: emitOnWindowCloseRoot(root) };
}

/** The root in EOWC form: its aggregate (under projections and filters) emitting on window close, or an eowc sort on top. */
function emitOnWindowCloseRoot(root: StreamNode): StreamNode {
  const rewrite = (n: StreamNode): StreamNode | null => {
    if (n.kind === 'project' || n.kind === 'filter') {
      const inner = rewrite(n.input);
      return inner ? { ...n, input: inner } : null;
    }
    if (n.kind === 'agg' && n.windowKey !== undefined) return { ...(n as StreamAgg), eowc: true };
    if (n.kind === 'over_window') return eowcOverWindow(n);
    return null;
  };
  const viaAgg = rewrite(root);
  if (viaAgg) return viaAgg;
  const wm = [...outputWatermarks(root)].sort((a, b) => a - b);
  if (wm.length === 0) {
    throw new SqlError(SqlState.FeatureNotSupported, 'Not supported: The query cannot be executed in Emit-On-Window-Close mode.', {
      hint: 'Try define a watermark column in the source, or avoid aggregation without GROUP BY',
    });
  }
  return { kind: 'eowc_sort', input: root, sortColumn: wm[0], schema: root.schema, streamKey: root.streamKey };
}

/**
 * planStream with watermarks: table watermark expressions bound in the MV's query context,
 * aggregates annotated, and the EOWC form when asked for.
 */
export function planStreamWithWatermarks(logical: PlanNode, env: StreamPlannerEnv, ctx: QueryContext, emitOnWindowClose: boolean): StreamPlan {
  const withBinder: StreamPlannerEnv = {
    checkUpstream: (rel) => env.checkUpstream(rel),
    bindWatermark: (rel, text) => bindWatermarkExpr(ctx, rel.name, rel.columns, text),
    twoPhaseAgg: env.twoPhaseAgg ?? contextTwoPhaseAgg(ctx),
  };
  return planWatermarks(planStream(logical, withBinder), emitOnWindowClose);
}

/**
 * Window functions in EOWC form (RisingWave's StreamEowcSort → StreamEowcOverWindow): the
 * input sorted by the watermarked ORDER BY column, then running window state per
 * partition. Null when the window is not of that shape (one ascending ORDER BY column
 * with a watermark; calls whose frames end at the current row; column arguments).
 */
function eowcOverWindow(n: Extract<StreamNode, { kind: 'over_window' }>): StreamNode | null {
  const first = n.window.calls[0];
  if (first.orderBy.length !== 1) return null;
  const order = first.orderBy[0];
  if (order.desc || order.expr.kind !== 'column') return null;
  const orderColumn = order.expr.index;
  if (!outputWatermarks(n.input).has(orderColumn)) return null;
  const calls: EowcWindowCall[] = [];
  for (const c of n.window.calls) {
    const call = eowcCall(c);
    if (!call) return null;
    calls.push(call);
  }
  const sort: StreamNode = { kind: 'eowc_sort', input: n.input, sortColumn: orderColumn, schema: n.input.schema, streamKey: n.input.streamKey };
  return { kind: 'eowc_over_window', input: sort, partitionKey: n.partitionKey, orderColumn, calls, schema: n.schema, streamKey: n.streamKey };
}

const columnOf = (e: Expr | undefined): number | null => (e !== undefined && e.kind === 'column' ? e.index : null);
const literalOf = (e: Expr | undefined): Datum | undefined => (e === undefined ? null : e.kind === 'literal' ? e.value : e.kind === 'cast' && e.arg.kind === 'literal' && e.arg.value === null ? null : undefined);

function eowcCall(c: WindowCall): EowcWindowCall | null {
  switch (c.kind) {
    case 'row_number':
    case 'rank':
    case 'dense_rank':
      return { kind: c.kind };
    case 'lag': {
      const arg = columnOf(c.args[0]);
      const offset = c.args[1] === undefined ? 1 : literalOf(c.args[1]);
      const dflt = literalOf(c.args[2]);
      if (arg === null || offset === undefined || offset === null || dflt === undefined) return null;
      return { kind: 'lag', arg, offset: Number(offset as number | bigint), default: dflt };
    }
    case 'first_value': {
      const arg = columnOf(c.args[0]);
      if (arg === null || (c.frame && c.frame.start.kind !== 'unbounded')) return null;
      return { kind: 'first_value', arg };
    }
    case 'agg': {
      const args = c.args.map(columnOf);
      const filter = c.filter ? columnOf(c.filter) : null;
      const frame = eowcFrame(c.frame);
      if (!c.agg || args.some((a) => a === null) || (c.filter && filter === null) || !frame) return null;
      return { kind: 'agg', impl: c.agg, args: args as number[], filter, frame };
    }
    default:
      return null;
  }
}

/** Frames ending at the current row: running (RANGE: with peers; ROWS: without) or the last n rows. */
function eowcFrame(f: WindowFrame | undefined): EowcFrame | null {
  if (!f) return { kind: 'range_running' };
  if (f.exclude !== 'no_others' || f.end.kind !== 'current_row') return null;
  if (f.unit === 'range' && f.start.kind === 'unbounded') return { kind: 'range_running' };
  if (f.unit !== 'rows') return null;
  if (f.start.kind === 'unbounded') return { kind: 'rows_running' };
  if (f.start.kind === 'current_row') return { kind: 'rows', preceding: 0 };
  return f.start.offset <= 0 ? { kind: 'rows', preceding: -f.start.offset } : null;
}

/** The catalog field recording an MV's watermarked output columns (empty: none). */
export function mvWatermarkColumns(plan: StreamPlan): { watermarkColumns?: number[] } {
  const cols = [...outputWatermarks(plan.root)].filter((c) => c < plan.columns.length).sort((a, b) => a - b);
  return cols.length > 0 ? { watermarkColumns: cols } : {};
}
