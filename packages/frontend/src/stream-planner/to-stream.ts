/**
 * Logical plan → stream plan (RisingWave's `to_stream`): one stream node per logical node,
 * deriving each node's stream key bottom-up.
 *
 * - scan: the relation's primary key (a table without one has the hidden `_row_id`); key
 *   columns the query does not read are read anyway and carried as hidden columns;
 * - filter: the input's key;
 * - project: the input's key, appending key columns the projection dropped;
 * - aggregate: the group key (a global aggregate has one row: the empty key). Arguments,
 *   FILTER and ORDER BY of the calls are computed by a Project in front of the agg;
 * - join: left key ++ right key (NULL-padded halves of outer joins included). Equalities
 *   between the sides become hash keys; computed or cast keys are projected into columns
 *   first, so both sides hash the same type; the rest is a condition over the joined row;
 * - ORDER BY … LIMIT: top-N, keeping the input's key (which also breaks ties);
 * - DISTINCT / UNION: the distinct columns; UNION ALL: a branch number plus each branch's key.
 *
 * The invariant that makes this composable: a node's first `width` columns are exactly the
 * logical node's columns, so expressions of the logical plan stay valid over the stream
 * node, and extra (key) columns only ever follow them. Anything the stream engine cannot
 * maintain raises 0A000 naming the construct.
 */
import { T, notSupported } from '@freshet/common';
import { resolveScalar } from '@freshet/expr';
import type { RelationCatalog } from '../catalog/model';
import { type Expr, andAll, col, conjuncts, exprAny, exprKey, remapColumns, transformExpr } from '../planner/expr';
import type { Field, PlanNode } from '../planner/plan';
import { splitEquiKeys } from '../query/lower';
import type { StreamAgg, StreamField, StreamNode, StreamOrderItem, StreamPlan, StreamTemporalFilter } from './plan';
import { isScalarSubquery } from './streamable';
import { type TemporalConjunct, type TemporalOp, temporalConjunct } from './temporal';
import { type TwoPhaseAggSettings, planTwoPhaseAgg } from './to-stream-agg';
import { planChangelog } from './to-stream-changelog';
import { notInSubquery, planNotIn } from './to-stream-subquery';
import { planOverWindow } from './to-stream-window';
import { isNowSeries, planNowSeries } from './to-stream-now';
import { misplacedTemporalScan, planTemporalJoin, temporalRightSide } from './to-stream-join';
import { type WatermarkBinder, withWatermarkFilter } from './to-stream-watermark';

export interface StreamPlannerEnv {
  /** Throws when `rel` cannot be read by a streaming job (e.g. a system table). */
  checkUpstream(rel: RelationCatalog): void;
  /** Binds a table's `WATERMARK FOR` expression; absent: watermarks are not planned. */
  bindWatermark?: WatermarkBinder;
  /** The session's two-phase aggregation settings; absent: RisingWave's defaults. */
  twoPhaseAgg?: TwoPhaseAggSettings;
}

export function planStream(logical: PlanNode, env: StreamPlannerEnv): StreamPlan {
  const planner = new StreamPlanner(env);
  const root = planner.convert(logical);
  const width = logical.schema.length;
  const names = new Set(logical.schema.map((f) => f.name));
  const columns = root.schema.map((f, i): StreamField => {
    if (i < width) return { name: logical.schema[i].name, type: f.type, hidden: !!logical.schema[i].hidden };
    let name = f.name;
    for (let n = 1; names.has(name); n++) name = `${f.name}_${n}`;
    names.add(name);
    return { name, type: f.type, hidden: true };
  });
  return { root, columns, pk: root.streamKey, upstreams: [...planner.upstreams] };
}

const fieldOf = (f: Field): StreamField => ({ name: f.name, type: f.type, hidden: !!f.hidden });
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

class StreamPlanner {
  readonly upstreams = new Set<number>();

  constructor(private readonly env: StreamPlannerEnv) {}

