/**
 * EXPLAIN CREATE MATERIALIZED VIEW: the stream plan as a tree, one operator per line with
 * its keys, in RisingWave's style (`StreamHashAgg { group_key: [t.k], aggs: [count] }`).
 */
import { formatDatum } from '@freshet/common';
import type { Expr } from '../planner/expr';
import { type StreamAggCall, type StreamField, type StreamNode, type StreamPlan, streamInputs } from './plan';
import { appendOnly, outputWatermarks } from './to-stream-watermark';

function exprText(e: Expr, input: readonly StreamField[]): string {
  const x = (a: Expr) => exprText(a, input);
  switch (e.kind) {
    case 'column':
      return input[e.index]?.name ?? `$${e.index}`;
    case 'literal':
      return e.value === null ? 'null' : `${formatDatum(e.type, e.value, 'UTC')}:${e.type.kind}`;
    case 'call':
      return `${e.fn.name}(${e.args.map(x).join(', ')})`;
    case 'cast':
      return `${x(e.arg)}::${e.type.kind}`;
    case 'and':
    case 'or':
      return `(${e.args.map(x).join(` ${e.kind.toUpperCase()} `)})`;
    case 'not':
      return `Not(${x(e.arg)})`;
    case 'is_null':
      return `${e.negated ? 'IsNotNull' : 'IsNull'}(${x(e.arg)})`;
    case 'case':
      return `Case(${e.whens.map((w) => `${x(w.cond)}, ${x(w.result)}`).join(', ')}${e.else ? `, ${x(e.else)}` : ''})`;
    case 'coalesce':
      return `Coalesce(${e.args.map(x).join(', ')})`;
    case 'in_list':
      return `In(${x(e.arg)}, ${e.list.map(x).join(', ')})`;
    default:
      return e.kind;
  }
}

const names = (cols: readonly number[], schema: readonly StreamField[]) => `[${cols.map((c) => schema[c]?.name ?? `$${c}`).join(', ')}]`;

function describe(n: StreamNode): string {
  const input =
    n.kind === 'hash_join' || n.kind === 'dynamic_filter' ? [...n.left.schema, ...n.right.schema] : n.kind === 'temporal_join' ? n.schema : 'input' in n ? n.input.schema : [];
  const key = `stream_key: ${names(n.streamKey, n.schema)}`;
  switch (n.kind) {
    case 'table_scan':
      // A connector source is read by its own source executor (RisingWave's StreamSource).
      if (n.relation.kind === 'source') return `StreamSource { source: ${n.relation.name}, columns: ${names(n.columns, n.relation.columns)} }`;
      return `StreamTableScan { table: ${n.relation.name}, columns: ${names(n.columns, n.relation.columns.map((c) => ({ ...c, hidden: c.hidden })))}, ${key} }`;
    case 'values':
      return `StreamValues { rows: ${n.rows.length} }`;
    case 'filter':
      return `StreamFilter { predicate: ${exprText(n.predicate, input)} }`;
    case 'temporal_filter': {
      const b = (x: { expr: Expr; inclusive: boolean } | null, op: string) => (x ? `${input[n.column]?.name} ${op}${x.inclusive ? '=' : ''} ${exprText(x.expr, input)}` : null);
      const preds = [b(n.lower, '>'), b(n.upper, '<')].filter((x) => x !== null);
      return `StreamTemporalFilter { predicate: ${preds.join(' AND ')} }`;
    }
    case 'project_set':
      return `StreamProjectSet { select_list: [${n.items.map((e) => (e.kind === 'table_fn' ? `${e.fn.name}(${e.args.map((a) => exprText(a, input)).join(', ')})` : exprText(e, input))).join(', ')}] }`;
    case 'project':
      return `StreamProject { exprs: [${n.exprs.map((e) => exprText(e, input)).join(', ')}] }`;
    case 'local_agg': {
      const aggs = ['count()', ...n.calls.map((c) => `${c.fn.name === 'count' ? 'count' : 'sum'}${callArgs(c, input)}`)];
      return n.groupKey.length === 0
        ? `StreamStatelessSimpleAgg { aggs: [${aggs.join(', ')}] }`
        : `StreamStatelessLocalHashAgg { group_key: ${names(n.groupKey, input)}, aggs: [${aggs.join(', ')}] }`;
    }
    case 'agg': {
      const aggs = n.calls.map((c) => (c.merge ? mergeCallText(c, input) : `${c.fn.name}${callArgs(c, input)}`));
      return n.groupKey.length === 0
        ? `StreamSimpleAgg { aggs: [${aggs.join(', ')}] }`
        : `StreamHashAgg${aggFlags(n)} { group_key: ${names(n.groupKey, input)}, aggs: [${aggs.join(', ')}] }`;
    }
    case 'hash_join': {
      const eq = n.leftKeys.map((l, i) => `${n.left.schema[l].name} ${n.nullSafe?.[i] ? 'IS NOT DISTINCT FROM' : '='} ${n.right.schema[n.rightKeys[i]].name}`);
      const cond = n.condition ? `, condition: ${exprText(n.condition, input)}` : '';
      return `StreamHashJoin { type: ${n.joinType[0].toUpperCase()}${n.joinType.slice(1)}, predicate: [${eq.join(' AND ')}]${cond}, ${key} }`;
    }
    case 'temporal_join': {
      const eq = n.lookupKey.map((l, i) => `${n.left.schema[l].name} = ${n.relation.name}.${n.relation.columns[n.relation.pk[i]].name}`);
      const cond = n.condition ? `, condition: ${exprText(n.condition, input)}` : '';
      const type = n.joinType === 'left' ? 'LeftOuter' : 'Inner';
      return `StreamTemporalJoin { type: ${type}, table: ${n.relation.name}, predicate: [${eq.join(' AND ')}]${cond}, append_only: ${n.appendOnly}, ${key} }`;
    }
    case 'dynamic_filter':
      return `StreamDynamicFilter { predicate: ${n.left.schema[n.column].name} ${n.op} ${n.right.schema[0].name}, ${key} }`;
    case 'top_n': {
      const order = n.orderBy.map((o) => `${input[o.column].name} ${o.desc ? 'DESC' : 'ASC'}`).join(', ');
      return `Stream${appendOnly(n.input) ? 'AppendOnly' : ''}${n.groupKey.length ? 'GroupTopN' : 'TopN'} { order: [${order}], limit: ${n.limit}, offset: ${n.offset}${n.withTies ? ', with_ties: true' : ''}${n.groupKey.length ? `, group_key: ${names(n.groupKey, input)}` : ''} }`;
    }
    case 'over_window': {
      const calls = n.window.calls.map((c) => c.kind === 'agg' ? c.agg!.name : c.kind);
      return `StreamOverWindow { window_functions: [${calls.join(', ')}], partition_key: ${names(n.partitionKey, n.input.schema)}, ${key} }`;
    }
    case 'now_series':
      return `StreamNow { generate_series: [${exprText(n.start, [])}, ${exprText(n.end, [])}, ${exprText(n.step, [])}] }`;
    case 'changelog':
      return `StreamChangeLog { ${key} }`;
    case 'dedup':
      return `StreamDedup { dedup_cols: ${names(n.streamKey, n.schema)} }`;
    case 'union':
      return `StreamUnion { all: true }`;
    case 'watermark_filter':
      return `StreamWatermarkFilter { watermark_descs: [${input[n.column]?.name}: ${exprText(n.expr, input)}] }`;
    case 'eowc_sort':
      return `StreamEowcSort { sort_column: ${input[n.sortColumn]?.name} }`;
    case 'eowc_over_window': {
      const fns = n.calls.map((c) => (c.kind === 'agg' ? `${c.impl.name}(${c.args.map((a) => input[a]?.name).join(', ')})` : c.kind === 'lag' || c.kind === 'first_value' ? `${c.kind}(${input[c.arg]?.name})` : `${c.kind}()`));
      return `StreamEowcOverWindow { window_functions: [${fns.join(', ')}], partition_by: ${names(n.partitionKey, input)}, order_by: [${input[n.orderColumn]?.name} ASC] }`;
    }
    case 'hop_window':
      return `StreamHopWindow { time_col: ${input[n.timeCol]?.name}, slide: ${n.slideUs}us, size: ${n.sizeUs}us, ${key} }`;
  }
}

