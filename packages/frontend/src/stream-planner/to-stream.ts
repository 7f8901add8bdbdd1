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
import { type Expr, col, exprAny, exprKey, remapColumns } from '../planner/expr';
import type { Field, PlanNode } from '../planner/plan';
import { splitEquiKeys } from '../query/lower';
import type { StreamField, StreamNode, StreamOrderItem, StreamPlan } from './plan';

export interface StreamPlannerEnv {
  /** Throws when `rel` cannot be read by a streaming job (e.g. a system table). */
  checkUpstream(rel: RelationCatalog): void;
}

/** Functions whose value depends on when they run: an MV would freeze them at creation. */
const TIME_FUNCTIONS = new Set(['now', 'current_timestamp', 'transaction_timestamp', 'statement_timestamp', 'clock_timestamp', 'proctime', 'current_date', 'localtimestamp', 'localtime', 'current_time']);

/** Rejects expressions the stream engine cannot evaluate incrementally. Run it on the bound (unfolded) plan. */
export function checkStreamableExpr(e: Expr): void {
  exprAny(e, (x) => {
    if (x.kind === 'subquery') throw notSupported('subqueries in a streaming query', 'Rewrite the subquery as a join.');
    if (x.kind === 'param') throw notSupported('parameters in CREATE MATERIALIZED VIEW');
    if (x.kind === 'call' && TIME_FUNCTIONS.has(x.fn.name)) throw notSupported(`${x.fn.name}() in a materialized view (temporal filter)`);
    return false;
  });
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
        return this.scan(p.table, p.columns, p.schema);
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
        const input = this.convert(p.input);
        return { kind: 'filter', input, predicate: p.predicate, schema: input.schema, streamKey: input.streamKey };
      }
      case 'project':
        return projectKeepingKey(this.convert(p.input), p.exprs, p.schema.map(fieldOf));
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
        if (p.on) throw notSupported('DISTINCT ON in a streaming query');
        const input = this.convert(p.input);
        const w = p.schema.length;
        const logical = rawProject(input, range(0, w).map((i) => col(i, input.schema[i].type)), input.schema.slice(0, w), []);
        return { kind: 'dedup', input: logical, schema: logical.schema, streamKey: range(0, w) };
      }
      case 'set_op':
        return this.setOp(p);
      case 'window':
        throw notSupported('window functions (OVER) in a streaming query');
      case 'project_set':
        throw notSupported('set-returning functions in a streaming query');
      case 'table_function':
        throw notSupported('table functions in FROM in a streaming query');
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
    return { kind: 'agg', input: project, groupKey, calls, schema: p.schema.map(fieldOf), streamKey: range(0, groupKey.length) };
  }

  private join(p: Extract<PlanNode, { kind: 'join' }>): StreamNode {
    if (p.joinType === 'semi' || p.joinType === 'anti') {
      throw notSupported(`${p.joinType} join in a streaming query (EXISTS / IN subqueries)`);
    }
    const lw = p.left.schema.length;
    const rw = p.right.schema.length;
    const { leftKeys, rightKeys, residual } = splitEquiKeys(p.condition, lw);
    // RisingWave does not maintain joins without an equality key (cross / nested-loop joins).
    if (leftKeys.length === 0) throw notSupported('a join without an equality condition (cross join) in a streaming query');
    const [left, lk] = withKeyColumns(this.convert(p.left), leftKeys);
    const [right, rk] = withKeyColumns(this.convert(p.right), rightKeys);
    const la = left.schema.length;
    const condition = residual ? remapColumns(residual, (i) => (i < lw ? i : la + i - lw)) : null;
    const join: StreamNode = {
      kind: 'hash_join',
      joinType: p.joinType,
      left,
      right,
      leftKeys: lk,
      rightKeys: rk,
      condition,
      schema: [...left.schema, ...right.schema],
      streamKey: [...left.streamKey, ...right.streamKey.map((k) => k + la)],
    };
    // Back to the invariant: the logical columns first (left's, then right's), keys after.
    const exprs = [...range(0, lw), ...range(la, la + rw)].map((i) => col(i, join.schema[i].type));
    return projectKeepingKey(join, exprs, p.schema.map(fieldOf));
  }

  private topN(p: Extract<PlanNode, { kind: 'limit' }>): StreamNode {
    const sort = p.input.kind === 'sort' ? p.input : null;
    const limit = constCount(p.limit, 'LIMIT');
    const offset = constCount(p.offset, 'OFFSET') ?? 0;
    if (limit === null) throw notSupported('OFFSET without LIMIT in a streaming query');
    const [input, cols] = withKeyColumns(this.convert(sort ? sort.input : p.input), sort ? sort.keys.map((k) => k.expr) : []);
    const orderBy: StreamOrderItem[] = (sort?.keys ?? []).map((k, i) => ({ column: cols[i], desc: k.desc, nullsFirst: k.nullsFirst }));
    return { kind: 'top_n', input, groupKey: [], orderBy, limit, offset, schema: input.schema, streamKey: input.streamKey };
  }

  private setOp(p: Extract<PlanNode, { kind: 'set_op' }>): StreamNode {
    if (p.op !== 'union') throw notSupported(`${p.op.toUpperCase()} in a streaming query`);
    const w = p.schema.length;
    const fields = p.schema.map(fieldOf);
    const branches = [this.convert(p.left), this.convert(p.right)];
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

/** LIMIT/OFFSET must be constants in a stream plan. */
function constCount(e: Expr | null, what: string): number | null {
  if (e === null) return null;
  if (e.kind !== 'literal') throw notSupported(`${what} with a non-constant count in a streaming query`);
  if (e.value === null) return null;
  return Number(e.value as bigint);
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
function withKeyColumns(input: StreamNode, keys: readonly Expr[]): [StreamNode, number[]] {
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