  convert(p: PlanNode): StreamNode {
    switch (p.kind) {
      case 'scan':
        if (p.temporal) throw misplacedTemporalScan();
        if (p.changelog) return planChangelog(p, withWatermarkFilter(this.scan(p.table, p.columns, p.schema.slice(0, p.columns.length)), this.env.bindWatermark));
        return withWatermarkFilter(this.scan(p.table, p.columns, p.schema), this.env.bindWatermark);
      case 'get': {
        // A point lookup folded out of `WHERE pk = const`: a scan with that filter.
        const scan = this.scan(p.table, p.columns, p.schema);
        const preds: Expr[] = p.table.pk.map((k, i) => {
          const at = scan.kind === 'table_scan' ? scan.columns.indexOf(k) : -1;
          const t = p.table.columns[k].type;
          return { kind: 'call', fn: resolveScalar('equal', [t, t]), args: [col(at, t), p.key[i]], type: T.Boolean };
        });
        const predicate: Expr = preds.length === 1 ? preds[0] : { kind: 'and', args: preds, type: T.Boolean };
        return { kind: 'filter', input: scan, predicate, schema: scan.schema, streamKey: scan.streamKey };
      }
      case 'values': {
        const schema = [...p.schema.map(fieldOf), { name: '_row_id', type: T.Int64, hidden: true }];
        return { kind: 'values', rows: p.rows, schema, streamKey: [p.schema.length] };
      }
      case 'filter': {
        const topN = this.groupTopN(p);
        if (topN) return topN;
        return this.filter(this.convert(p.input), conjuncts(p.predicate));
      }
      case 'project':
        return this.project(p);
      case 'agg':
        return this.agg(p);
      case 'join':
        return this.join(p);
      case 'sort':
        // An MV is a set: ORDER BY without LIMIT does not change its contents.
        return this.convert(p.input);
      case 'limit':
        return this.topN(p);
      case 'distinct': {
        if (p.on) {
          // DISTINCT ON: the first row of each group in the ORDER BY (below it) — a group top-1.
          const sort = p.input.kind === 'sort' ? p.input : null;
          const keys = sort?.keys ?? [];
          const [input, cols] = withKeyColumns(this.convert(sort ? sort.input : p.input), [...p.on, ...keys.map((k) => k.expr)]);
          const orderBy: StreamOrderItem[] = keys.map((k, i) => ({ column: cols[p.on!.length + i], desc: k.desc, nullsFirst: k.nullsFirst }));
          const groupKey = cols.slice(0, p.on.length);
          return { kind: 'top_n', input, groupKey, orderBy, limit: 1, offset: 0, withTies: false, rankColumn: false, schema: input.schema, streamKey: input.streamKey };
        }
        const input = this.convert(p.input);
        const w = p.schema.length;
        const logical = rawProject(input, range(0, w).map((i) => col(i, input.schema[i].type)), input.schema.slice(0, w), []);
        return { kind: 'dedup', input: logical, schema: logical.schema, streamKey: range(0, w) };
      }
      case 'set_op':
        return this.setOp(p);
      case 'window':
        return planOverWindow(p, this.convert(p.input));
      case 'project_set':
        return projectSet(this.convert(p.input), p.exprs, p.schema.map(fieldOf));
      case 'table_function': {
        if (isNowSeries(p)) return planNowSeries(p);
        // A table function in FROM: the set-returning call over one constant row.
        if (p.ordinality || p.fn.returnTypes.length !== 1) throw notSupported(`${p.fn.name}() in FROM with several columns or ORDINALITY in a streaming query`);
        const one: StreamNode = { kind: 'values', rows: [[]], schema: [{ name: '_row_id', type: T.Int64, hidden: true }], streamKey: [0] };
        return projectSet(one, [{ kind: 'table_fn', fn: p.fn, args: p.args, type: p.fn.returnTypes[0] }], p.schema.map(fieldOf));
      }
      case 'hop_window': {
        // A row is in several windows: the key is the input's key plus window_start.
        const input = this.convert(p.input);
        const iw = input.schema.length;
        const lw = p.input.schema.length;
        const t = input.schema[p.timeCol].type;
        const hop: StreamNode = {
          kind: 'hop_window',
          input,
          timeCol: p.timeCol,
          slideUs: p.slideUs,
          sizeUs: p.sizeUs,
          offsetUs: p.offsetUs,
          schema: [...input.schema, { name: 'window_start', type: t, hidden: false }, { name: 'window_end', type: t, hidden: false }],
          streamKey: [...input.streamKey, iw],
        };
        const exprs = [...range(0, lw), iw, iw + 1].map((i) => col(i, hop.schema[i].type));
        return projectKeepingKey(hop, exprs, p.schema.map(fieldOf));
      }
      case 'expand':
        throw notSupported('GROUPING SETS / ROLLUP / CUBE in a streaming query');
      default:
        throw notSupported(`${p.kind} in a streaming query`);
    }
  }

