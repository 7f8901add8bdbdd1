/**
 * EXPLAIN CREATE MATERIALIZED VIEW: the stream plan as a tree, one operator per line with
 * its keys, in RisingWave's style (`StreamHashAgg { group_key: [t.k], aggs: [count] }`).
 */
import { formatDatum } from '@freshet/common';
import type { Expr } from '../planner/expr';
import { type StreamField, type StreamNode, type StreamPlan, streamInputs } from './plan';

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
  const input = n.kind === 'hash_join' || n.kind === 'dynamic_filter' ? [...n.left.schema, ...n.right.schema] : 'input' in n ? n.input.schema : [];
  const key = `stream_key: ${names(n.streamKey, n.schema)}`;
  switch (n.kind) {
    case 'table_scan':
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
    case 'agg': {
      const aggs = n.calls.map((c) => `${c.fn.name}(${c.distinct ? 'distinct ' : ''}${c.args.map((a) => input[a]?.name ?? `$${a}`).join(', ')})${c.filter !== null ? ` filter(${input[c.filter]?.name})` : ''}`);
      return n.groupKey.length === 0
        ? `StreamSimpleAgg { aggs: [${aggs.join(', ')}] }`
        : `StreamHashAgg { group_key: ${names(n.groupKey, input)}, aggs: [${aggs.join(', ')}] }`;
    }
    case 'hash_join': {
      const eq = n.leftKeys.map((l, i) => `${n.left.schema[l].name} = ${n.right.schema[n.rightKeys[i]].name}`);
      const cond = n.condition ? `, condition: ${exprText(n.condition, input)}` : '';
      return `StreamHashJoin { type: ${n.joinType[0].toUpperCase()}${n.joinType.slice(1)}, predicate: [${eq.join(' AND ')}]${cond}, ${key} }`;
    }
    case 'dynamic_filter':
      return `StreamDynamicFilter { predicate: ${n.left.schema[n.column].name} ${n.op} ${n.right.schema[0].name}, ${key} }`;
    case 'top_n': {
      const order = n.orderBy.map((o) => `${input[o.column].name} ${o.desc ? 'DESC' : 'ASC'}`).join(', ');
      return `${n.groupKey.length ? 'StreamGroupTopN' : 'StreamTopN'} { order: [${order}], limit: ${n.limit}, offset: ${n.offset}${n.withTies ? ', with_ties: true' : ''}${n.groupKey.length ? `, group_key: ${names(n.groupKey, input)}` : ''} }`;
    }
    case 'dedup':
      return `StreamDedup { dedup_cols: ${names(n.streamKey, n.schema)} }`;
    case 'union':
      return `StreamUnion { all: true }`;
    case 'hop_window':
      return `StreamHopWindow { time_col: ${input[n.timeCol]?.name}, slide: ${n.slideUs}us, size: ${n.sizeUs}us, ${key} }`;
  }
}

/** The plan under its StreamMaterialize, as lines. */
export function explainStreamPlan(mvName: string, plan: StreamPlan): string[] {
  const cols = plan.columns.map((c) => (c.hidden ? `${c.name}(hidden)` : c.name));
  const lines = [`StreamMaterialize { name: ${mvName}, columns: [${cols.join(', ')}], pk: ${names(plan.pk, plan.columns)} }`];
  const walk = (n: StreamNode, prefix: string) => {
    const kids = streamInputs(n);
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      lines.push(`${prefix}${last ? '└─' : '├─'}${describe(k)}`);
      walk(k, prefix + (last ? '  ' : '│ '));
    });
  };
  lines.push(`└─${describe(plan.root)}`);
  walk(plan.root, '  ');
  return lines;
}
