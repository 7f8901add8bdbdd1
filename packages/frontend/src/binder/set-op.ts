/**
 * UNION / INTERSECT / EXCEPT [ALL], including RisingWave's `CORRESPONDING [BY (…)]`
 * which matches columns by name instead of position. Column types are unified per
 * position; names come from the left side.
 */
import { type DataType, SqlError, SqlState, notSupported } from '@freshet/common';
import type { Expr } from '../planner/expr';
import type { PlanNode } from '../planner/plan';
import type { PgNode } from './ast';
import { coerce, unify } from './coerce';
import type { BindContext } from './context';
import { bindQuery, type QueryOptions } from './query';
import type { Level } from './scope';

const OPS: Record<string, 'union' | 'intersect' | 'except'> = { SETOP_UNION: 'union', SETOP_INTERSECT: 'intersect', SETOP_EXCEPT: 'except' };

export function bindSetOp(bc: BindContext, stmt: PgNode, parent: Level | null, _opts: QueryOptions): PlanNode {
  const op = OPS[stmt.op as string];
  if (!op) throw notSupported(`set operation ${stmt.op}`);
  let left = bindQuery(bc, stmt.larg, parent, { keepUnknown: true });
  let right = bindQuery(bc, stmt.rarg, parent, { keepUnknown: true });
  const corr = findCorresponding(bc, stmt.rarg);
  if (corr) {
    [left, right] = correspond(left, right, corr.by, op);
  }
  if (left.schema.length !== right.schema.length) {
    throw new SqlError(SqlState.SyntaxError, `each ${op.toUpperCase()} query must have the same number of columns`);
  }
  const types = left.schema.map((f, i) => {
    const a: Expr = { kind: 'column', index: i, type: f.type };
    const b: Expr = { kind: 'column', index: i, type: right.schema[i].type };
    if (f.type.kind === 'unknown' && b.type.kind === 'unknown') return f.type;
    return unify(bc, [a, b], op.toUpperCase());
  });
  const castTo = (p: PlanNode): PlanNode => {
    if (p.schema.every((f, i) => f.type.kind === types[i].kind && f.type === types[i])) return p;
    p = typeUnknownOutputs(bc, p, types);
    if (p.schema.every((f, i) => f.type === types[i])) return p;
    const exprs = p.schema.map((f, i) => coerce(bc, { kind: 'column', index: i, type: f.type }, types[i], 'implicit'));
    return { kind: 'project', input: p, exprs, schema: p.schema.map((f, i) => ({ ...f, type: types[i] })) };
  };
  left = castTo(left);
  right = castTo(right);
  return {
    kind: 'set_op',
    op,
    all: !!stmt.all,
    left,
    right,
    schema: left.schema.map((f, i) => ({ name: f.name, type: types[i], table: null })),
  };
}

/** The CORRESPONDING clause recorded by the SQL front pass for this set operation, if any. */
function findCorresponding(bc: BindContext, rarg: PgNode): { by?: string[] } | undefined {
  const list = bc.rw?.corresponding;
  if (!list || list.length === 0) return undefined;
  const start = minLocation(rarg);
  let best: (typeof list)[number] | undefined;
  for (const c of list) if (c.rightLocation <= start && (!best || c.rightLocation > best.rightLocation)) best = c;
  return best && start - best.rightLocation < 1_000_000 ? best : undefined;
}

function minLocation(n: unknown): number {
  let min = Infinity;
  const visit = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(visit);
    else if (x && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) {
        if (k === 'location' && typeof v === 'number' && v >= 0) min = Math.min(min, v);
        else visit(v);
      }
    }
  };
  visit(n);
  return min;
}

function correspond(left: PlanNode, right: PlanNode, by: string[] | undefined, op: string): [PlanNode, PlanNode] {
  const lnames = left.schema.map((f) => f.name);
  const rnames = right.schema.map((f) => f.name);
  let names: string[];
  if (by) {
    for (const n of by) {
      if (!lnames.includes(n) || !rnames.includes(n)) {
        throw new SqlError(
          SqlState.SyntaxError,
          `Invalid input syntax: Column name \`${n}\` in CORRESPONDING BY is not found in a side of the ${op.toUpperCase()} operation. It shall be included in both sides.`,
        );
      }
    }
    names = by;
  } else {
    names = lnames.filter((n) => rnames.includes(n));
    if (names.length === 0) {
      throw new SqlError(
        SqlState.SyntaxError,
        `Invalid input syntax: When CORRESPONDING is specified, at least one column of the left side shall have a column name that is the column name of some column of the right side in a ${op.toUpperCase()} operation. Left side query column list: (${lnames.map((n) => `"${n}"`).join(', ')}). Right side query column list: (${rnames.map((n) => `"${n}"`).join(', ')}).`,
      );
    }
  }
  const pick = (p: PlanNode, pnames: string[]): PlanNode => {
    const idx = names.map((n) => pnames.indexOf(n));
    return { kind: 'project', input: p, exprs: idx.map((i): Expr => ({ kind: 'column', index: i, type: p.schema[i].type })), schema: idx.map((i) => p.schema[i]) };
  };
  return [pick(left, lnames), pick(right, rnames)];
}

/**
 * Gives a branch's untyped outputs (`select null`, `select '1'`, `values (null)`) the
 * unified type where they are produced, as PostgreSQL does for literals: a column of
 * unknown type read from above would otherwise be text, which does not cast implicitly.
 */
function typeUnknownOutputs(bc: BindContext, p: PlanNode, types: readonly DataType[]): PlanNode {
  const unknown = p.schema.map((f, i) => f.type.kind === 'unknown' && types[i].kind !== 'unknown');
  if (!unknown.some(Boolean)) return p;
  const schema = p.schema.map((f, i) => (unknown[i] ? { ...f, type: types[i] } : f));
  const retype = (e: Expr, i: number) => (unknown[i] ? coerce(bc, e, types[i], 'implicit') : e);
  switch (p.kind) {
    case 'project':
      return { ...p, exprs: p.exprs.map((e, i) => (i < unknown.length ? retype(e, i) : e)), schema: [...schema, ...p.schema.slice(schema.length)] };
    case 'values':
      return { ...p, rows: p.rows.map((r) => r.map(retype)), schema };
    case 'set_op':
      return { ...p, left: typeUnknownOutputs(bc, p.left, types), right: typeUnknownOutputs(bc, p.right, types), schema };
    case 'limit':
      return { ...p, input: typeUnknownOutputs(bc, p.input, types), schema };
    default:
      return p;
  }
}