  private scan(rel: RelationCatalog, columns: readonly number[], schema: readonly Field[]): StreamNode {
    this.env.checkUpstream(rel);
    this.upstreams.add(rel.id);
    const cols = [...columns];
    for (const k of rel.pk) if (!cols.includes(k)) cols.push(k);
    const fields = cols.map((c, i): StreamField => (i < columns.length ? fieldOf(schema[i]) : { name: rel.columns[c].name, type: rel.columns[c].type, hidden: true }));
    return { kind: 'table_scan', relation: rel, columns: cols, schema: fields, streamKey: rel.pk.map((k) => cols.indexOf(k)) };
  }

  private agg(p: Extract<PlanNode, { kind: 'agg' }>): StreamNode {
    const input = this.convert(p.input);
    const pre: Expr[] = [];
    const seen = new Map<string, number>();
    const add = (e: Expr): number => {
      const key = exprKey(e);
      let at = seen.get(key);
      if (at === undefined) {
        at = pre.length;
        pre.push(e);
        seen.set(key, at);
      }
      return at;
    };
    const groupKey = p.groupKeys.map(add);
    const calls = p.aggs.map((a) => ({
      fn: a.fn,
      args: a.args.map(add),
      distinct: a.distinct,
      filter: a.filter ? add(a.filter) : null,
      orderBy: a.orderBy.map((o) => ({ column: add(o.expr), desc: o.desc, nullsFirst: o.nullsFirst })),
    }));
    const project = rawProject(
      input,
      pre,
      pre.map((e, i) => ({ name: e.kind === 'column' ? input.schema[e.index].name : `$expr${i}`, type: e.type, hidden: false })),
      [],
    );
    const agg: StreamAgg = { kind: 'agg', input: project, groupKey, calls, schema: p.schema.map(fieldOf), streamKey: range(0, groupKey.length) };
    return planTwoPhaseAgg(agg, this.env.twoPhaseAgg) ?? agg;
  }

  private join(p: Extract<PlanNode, { kind: 'join' }>): StreamNode {
    const temporal = temporalRightSide(p.right);
    if (temporal) return planTemporalJoin(p, temporal, this.convert(p.left), this.env, this.upstreams);
    const lw = p.left.schema.length;
    const rw = p.right.schema.length;
    const { leftKeys, rightKeys, nullSafe, residual } = splitEquiKeys(p.condition, lw, { nullSafe: true });
    const leftIn = this.convert(p.left);
    const rightIn = this.convert(p.right);
    if (leftKeys.length === 0) {
      // RisingWave does not maintain general cross / nested-loop joins, but a side of at most
      // one row (a global aggregate: `v > (SELECT max(x) FROM t)`) joins every row of the
      // other: a hash join on a constant key, the comparison as its condition.
      if (!atMostOneRow(leftIn) && !atMostOneRow(rightIn)) {
        throw notSupported('a join without an equality condition (cross join) in a streaming query');
      }
      const one: Expr = { kind: 'literal', value: 0, type: T.Int32 };
      leftKeys.push(one);
      rightKeys.push(one);
      nullSafe.push(false);
    }
    const [left, lk] = withKeyColumns(leftIn, leftKeys);
    const [right, rk] = withKeyColumns(rightIn, rightKeys);
    const la = left.schema.length;
    const condition = residual ? remapColumns(residual, (i) => (i < lw ? i : la + i - lw)) : null;
    // Semi / anti joins (EXISTS, IN, NOT EXISTS) output the left rows: left's key.
    const semi = p.joinType === 'semi' || p.joinType === 'anti';
    const join: StreamNode = {
      kind: 'hash_join',
      joinType: p.joinType,
      left,
      right,
      leftKeys: lk,
      rightKeys: rk,
      ...(nullSafe.some(Boolean) ? { nullSafe } : {}),
      condition,
      schema: semi ? left.schema : [...left.schema, ...right.schema],
      streamKey: semi ? left.streamKey : joinStreamKey(p.joinType, left, right, lk, rk),
    };
    // Back to the invariant: the logical columns first (left's, then right's), keys after.
    const exprs = (semi ? range(0, lw) : [...range(0, lw), ...range(la, la + rw)]).map((i) => col(i, join.schema[i].type));
    return projectKeepingKey(join, exprs, p.schema.map(fieldOf));
  }

