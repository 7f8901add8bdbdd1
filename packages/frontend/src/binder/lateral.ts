/**
 * Set-returning functions in FROM that read columns of the FROM items before them
 * (`FROM t CROSS JOIN unnest(t.arr) WITH ORDINALITY AS x(v, n)`, `FROM t, unnest(t.arr)`):
 * PostgreSQL makes function items implicitly LATERAL. Such an item becomes a ProjectSet
 * over the left side — each left row followed by each row of the function over it — which
 * is also how RisingWave plans it, in batch and streaming alike. A function that reads no
 * left column is left to the ordinary (cross join) binding.
 *
 * A function with several columns, or WITH ORDINALITY, is evaluated as one struct-valued
 * set item (its columns, then the 1-based ordinality) whose fields a Project spreads out.
 */
import { type Datum, StructValue, T, notSupported, structOf } from '@freshet/common';
import { type TableFunctionImpl, isTableFunction, resolveTableFunction } from '@freshet/expr';
import { type Expr, col, collectColumns } from '../planner/expr';
import type { Field, PlanNode } from '../planner/plan';
import { type PgNode, nodeType, sval } from './ast';
import { coerce } from './coerce';
import type { BindContext } from './context';
import { type ExprEnv, bindExpr } from './expr';
import { type BoundRelation, aliased, checkDuplicateNames } from './relation';
import { Level } from './scope';
import { selectUserFunction, userFunctionCandidates, userTableFunction } from './udf';

/** `left` joined laterally with function item `n`, or null when `n` reads nothing of `left`. */
export function bindLateralFunction(bc: BindContext, n: PgNode, left: BoundRelation, level: Level): BoundRelation | null {
  const fns = n.functions as PgNode[];
  if (fns.length !== 1) return null;
  const call = fns[0].List.items[0] as PgNode;
  if (nodeType(call) !== 'FuncCall') return null;
  const fc = call.FuncCall;
  const parts = (fc.funcname as PgNode[]).map(sval);
  const name = parts[parts.length - 1].toLowerCase();
  if (name === 'tumble' || name === 'hop') return null;
  const env: ExprEnv = { bc, level: new Level(left.scope, level.parent), scope: left.scope, aggs: null, windows: null, clause: 'FROM' };
  let args: Expr[];
  try {
    args = ((fc.args as PgNode[] | undefined) ?? []).map((a) => bindExpr(env, a));
  } catch {
    return null; // not bindable against the left side: the ordinary binding reports it
  }
  if (!args.some((a) => collectColumns(a).size > 0)) return null;
  let fn: TableFunctionImpl;
  const udfs = userFunctionCandidates(env, fc.funcname as PgNode[]);
  if (udfs.length > 0) {
    const picked = selectUserFunction(env, udfs, args);
    if (!picked.f.tableColumns) throw notSupported(`a scalar function reading a preceding FROM item (${name})`);
    fn = userTableFunction(picked.f);
    args = picked.args;
  } else if (isTableFunction(name)) {
    fn = resolveTableFunction(name, args.map((a) => a.type));
    args = args.map((a, i) => coerce(bc, a, fn.argTypes[i] ?? a.type, 'implicit'));
  } else {
    throw notSupported(`a scalar function reading a preceding FROM item (${name})`);
  }
  const ordinality = !!n.ordinality;
  const colNames = fn.returnTypes.length === 1 ? [(n.alias as PgNode | undefined)?.aliasname ?? fn.columnNames[0] ?? name] : fn.columnNames;
  const fnFields: Field[] = fn.returnTypes.map((t, i) => ({ name: colNames[i], type: t, table: null }));
  if (ordinality) fnFields.push({ name: 'ordinality', type: T.Int64, table: null });
  // Names and scope of the function's columns, as a FROM item of its own would have them.
  const right = aliased({ kind: 'values', rows: [], schema: fnFields }, n.alias as PgNode | undefined, name);
  checkDuplicateNames(left.names, right.names);

  const width = left.plan.schema.length;
  const leftCols = left.plan.schema.map((f, i) => col(i, f.type));
  const single = fn.returnTypes.length === 1 && !ordinality;
  const item = single ? fn : asStructRows(fn, ordinality);
  const srf: Expr = { kind: 'table_fn', fn: item, args, type: item.returnTypes[0] };
  const set: PlanNode = {
    kind: 'project_set',
    input: left.plan,
    exprs: [...leftCols, srf],
    schema: [...left.plan.schema, { name, type: srf.type, table: null, hidden: true }],
  };
  const outs: Expr[] = single ? [col(width, srf.type)] : fnFields.map((f, j): Expr => ({ kind: 'field', arg: col(width, srf.type), index: j, type: f.type }));
  const plan: PlanNode = { kind: 'project', input: set, exprs: [...leftCols, ...outs], schema: [...left.plan.schema, ...right.plan.schema] };
  return { plan, scope: left.scope.concat(right.scope), names: [...left.names, ...right.names] };
}

/** `fn` yielding one struct per row: its columns, then (WITH ORDINALITY) the row number. */
function asStructRows(fn: TableFunctionImpl, ordinality: boolean): TableFunctionImpl {
  const fields = fn.returnTypes.map((type, i) => ({ name: fn.columnNames[i] ?? `c${i}`, type }));
  if (ordinality) fields.push({ name: 'ordinality', type: T.Int64 });
  return {
    name: fn.name,
    argTypes: fn.argTypes,
    returnTypes: [structOf(fields)],
    columnNames: [fn.name],
    *eval(args, ctx) {
      let n = 0n;
      for (const row of fn.eval(args, ctx)) {
        n++;
        const values: Datum[] = ordinality ? [...row, n] : row;
        yield [new StructValue(values)];
      }
    },
  };
}
