/**
 * The point-lookup fast path. A plan that is only "fetch the row with this primary key
 * and return some of its columns" — `Get`, or `Project(column refs)` over `Get`, as the
 * optimizer's point-lookup rule produces for `SELECT cols FROM t WHERE pk = $1` — needs
 * none of the executor machinery: no runtime, no compiled expression closures, no chunk
 * stream. This compiles such a plan once (at prepare) into a flat description, and runs
 * it per execution as one key build, one hash probe and one projection.
 *
 * `t` may be a table or a materialized view: `storage.table(id)` is then the MV's reader
 * over its committed state (stream-planner/engine.ts), so a feature lookup by the MV's
 * key (`SELECT … FROM user_session_features WHERE user_id = $1`) takes this same path and
 * sees the last committed epoch.
 *
 * Anything else returns null from `compilePointLookup` and takes the general path.
 */
import type { DataType, Datum, Row } from '@freshet/common';
import { type EvalContext, castDatum } from '@freshet/expr';
import type { StorageEngine } from '@freshet/storage';
import type { RelationCatalog } from '../catalog/model';
import type { Expr } from '../planner/expr';
import type { Get, PlanNode } from '../planner/plan';

/** How one key column's value is obtained: a constant or a parameter, then casts in order. */
interface KeySource {
  /** Parameter index, or -1 for a constant. */
  readonly param: number;
  readonly constant: Datum;
  /** Casts applied innermost first, each from the previous type. */
  readonly casts: readonly { readonly from: DataType; readonly to: DataType }[];
}

export class PointLookup {
  constructor(
    /** The table or materialized view read. */
    readonly table: RelationCatalog,
    private readonly keys: readonly KeySource[],
    /** Physical column index for each output column, or null when the output is the whole stored row. */
    private readonly output: readonly number[] | null,
    /** Whether any key needs a cast (and so an evaluation context). */
    readonly needsEvalContext: boolean,
  ) {}

  /** Number of parameters the key reads (highest index + 1). */
  get paramCount(): number {
    let n = 0;
    for (const k of this.keys) if (k.param + 1 > n) n = k.param + 1;
    return n;
  }

  /**
   * The output row for these parameters, or null when no row matches (including a NULL
   * key: `pk = NULL` is never true). `ctx` is required only if `needsEvalContext`.
   * The returned row may be the stored row itself: callers must not mutate it.
   */
  run(storage: StorageEngine, params: readonly Datum[], ctx: EvalContext | null): Row | null {
    const keys = this.keys;
    const key: Datum[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      let v = k.param >= 0 ? (params[k.param] ?? null) : k.constant;
      for (let c = 0; c < k.casts.length && v !== null; c++) v = castDatum(k.casts[c].from, k.casts[c].to, v, ctx!);
      if (v === null) return null;
      key[i] = v;
    }
    // Looked up per execution: a dropped table fails here exactly as the general path does.
    const row = storage.table(this.table.id).get(key);
    if (row === undefined) return null;
    const out = this.output;
    if (out === null) return row;
    const projected: Datum[] = new Array(out.length);
    for (let i = 0; i < out.length; i++) projected[i] = row[out[i]];
    return projected;
  }
}

function keySource(e: Expr): KeySource | null {
  const casts: { from: DataType; to: DataType }[] = [];
  while (e.kind === 'cast') {
    casts.unshift({ from: e.arg.type, to: e.type });
    e = e.arg;
  }
  if (e.kind === 'param') return { param: e.index, constant: null, casts };
  if (e.kind === 'literal') return { param: -1, constant: e.value, casts };
  return null;
}

/** A fast path for `plan`, or null if it is not a plain primary-key lookup. */
export function compilePointLookup(plan: PlanNode): PointLookup | null {
  let get: Get;
  let projection: number[] | null = null;
  if (plan.kind === 'get') get = plan;
  else if (plan.kind === 'project' && plan.input.kind === 'get') {
    get = plan.input;
    projection = [];
    for (const e of plan.exprs) {
      if (e.kind !== 'column') return null;
      projection.push(e.index);
    }
  } else return null;
  // An index lookup may return many rows: the general executor serves it.
  if (get.index) return null;

  const keys: KeySource[] = [];
  for (const k of get.key) {
    const src = keySource(k);
    if (!src) return null;
    keys.push(src);
  }
  // Output column i is physical column get.columns[projection[i]].
  const physical = projection ? projection.map((i) => get.columns[i]) : [...get.columns];
  const wholeRow = physical.length === get.table.columns.length && physical.every((c, i) => c === i);
  return new PointLookup(get.table, keys, wholeRow ? null : physical, keys.some((k) => k.casts.length > 0));
}