  private topN(p: Extract<PlanNode, { kind: 'limit' }>): StreamNode {
    const sort = p.input.kind === 'sort' ? p.input : null;
    const limit = constCount(p.limit, 'LIMIT');
    const offset = constCount(p.offset, 'OFFSET') ?? 0;
    if (limit === null) throw notSupported('OFFSET without LIMIT in a streaming query');
    const [input, cols] = withKeyColumns(this.convert(sort ? sort.input : p.input), sort ? sort.keys.map((k) => k.expr) : []);
    const orderBy: StreamOrderItem[] = (sort?.keys ?? []).map((k, i) => ({ column: cols[i], desc: k.desc, nullsFirst: k.nullsFirst }));
    return { kind: 'top_n', input, groupKey: [], orderBy, limit, offset, withTies: !!p.withTies, rankColumn: false, schema: input.schema, streamKey: input.streamKey };
  }

  /**
   * A projection. An uncorrelated scalar subquery in it (`SELECT x, (SELECT max(v) FROM t)`)
   * is left-joined on a constant key as a side of at most one row (none: NULL, as in a
   * query) and read as that side's column, so a change of its value updates every row.
   */
  private project(p: Extract<PlanNode, { kind: 'project' }>): StreamNode {
    const input = this.convert(p.input);
    const fields = p.schema.map(fieldOf);
    if (!p.exprs.some((e) => exprAny(e, isScalarSubquery))) return projectKeepingKey(input, p.exprs, fields);
    const { node, exprs } = this.joinScalarSubqueries(input, p.exprs, 'left');
    return projectKeepingKey(node, exprs, fields);
  }

  /**
   * Joins every uncorrelated scalar subquery in `exprs` to `input` as a side of at most one
   * row, on a constant key (`inner`: a filter's, which no row passes without a value;
   * `left`: a projection's, NULL without one), and gives `exprs` reading its column instead.
   */
  private joinScalarSubqueries(input: StreamNode, exprs: readonly Expr[], joinType: 'inner' | 'left'): { node: StreamNode; exprs: Expr[] } {
    const one: Expr = { kind: 'literal', value: 0, type: T.Int32 };
    let node = input;
    // Subquery columns in visiting order (left to right, as transformExpr visits them below).
    const cols: number[] = [];
    for (const e of exprs) {
      exprAny(e, (x) => {
        if (!isScalarSubquery(x)) return false;
        const sub = this.convert(x.plan);
        if (!atMostOneRow(sub)) throw notSupported('a scalar subquery that may return several rows in a streaming query');
        const [left, lk] = withKeyColumns(node, [one]);
        const [right, rk] = withKeyColumns(sub, [one]);
        cols.push(left.schema.length);
        node = { kind: 'hash_join', joinType, left, right, leftKeys: lk, rightKeys: rk, condition: null, schema: [...left.schema, ...right.schema], streamKey: left.streamKey };
        return false;
      });
    }
    let next = 0;
    return { node, exprs: exprs.map((e) => transformExpr(e, (x) => (isScalarSubquery(x) ? col(cols[next++], x.type) : x))) };
  }

