/**
 * Point-lookup detection: `Filter(Scan t)` (t a table or materialized view) whose
 * predicate pins every primary-key column of `t` to a value known before the scan starts
 * (a literal or a parameter, possibly cast) becomes `Get t` — one hash probe instead of a full scan — with the remaining conjuncts
 * kept as a filter over the (at most one) row.
 *
 * Only key types whose storage-key encoding equality is exactly SQL `=` qualify: integers,
 * booleans, strings, bytea and date/time types. Decimal (`1.0 = 1.00`), floats (`-0 = 0`)
 * and intervals (`'1 day' = '24 hours'`) compare equal across different encodings, so
 * those keys keep the scan.
 *
 * Otherwise, when `indexesOf` is given (batch queries), a `CREATE INDEX` on `t` whose
 * leading key columns are pinned the same way makes it an index lookup (`Get` with
 * `index`): every row with those values, through the batch engine's in-memory secondary
 * index (packages/batch/src/secondary-index.ts). The most pinned key columns win.
 */
import { type DataType, typeEquals } from '@freshet/common';
import { type Expr, andAll, conjuncts } from '../../planner/expr';
import type { RelationCatalog } from '../../catalog/model';
import type { Filter, Get, PlanNode, Scan } from '../../planner/plan';
import { transformPlan } from './transform';

/** Catalog ids of user relations start here; system (virtual) tables sit below. */
const FIRST_USER_RELATION_ID = 100000;

/**
 * Relations whose `StorageEngine.table(id)` reader answers `get(pk)` with one hash probe:
 * tables, and materialized views, which the streaming engine serves from their state
 * table's committed view (`attachReader`) keyed by the MV's pk (its stream key) — the
 * feature-serving query `SELECT … FROM mv WHERE user_id = $1`.
 */
const LOOKUP_KINDS = new Set<RelationCatalog['kind']>(['table', 'materialized_view']);

const EXACT_KEY_KINDS = new Set<DataType['kind']>([
  'boolean',
  'int16',
  'int32',
  'int64',
  'serial',
  'varchar',
  'bytea',
  'date',
  'time',
  'timestamp',
  'timestamptz',
]);

/** The indexes (catalog relations of kind 'index') on a relation. */
export type IndexesOf = (rel: RelationCatalog) => readonly RelationCatalog[];

export function pointLookup(plan: PlanNode, indexesOf?: IndexesOf): PlanNode {
  return transformPlan(plan, (p) =>
    p.kind === 'filter' && p.input.kind === 'scan' && !p.input.changelog && !p.input.temporal ? toGet(p, p.input, indexesOf) : p,
  );
}

/** A key value computable before reading the table: a literal or `$n`, through casts. */
function isKeyValue(e: Expr): boolean {
  while (e.kind === 'cast') e = e.arg;
  return e.kind === 'literal' || e.kind === 'param';
}

/** If `c` is `column(pos) = value` (either way round), the value; else null. */
function equalityValue(c: Expr, pos: number, type: DataType): Expr | null {
  if (c.kind !== 'call' || c.fn.name !== 'equal' || c.args.length !== 2) return null;
  const [a, b] = c.args;
  const value = a.kind === 'column' && a.index === pos ? b : b.kind === 'column' && b.index === pos ? a : null;
  if (!value || !isKeyValue(value) || !typeEquals(value.type, type)) return null;
  return value;
}

/** Pins each of `cols` (physical, in order) with a conjunct of `rest`, removing those conjuncts; stops at the first unpinned one. */
function pinColumns(cols: readonly number[], scan: Scan, rest: Expr[]): Expr[] {
  const key: Expr[] = [];
  for (const c of cols) {
    const type = scan.table.columns[c].type;
    if (!EXACT_KEY_KINDS.has(type.kind)) break;
    const pos = scan.columns.indexOf(c);
    if (pos < 0) break;
    let found = -1;
    for (let i = 0; i < rest.length && found < 0; i++) {
      const v = equalityValue(rest[i], pos, type);
      if (v) {
        key.push(v);
        found = i;
      }
    }
    if (found < 0) break;
    rest.splice(found, 1);
  }
  return key;
}

function toGet(filter: Filter, scan: Scan, indexesOf: IndexesOf | undefined): PlanNode {
  const table = scan.table;
  if (!LOOKUP_KINDS.has(table.kind) || table.id < FIRST_USER_RELATION_ID) return filter;
  let rest = conjuncts(filter.predicate);
  let get: Get | null = null;
  if (table.pk.length > 0) {
    const key = pinColumns(table.pk, scan, rest);
    if (key.length === table.pk.length) get = { kind: 'get', table, columns: scan.columns, key, schema: scan.schema };
    else rest = conjuncts(filter.predicate);
  }
  if (!get && indexesOf) {
    for (const idx of indexesOf(table)) {
      const cols = idx.index!.keys.map((k) => k.column);
      const trial = conjuncts(filter.predicate);
      const key = pinColumns(cols, scan, trial);
      if (key.length > 0 && (!get || key.length > get.key.length)) {
        get = { kind: 'get', table, columns: scan.columns, key, schema: scan.schema, index: { name: idx.name, columns: cols.slice(0, key.length) } };
        rest = trial;
      }
    }
  }
  if (!get) return filter;
  const residual = andAll(rest);
  return residual ? { ...filter, input: get, predicate: residual } : get;
}