/** `(distinct a, b) filter(f)` of an aggregate call. */
function callArgs(c: StreamAggCall, input: readonly StreamField[]): string {
  return `(${c.distinct ? 'distinct ' : ''}${c.args.map((a) => input[a]?.name ?? `$${a}`).join(', ')})${c.filter !== null ? ` filter(${input[c.filter]?.name})` : ''}`;
}

/** A two-phase global call as RisingWave prints it: count → `sum0(count(v))`, sum → `sum(sum(v))`. */
function mergeCallText(c: StreamAggCall, input: readonly StreamField[]): string {
  const [partial, count] = c.args.map((a) => input[a]?.name ?? `$${a}`);
  if (c.fn.name === 'count') return `sum0(${partial})`;
  return c.fn.name === 'avg' ? `avg(${partial}, ${count})` : `sum(${partial})`;
}

/** RisingWave's `[append_only, eowc]` marks, on aggregates planned with a watermarked group key. */
function aggFlags(n: Extract<StreamNode, { kind: 'agg' }>): string {
  if (n.windowKey === undefined) return '';
  const flags = [appendOnly(n.input) ? 'append_only' : null, n.eowc ? 'eowc' : null].filter((f) => f !== null);
  return flags.length > 0 ? ` [${flags.join(', ')}]` : '';
}

/** Appends `output_watermarks: […]` to a node line when the node's output carries watermarks. */
function withWatermarks(line: string, n: StreamNode): string {
  const wm = [...outputWatermarks(n)].sort((a, b) => a - b);
  if (wm.length === 0 || !line.endsWith(' }')) return line;
  return `${line.slice(0, -2)}, output_watermarks: ${names(wm, n.schema)} }`;
}

/** The plan under its StreamMaterialize (or `head`, e.g. a StreamSink line), as lines. */
export function explainStreamPlan(mvName: string, plan: StreamPlan, head?: string): string[] {
  const cols = plan.columns.map((c) => (c.hidden ? `${c.name}(hidden)` : c.name));
  const lines = [head ?? `StreamMaterialize { name: ${mvName}, columns: [${cols.join(', ')}], pk: ${names(plan.pk, plan.columns)} }`];
  const walk = (n: StreamNode, prefix: string) => {
    const kids = streamInputs(n);
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      lines.push(`${prefix}${last ? '└─' : '├─'}${withWatermarks(describe(k), k)}`);
      walk(k, prefix + (last ? '  ' : '│ '));
    });
  };
  lines.push(`└─${withWatermarks(describe(plan.root), plan.root)}`);
  walk(plan.root, '  ');
  return lines;
}