  /**
   * WHERE conjuncts over `input`: plain ones as a StreamFilter, those over uncorrelated
   * scalar subqueries joined with the subquery's row, temporal ones as temporal filters.
   */
  private filter(input: StreamNode, conjs: readonly Expr[]): StreamNode {
    const plain: Expr[] = [];
    const withSubquery: Expr[] = [];
    const temporal: TemporalConjunct[] = [];
    const notIn: NonNullable<ReturnType<typeof notInSubquery>>[] = [];
    for (const c of conjs) {
      const t = temporalConjunct(c);
      const n = t ? null : notInSubquery(c);
      if (t) temporal.push(t);
      else if (n) notIn.push(n);
      else if (exprAny(c, isScalarSubquery)) withSubquery.push(c);
      else plain.push(c);
    }
    let node: StreamNode =
      plain.length === 0 ? input : { kind: 'filter', input, predicate: andAll(plain)!, schema: input.schema, streamKey: input.streamKey };
    if (withSubquery.length > 0) node = this.subqueryFilter(node, withSubquery);
    for (const n of notIn) node = planNotIn(node, n, (q) => this.convert(q));
    return temporal.length === 0 ? node : temporalFilters(node, temporal);
  }

  /**
   * `WHERE rn <= N` over `row_number() / rank() OVER (PARTITION BY … ORDER BY …) AS rn`
   * (directly or through a projection of plain columns): a group top-N that outputs the
   * rank as its last column. Conditions on the rank give the limit and offset; other
   * conjuncts stay a filter above. Null when the filter is not of this shape.
   */
  private groupTopN(p: Extract<PlanNode, { kind: 'filter' }>): StreamNode | null {
    let win = p.input;
    let through: Extract<PlanNode, { kind: 'project' }> | null = null;
    if (win.kind === 'project' && win.exprs.every((e) => e.kind === 'column')) {
      through = win;
      win = win.input;
    }
    if (win.kind !== 'window' || win.calls.length !== 1) return null;
    const call = win.calls[0];
    if (call.kind !== 'row_number' && call.kind !== 'rank') return null;
    const rn = win.schema.length - 1;
    // The predicate over the window's columns.
    const toWin = (i: number): number => (through ? (through.exprs[i] as { index: number }).index : i);
    let lo = 1;
    let hi = Infinity;
    const rest: Expr[] = [];
    for (const c of conjuncts(p.predicate)) {
      const b = rankBound(remapColumns(c, toWin), rn);
      if (b === null) {
        rest.push(c);
        continue;
      }
      lo = Math.max(lo, b.lo);
      hi = Math.min(hi, b.hi);
    }
    if (hi === Infinity) return null;
    const lw = win.input.schema.length;
    const [input, cols] = withKeyColumns(this.convert(win.input), [...call.partitionBy, ...call.orderBy.map((o) => o.expr)]);
    const groupKey = cols.slice(0, call.partitionBy.length);
    const orderBy: StreamOrderItem[] = call.orderBy.map((o, i) => ({ column: cols[call.partitionBy.length + i], desc: o.desc, nullsFirst: o.nullsFirst }));
    const iw = input.schema.length;
    const topN: StreamNode = {
      kind: 'top_n',
      input,
      groupKey,
      orderBy,
      limit: Math.max(0, hi - lo + 1),
      offset: lo - 1,
      withTies: call.kind === 'rank',
      rankColumn: true,
      schema: [...input.schema, { name: win.schema[rn].name, type: T.Int64, hidden: false }],
      streamKey: input.streamKey,
    };
    // The window's logical columns (input's, then the rank), the key after.
    let node = projectKeepingKey(topN, [...range(0, lw), iw].map((i) => col(i, topN.schema[i].type)), win.schema.map(fieldOf));
    if (through) node = projectKeepingKey(node, through.exprs, through.schema.map(fieldOf));
    return rest.length > 0 ? this.filter(node, rest) : node;
  }

