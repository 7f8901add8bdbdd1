/**
 * `x NOT IN (SELECT y FROM …)` (uncorrelated) as a WHERE conjunct in a stream plan. Its
 * NULL semantics make it more than an anti join: a row passes when the subquery is
 * empty, or when x is not NULL, no y is NULL and no y equals x. So:
 *
 *   anti join (x = y)                        rows without an equal y (NULL x included)
 *   ⋈ on a constant key with one row of      count(*), count(*) FILTER (WHERE y IS NULL)
 *     the subquery's global aggregate
 *   filter   cnt = 0 OR (nulls = 0 AND x IS NOT NULL)
 *
 * Every operator is an existing one; a change of the subquery's NULL count or emptiness
 * re-evaluates the rows through the constant-key join (as a dynamic filter does).
 */
import { T, notSupported } from '@freshet/common';
import { resolveAggregate, resolveScalar } from '@freshet/expr';
import { type Expr, col } from '../planner/expr';
import type { PlanNode } from '../planner/plan';
import type { StreamNode } from './plan';
import { withKeyColumns } from './to-stream';

type Subquery = Extract<Expr, { kind: 'subquery' }>;

/** `NOT (x IN (uncorrelated subquery))`, or null. */
export function notInSubquery(c: Expr): (Subquery & { test: Expr }) | null {
  if (c.kind !== 'not' || c.arg.kind !== 'subquery') return null;
  const s = c.arg;
  if (s.mode !== 'any' || s.correlated.length > 0 || !s.test || s.cmp?.name !== 'equal') return null;
  return s as Subquery & { test: Expr };
}

export function planNotIn(input: StreamNode, s: Subquery & { test: Expr }, convert: (p: PlanNode) => StreamNode): StreamNode {
  const sub = convert(s.plan);
  const yType = s.plan.schema[0].type;
  const xType = s.test.type;
  if (s.cmp!.argTypes[0].kind !== xType.kind || s.cmp!.argTypes[1].kind !== yType.kind || xType.kind !== yType.kind) {
    throw notSupported('NOT IN comparing different types in a streaming query', 'Cast the subquery column to the type of the tested value.');
  }
  // 1. Anti join on x = y (a NULL x never matches, so it stays: the filter decides).
  const [left, [xCol]] = withKeyColumns(input, [s.test]);
  const right = sub;
  const anti: StreamNode = {
    kind: 'hash_join',
    joinType: 'anti',
    left,
    right,
    leftKeys: [xCol],
    rightKeys: [0],
    condition: null,
    schema: left.schema,
    streamKey: left.streamKey,
  };
  // 2. The subquery's size and NULL count, one row.
  const isNull: Expr = { kind: 'is_null', arg: col(0, yType), negated: false, type: T.Boolean };
  const pre: StreamNode = {
    kind: 'project',
    input: sub,
    exprs: [isNull],
    schema: [{ name: '$y_is_null', type: T.Boolean, hidden: false }],
    streamKey: [],
  };
  const count = resolveAggregate('count', [], { distinct: false });
  const agg: StreamNode = {
    kind: 'agg',
    input: pre,
    groupKey: [],
    calls: [
      { fn: count, args: [], distinct: false, filter: null, orderBy: [] },
      { fn: count, args: [], distinct: false, filter: 0, orderBy: [] },
    ],
    schema: [
      { name: '$count', type: count.returnType, hidden: false },
      { name: '$nulls', type: count.returnType, hidden: false },
    ],
    streamKey: [],
  };
  // 3. Every anti-join row meets the one aggregate row on a constant key.
  const one: Expr = { kind: 'literal', value: 0, type: T.Int32 };
  const [l, lk] = withKeyColumns(anti, [one]);
  const [r, rk] = withKeyColumns(agg, [one]);
  const la = l.schema.length;
  const joined: StreamNode = {
    kind: 'hash_join',
    joinType: 'inner',
    left: l,
    right: r,
    leftKeys: lk,
    rightKeys: rk,
    condition: null,
    schema: [...l.schema, ...r.schema],
    streamKey: l.streamKey,
  };
  const i64 = count.returnType;
  const zero: Expr = { kind: 'literal', value: 0n, type: i64 };
  const eq = resolveScalar('equal', [i64, i64]);
  const cntZero: Expr = { kind: 'call', fn: eq, args: [col(la, i64), zero], type: T.Boolean };
  const nullsZero: Expr = { kind: 'call', fn: eq, args: [col(la + 1, i64), zero], type: T.Boolean };
  const xNotNull: Expr = { kind: 'is_null', arg: col(xCol, left.schema[xCol].type), negated: true, type: T.Boolean };
  const predicate: Expr = { kind: 'or', args: [cntZero, { kind: 'and', args: [nullsZero, xNotNull], type: T.Boolean }], type: T.Boolean };
  const filtered: StreamNode = { kind: 'filter', input: joined, predicate, schema: joined.schema, streamKey: joined.streamKey };
  // Back to the input's columns (its key is among them).
  return {
    kind: 'project',
    input: filtered,
    exprs: input.schema.map((f, i) => col(i, f.type)),
    schema: input.schema,
    streamKey: input.streamKey,
  };
}
