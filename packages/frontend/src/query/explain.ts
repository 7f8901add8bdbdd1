/**
 * EXPLAIN output: the batch plan as an indented tree, one operator per line, in
 * RisingWave's style (`BatchHashAgg { group_key: [t.a], aggs: [sum(t.b)] }`).
 */
import type { Expr } from '../planner/expr';
import { type Field, type PlanNode, inputsOf } from '../planner/plan';
import { splitEquiKeys } from './lower';

function exprText(e: Expr, input: readonly Field[]): string {
  switch (e.kind) {
    case 'column': {
      const f = input[e.index];
      return f ? (f.table ? `${f.table}.${f.name}` : f.name) : `$${e.index}`;
    }
    case 'outer':
      return `$outer${e.depth}.${e.index}`;
    case 'literal':
      return e.value === null ? 'null' : typeof e.value === 'string' ? `'${e.value}'` : String(e.value);
    case 'param':
      return `$${e.index + 1}`;
    case 'call':
      return `${e.fn.name}(${e.args.map((a) => exprText(a, input)).join(', ')})`;
    case 'cast':
      return `${exprText(e.arg, input)}::${e.type.kind}`;
    case 'and':
    case 'or':
      return `(${e.args.map((a) => exprText(a, input)).join(` ${e.kind.toUpperCase()} `)})`;
    case 'not':
      return `NOT ${exprText(e.arg, input)}`;
    case 'is_null':
      return `IsNull${e.negated ? 'Not' : ''}(${exprText(e.arg, input)})`;
    case 'subquery':
      return `Subquery(${e.mode})`;
    case 'in_list':
      return `In(${exprText(e.arg, input)}, ${e.list.map((a) => exprText(a, input)).join(', ')})`;
    default:
      return e.kind;
  }
}

function describe(p: PlanNode): string {
  const input = p.kind === 'join' ? [...p.left.schema, ...p.right.schema] : 'input' in p ? p.input.schema : [];
  const x = (e: Expr) => exprText(e, input);
  switch (p.kind) {
    case 'scan':
      return `BatchScan { table: ${p.table.name}, columns: [${p.columns.map((c) => p.table.columns[c].name).join(', ')}] }`;
    case 'get':
      return p.index
        ? `BatchIndexLookup { table: ${p.table.name}, index: ${p.index.name}, key: [${p.index.columns.map((c, i) => `${p.table.name}.${p.table.columns[c].name} = ${exprText(p.key[i], [])}`).join(', ')}] }`
        : `BatchLookup { table: ${p.table.name}, key: [${p.key.map((k) => exprText(k, [])).join(', ')}] }`;
    case 'values':
      return `BatchValues { rows: ${p.rows.length} }`;
    case 'filter':
      return `BatchFilter { predicate: ${x(p.predicate)} }`;
    case 'project':
      return `BatchProject { exprs: [${p.exprs.map(x).join(', ')}] }`;
    case 'project_set':
      return `BatchProjectSet { select_list: [${p.exprs.map(x).join(', ')}] }`;
    case 'agg':
      return p.groupKeys.length === 0
        ? `BatchSimpleAgg { aggs: [${p.aggs.map((a) => `${a.fn.name}(${a.args.map(x).join(', ')})`).join(', ')}] }`
        : `BatchHashAgg { group_key: [${p.groupKeys.map(x).join(', ')}], aggs: [${p.aggs.map((a) => `${a.fn.name}(${a.args.map(x).join(', ')})`).join(', ')}] }`;
    case 'join': {
      const { leftKeys } = splitEquiKeys(p.condition, p.left.schema.length);
      const name = leftKeys.length > 0 ? 'BatchHashJoin' : 'BatchNestedLoopJoin';
      const kind = { inner: 'Inner', left: 'LeftOuter', right: 'RightOuter', full: 'FullOuter', semi: 'LeftSemi', anti: 'LeftAnti' }[p.joinType];
      return `${name} { type: ${kind}, predicate: ${p.condition ? x(p.condition) : 'true'} }`;
    }
    case 'sort':
      return `BatchSort { order: [${p.keys.map((k) => `${x(k.expr)} ${k.desc ? 'DESC' : 'ASC'}`).join(', ')}] }`;
    case 'limit':
      return p.input.kind === 'sort'
        ? `BatchTopN { order: [${p.input.keys.map((k) => `${exprText(k.expr, p.input.schema)} ${k.desc ? 'DESC' : 'ASC'}`).join(', ')}], limit: ${p.limit ? exprText(p.limit, []) : 'all'}, offset: ${p.offset ? exprText(p.offset, []) : 0} }`
        : `BatchLimit { limit: ${p.limit ? exprText(p.limit, []) : 'all'}, offset: ${p.offset ? exprText(p.offset, []) : 0} }`;
    case 'distinct':
      return p.on ? `BatchGroupTopN { group_key: [${p.on.map(x).join(', ')}], limit: 1 }` : 'BatchHashAgg { distinct }';
    case 'set_op':
      return `Batch${p.op[0].toUpperCase()}${p.op.slice(1)} { all: ${p.all} }`;
    case 'window':
      return `BatchOverWindow { window_functions: [${p.calls.map((c) => c.kind === 'agg' ? c.agg!.name : c.kind).join(', ')}] }`;
    case 'table_function':
      return `BatchTableFunction { ${p.fn.name}(${p.args.map((a) => exprText(a, [])).join(', ')}) }`;
    case 'hop_window':
      return `BatchHopWindow { time_col: ${p.input.schema[p.timeCol]?.name}, slide_us: ${p.slideUs}, size_us: ${p.sizeUs} }`;
    case 'expand':
      return `BatchExpand { sets: ${p.sets.length} }`;
    case 'insert':
      return `BatchInsert { table: ${p.table.name} }`;
    case 'update':
      return `BatchUpdate { table: ${p.table.name} }`;
    case 'delete':
      return `BatchDelete { table: ${p.table.name} }`;
  }
}

function children(p: PlanNode): PlanNode[] {
  // A limit over a sort is printed as one TopN node (see describe), so skip the sort.
  if (p.kind === 'limit' && p.input.kind === 'sort') return [p.input.input];
  return inputsOf(p);
}

export function explainPlan(p: PlanNode): string[] {
  const lines: string[] = [];
  const walk = (n: PlanNode, prefix: string, first: boolean) => {
    lines.push(first ? describe(n) : `${prefix}└─${describe(n)}`);
    const kids = children(n);
    const childPrefix = first ? '' : `${prefix}  `;
    for (const k of kids) walk(k, childPrefix, false);
  };
  walk(p, '', true);
  return lines;
}