  /**
   * WHERE / HAVING conjuncts over uncorrelated scalar subqueries (`v > (SELECT max(x) FROM t)`):
   * each subquery's one-row stream is joined to every row on a constant key, the conjuncts
   * filter the joined rows with the subquery replaced by its column, and a projection
   * drops it again. A change of the subquery's value re-evaluates the rows at once.
   */
  private subqueryFilter(input: StreamNode, all: readonly Expr[]): StreamNode {
    const w = input.schema.length;
    let node = input;
    // `value op (subquery)`: a dynamic filter, which re-checks only the rows between the old
    // and the new value when the subquery's value changes.
    const conjs: Expr[] = [];
    for (const c of all) {
      const d = dynamicFilterConjunct(c);
      const sub = d ? this.convert(d.subquery.plan) : null;
      if (!d || !sub || !atMostOneRow(sub)) {
        conjs.push(c);
        continue;
      }
      const boundExpr = transformExpr(d.bound, (x) => (isScalarSubquery(x) ? col(0, x.type) : x));
      const right = rawProject(sub, [boundExpr], [{ name: '$subquery', type: boundExpr.type, hidden: false }], []);
      const [left, [column]] = withKeyColumns(node, [d.value]);
      node = { kind: 'dynamic_filter', left, right, column, op: d.op, schema: left.schema, streamKey: left.streamKey };
    }
    if (conjs.length === 0) return node.schema.length === w ? node : rawProject(node, range(0, w).map((i) => col(i, input.schema[i].type)), input.schema, input.streamKey);
    const joined = this.joinScalarSubqueries(node, conjs, 'inner');
    node = joined.node;
    const predicate = andAll(joined.exprs)!;
    const filtered: StreamNode = { kind: 'filter', input: node, predicate, schema: node.schema, streamKey: node.streamKey };
    return rawProject(filtered, range(0, w).map((i) => col(i, input.schema[i].type)), input.schema, input.streamKey);
  }

  private setOp(p: Extract<PlanNode, { kind: 'set_op' }>): StreamNode {
    const w = p.schema.length;
    const fields = p.schema.map(fieldOf);
    const branches = [this.convert(p.left), this.convert(p.right)];
    if (p.op !== 'union') {
      // EXCEPT / INTERSECT: the distinct left rows without / with an equal right row
      // (NULLs equal, as in DISTINCT): an anti / semi join on every column.
      if (p.all) throw notSupported(`${p.op.toUpperCase()} ALL in a streaming query`);
      const cols = range(0, w).map((i) => col(i, fields[i].type));
      const distinct: StreamNode = { kind: 'dedup', input: rawProject(branches[0], cols, fields, []), schema: fields, streamKey: range(0, w) };
      // The right side keeps its own key: equal rows are several state rows.
      const right = projectKeepingKey(branches[1], cols, fields);
      return {
        kind: 'hash_join',
        joinType: p.op === 'except' ? 'anti' : 'semi',
        left: distinct,
        right,
        leftKeys: range(0, w),
        rightKeys: range(0, w),
        nullSafe: fields.map(() => true),
        condition: null,
        schema: fields,
        streamKey: range(0, w),
      };
    }
    if (!p.all) {
      const inputs = branches.map((b) => rawProject(b, range(0, w).map((i) => col(i, fields[i].type)), fields, []));
      const union: StreamNode = { kind: 'union', inputs, schema: fields, streamKey: [] };
      return { kind: 'dedup', input: union, schema: fields, streamKey: range(0, w) };
    }
    // UNION ALL: [logical…, branch number, branch 0's key…, branch 1's key…], each branch
    // NULL in the other's key slots, so the key (branch, slots) stays unique.
    const slots: StreamField[] = branches.flatMap((b) => b.streamKey.map((k) => ({ ...b.schema[k], hidden: true })));
    const schema: StreamField[] = [...fields, { name: '$src', type: T.Int32, hidden: true }, ...slots];
    const inputs = branches.map((b, bi) => {
      const exprs: Expr[] = range(0, w).map((i) => col(i, fields[i].type));
      exprs.push({ kind: 'literal', value: bi, type: T.Int32 });
      let s = 0;
      for (const other of branches) {
        for (const k of other.streamKey) {
          exprs.push(other === b ? col(k, b.schema[k].type) : { kind: 'literal', value: null, type: slots[s].type });
          s++;
        }
      }
      return rawProject(b, exprs, schema, []);
    });
    return { kind: 'union', inputs, schema, streamKey: range(w, schema.length) };
  }
}

/**
 * Temporal conjuncts as StreamTemporalFilters: one per compared value with at most one
 * lower and one upper bound each (BETWEEN is one node). A computed value (a cast of the
 * column, `ts + INTERVAL …`) is projected into a hidden column first and dropped after.
 */
