/**
 * Process-time temporal joins in a stream plan: `left [LEFT] JOIN rel FOR SYSTEM_TIME AS OF
 * PROCTIME() ON …` (the binder marks `rel`'s scan `temporal`).
 *
 * RisingWave's rules: inner or left outer join only; the right side is the table itself
 * (filters on it become part of the join condition); the equality conditions must cover
 * the table's primary key, so each left row finds at most one row by a point lookup. The
 * rest of the keys, the ON condition's other conjuncts and the right side's filters are
 * checked on the joined row.
 *
 * Stream key: left key ++ the table's pk (NULL for a padded row), as for a hash join.
 */
import { T, notSupported } from '@freshet/common';
import { resolveScalar } from '@freshet/expr';
import { type Expr, andAll, col, conjuncts, remapColumns } from '../planner/expr';
import { type Field, type PlanNode, type Scan, inputsOf } from '../planner/plan';
import { splitEquiKeys } from '../query/lower';
import type { StreamField, StreamNode } from './plan';
import { type StreamPlannerEnv, projectKeepingKey, withKeyColumns } from './to-stream';
import { appendOnly } from './to-stream-watermark';

type Join = Extract<PlanNode, { kind: 'join' }>;

/** The temporal scan under a join's right side (through filters), with those filters; null if none. */
export function temporalRightSide(right: PlanNode): { scan: Scan; filters: Expr[] } | null {
  const filters: Expr[] = [];
  let p = right;
  while (p.kind === 'filter') {
    filters.push(...conjuncts(p.predicate));
    p = p.input;
  }
  return p.kind === 'scan' && p.temporal ? { scan: p, filters } : null;
}

/** Whether any scan in `p` is marked FOR SYSTEM_TIME AS OF. */
function hasTemporalScan(p: PlanNode): boolean {
  return p.kind === 'scan' ? !!p.temporal : inputsOf(p).some(hasTemporalScan);
}

/**
 * Every `FOR SYSTEM_TIME AS OF PROCTIME()` of the statement must have become a temporal
 * scan: on a view or a CTE the binder leaves a query, which a streaming job would join
 * as a regular (retracting) join — refused instead of silently answering differently.
 */
export function checkTemporalScans(p: PlanNode, expected: number): void {
  if (expected > 0 && countTemporalScans(p) < expected) {
    throw notSupported('FOR SYSTEM_TIME AS OF PROCTIME() on a view or a WITH query', 'Join the table or materialized view itself.');
  }
}

function countTemporalScans(p: PlanNode): number {
  let n = p.kind === 'scan' && p.temporal ? 1 : 0;
  for (const i of inputsOf(p)) n += countTemporalScans(i);
  return n;
}

/** A temporal join is planned from its right side; a temporal scan anywhere else is refused. */
export function misplacedTemporalScan(): Error {
  return notSupported('FOR SYSTEM_TIME AS OF PROCTIME() other than on the right side of an inner or left join in a streaming query');
}

export function planTemporalJoin(
  p: Join,
  right: { scan: Scan; filters: Expr[] },
  left: StreamNode,
  env: StreamPlannerEnv,
  upstreams: Set<number>,
): StreamNode {
  if (p.joinType !== 'inner' && p.joinType !== 'left') {
    throw notSupported(`temporal join of type ${p.joinType.toUpperCase()}`, 'A temporal join is an inner or a left outer join.');
  }
  if (hasTemporalScan(p.left)) throw misplacedTemporalScan();
  const { scan } = right;
  const rel = scan.table;
  env.checkUpstream(rel);
  upstreams.add(rel.id);
  const lw = p.left.schema.length;
  const rw = p.right.schema.length;
  const { leftKeys, rightKeys, residual } = splitEquiKeys(p.condition, lw);
  // The relation's columns as the right side outputs them: the scan's, then its pk.
  const columns = [...scan.columns];
  for (const k of rel.pk) if (!columns.includes(k)) columns.push(k);
  const rightFields: StreamField[] = columns.map((c, i) =>
    i < rw ? fieldOf(scan.schema[i]) : { name: rel.columns[c].name, type: rel.columns[c].type, hidden: true },
  );
  // Each pk column must be equal to a left expression: that pair is the lookup key.
  const used = new Set<number>();
  const lookupExprs = rel.pk.map((k) => {
    const at = columns.indexOf(k);
    const pair = rightKeys.findIndex((r, i) => !used.has(i) && r.kind === 'column' && r.index === at);
    if (pair < 0) {
      throw notSupported(
        "temporal join whose equality condition does not cover the lookup table's primary key",
        `Join ${rel.name} on every primary-key column (${rel.pk.map((c) => rel.columns[c].name).join(', ')}).`,
      );
    }
    used.add(pair);
    return leftKeys[pair];
  });
  const [probe, lookupKey] = withKeyColumns(left, lookupExprs);
  const la = probe.schema.length;
  // The rest is checked on the joined row [probe…, right…].
  const toJoined = (i: number) => (i < lw ? i : la + i - lw);
  const rest: Expr[] = [];
  leftKeys.forEach((l, i) => {
    if (used.has(i)) return;
    const r = remapColumns(rightKeys[i], (c) => la + c);
    rest.push({ kind: 'call', fn: resolveScalar('equal', [l.type, r.type]), args: [l, r], type: T.Boolean });
  });
  if (residual) rest.push(remapColumns(residual, toJoined));
  for (const f of right.filters) rest.push(remapColumns(f, (c) => la + c));
  const pkAt = rel.pk.map((k) => columns.indexOf(k));
  const join: StreamNode = {
    kind: 'temporal_join',
    joinType: p.joinType,
    left: probe,
    relation: rel,
    columns,
    lookupKey,
    condition: andAll(rest),
    appendOnly: appendOnlyStream(probe),
    schema: [...probe.schema, ...rightFields],
    streamKey: [...probe.streamKey, ...pkAt.map((k) => la + k)],
  };
  const exprs = [...range(0, lw), ...range(la, la + rw)].map((i) => col(i, join.schema[i].type));
  return projectKeepingKey(join, exprs, p.schema.map(fieldOf));
}

/** A stream that only ever inserts (one derivation for the whole planner: to-stream-watermark.ts). */
export function appendOnlyStream(n: StreamNode): boolean {
  return appendOnly(n);
}

const fieldOf = (f: Field): StreamField => ({ name: f.name, type: f.type, hidden: !!f.hidden });
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