function temporalFilters(input: StreamNode, conjs: readonly TemporalConjunct[]): StreamNode {
  const w = input.schema.length;
  const byValue = new Map<string, TemporalConjunct[]>();
  for (const c of conjs) {
    const k = exprKey(c.value);
    byValue.set(k, [...(byValue.get(k) ?? []), c]);
  }
  let node = input;
  for (const group of byValue.values()) {
    const [withValue, [column]] = withKeyColumns(node, [group[0].value]);
    let cur = withValue;
    const pending = [...group];
    while (pending.length > 0) {
      let lower: StreamTemporalFilter['lower'] = null;
      let upper: StreamTemporalFilter['upper'] = null;
      for (let i = 0; i < pending.length; ) {
        const c = pending[i];
        const isLower = c.op === '>' || c.op === '>=';
        const bound = { expr: c.bound, inclusive: c.op.endsWith('=') };
        if (isLower && !lower) lower = bound;
        else if (!isLower && !upper) upper = bound;
        else {
          i++;
          continue;
        }
        pending.splice(i, 1);
      }
      cur = { kind: 'temporal_filter', input: cur, column, lower, upper, schema: cur.schema, streamKey: cur.streamKey };
    }
    node = cur.schema.length === w ? cur : rawProject(cur, range(0, w).map((i) => col(i, cur.schema[i].type)), cur.schema.slice(0, w), cur.streamKey);
  }
  return node;
}

/**
 * Set-returning select list: the items, then the input's key as plain items; keyed by
 * (projected_row_id, input key), which then follow the logical columns as hidden columns.
 */
function projectSet(input: StreamNode, exprs: readonly Expr[], fields: readonly StreamField[]): StreamNode {
  const items = [...exprs, ...input.streamKey.map((k) => col(k, input.schema[k].type))];
  const schema: StreamField[] = [
    { name: 'projected_row_id', type: T.Int64, hidden: true },
    ...fields,
    ...input.streamKey.map((k) => ({ ...input.schema[k], hidden: true })),
  ];
  const ps: StreamNode = { kind: 'project_set', input, items, schema, streamKey: [0, ...input.streamKey.map((_, i) => 1 + exprs.length + i)] };
  return projectKeepingKey(ps, range(1, 1 + exprs.length).map((i) => col(i, schema[i].type)), fields);
}

/** `value op bound` where bound is (a cast of) one uncorrelated scalar subquery and value has none. */
function dynamicFilterConjunct(c: Expr): { value: Expr; op: TemporalOp; bound: Expr; subquery: Extract<Expr, { kind: 'subquery' }> } | null {
  if (c.kind !== 'call' || c.args.length !== 2) return null;
  const ops: Record<string, TemporalOp> = { greater_than: '>', greater_than_or_equal: '>=', less_than: '<', less_than_or_equal: '<=' };
  const flip: Record<TemporalOp, TemporalOp> = { '>': '<', '>=': '<=', '<': '>', '<=': '>=' };
  let op = ops[c.fn.name];
  if (!op) return null;
  let [value, bound] = c.args;
  const subOf = (e: Expr) => (isScalarSubquery(e) ? e : e.kind === 'cast' && isScalarSubquery(e.arg) ? e.arg : null);
  if (!subOf(bound)) {
    [value, bound] = [bound, value];
    op = flip[op];
  }
  const subquery = subOf(bound);
  if (!subquery || exprAny(value, isScalarSubquery)) return null;
  return { value, op, bound, subquery: subquery as Extract<Expr, { kind: 'subquery' }> };
}

/** True when the node never holds more than one row: a global aggregate or a top-1, possibly filtered or projected. */
function atMostOneRow(n: StreamNode): boolean {
  if (n.streamKey.length === 0) return true;
  if (n.kind === 'top_n') return n.groupKey.length === 0 && n.limit <= 1 && !n.withTies;
  if (n.kind === 'filter' || n.kind === 'project' || n.kind === 'temporal_filter') return atMostOneRow(n.input);
  return false;
}

/** `rn op k` (or `k op rn`) as the ranks it admits, [lo, hi]; null for any other conjunct. */
function rankBound(c: Expr, rn: number): { lo: number; hi: number } | null {
  if (c.kind !== 'call' || c.args.length !== 2) return null;
  let [a, b] = c.args;
  let name = c.fn.name;
  const flip: Record<string, string> = { less_than: 'greater_than', less_than_or_equal: 'greater_than_or_equal', greater_than: 'less_than', greater_than_or_equal: 'less_than_or_equal', equal: 'equal' };
  if (b.kind === 'column' && b.index === rn) {
    [a, b] = [b, a];
    name = flip[name];
  }
  if (a.kind === 'cast') a = a.arg;
  if (b.kind === 'cast' && b.arg.kind === 'literal') b = b.arg;
  if (a.kind !== 'column' || a.index !== rn || b.kind !== 'literal' || b.value === null) return null;
  const k = Number(b.value as bigint | number);
  if (!Number.isFinite(k)) return null;
  switch (name) {
    case 'less_than':
      return { lo: 1, hi: Math.ceil(k) - 1 };
    case 'less_than_or_equal':
      return { lo: 1, hi: Math.floor(k) };
    case 'greater_than':
      return { lo: Math.floor(k) + 1, hi: Infinity };
    case 'greater_than_or_equal':
      return { lo: Math.ceil(k), hi: Infinity };
    case 'equal':
      return Number.isInteger(k) ? { lo: k, hi: k } : { lo: 1, hi: 0 };
    default:
      return null;
  }
}

/** LIMIT/OFFSET must be constants in a stream plan. */
function constCount(e: Expr | null, what: string): number | null {
  if (e === null) return null;
  if (e.kind !== 'literal') throw notSupported(`${what} with a non-constant count in a streaming query`);
  if (e.value === null) return null;
  return Number(e.value as bigint);
}

/**
 * The stream key of a join's output (left columns, then right). In general both sides' keys
 * together. But when the equality keys cover one side's whole stream key, each row of the
 * other side matches at most one row of it, so the other side's key alone identifies an
 * output row — for an inner join, and for an outer join that preserves that other side.
 * That is what keys `a LEFT JOIN b USING (user_id)` of two per-user MVs by user_id, so
 * serving looks it up by primary key instead of scanning.
 */
function joinStreamKey(joinType: string, left: StreamNode, right: StreamNode, lk: readonly number[], rk: readonly number[]): number[] {
  const la = left.schema.length;
  const covers = (key: readonly number[], joinKeys: readonly number[]) => key.length > 0 && key.every((k) => joinKeys.includes(k));
  if ((joinType === 'inner' || joinType === 'left') && covers(right.streamKey, rk)) return [...left.streamKey];
  if ((joinType === 'inner' || joinType === 'right') && covers(left.streamKey, lk)) return right.streamKey.map((k) => k + la);
  return [...left.streamKey, ...right.streamKey.map((k) => k + la)];
}

function rawProject(input: StreamNode, exprs: readonly Expr[], schema: readonly StreamField[], streamKey: readonly number[]): StreamNode {
  return { kind: 'project', input, exprs, schema, streamKey };
}

/** A projection that keeps the input's stream key, appending key columns it does not output. */
export function projectKeepingKey(input: StreamNode, exprs: readonly Expr[], fields: readonly StreamField[]): StreamNode {
  const out = [...exprs];
  const schema = [...fields];
  const streamKey = input.streamKey.map((k) => {
    const at = out.findIndex((e) => e.kind === 'column' && e.index === k);
    if (at >= 0) return at;
    out.push(col(k, input.schema[k].type));
    schema.push({ ...input.schema[k], hidden: true });
    return out.length - 1;
  });
  return rawProject(input, out, schema, streamKey);
}

/**
 * Column indices of `keys` over `input`: plain column references as they are, anything
 * else (casts to the common join-key type, computed sort keys) projected into new trailing
 * columns first.
 */
export function withKeyColumns(input: StreamNode, keys: readonly Expr[]): [StreamNode, number[]] {
  if (keys.every((k) => k.kind === 'column')) return [input, keys.map((k) => (k as { index: number }).index)];
  const exprs: Expr[] = input.schema.map((f, i) => col(i, f.type));
  const schema: StreamField[] = [...input.schema];
  const cols = keys.map((k) => {
    if (k.kind === 'column') return k.index;
    exprs.push(k);
    schema.push({ name: `$key${schema.length}`, type: k.type, hidden: true });
    return exprs.length - 1;
  });
  return [rawProject(input, exprs, schema, input.streamKey), cols];
}
