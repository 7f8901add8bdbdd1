/**
 * Lowers an optimized logical plan into batch executors for one execution. Expressions
 * are compiled here against the execution's runtime (parameters, outer rows), and join
 * conditions are split into hash keys (equalities between the two sides) and a residual.
 */
import { type DataType, type Datum, type Row, SqlError, SqlState, T, datumEquals, notSupported, withContext } from '@freshet/common';
import { EXPR_ERROR } from '../binder/limit';
import {
  type AggCallSpec,
  ApplyExecutor,
  DeferredExecutor,
  DeleteExecutor,
  DistinctExecutor,
  type DmlExecutor,
  type Evaluator,
  type ExecRuntime,
  type Executor,
  ExpandExecutor,
  FilterExecutor,
  GetExecutor,
  HashAggExecutor,
  HashJoinExecutor,
  HopWindowExecutor,
  IndexLookupExecutor,
  InsertExecutor,
  IntersectExceptExecutor,
  LimitExecutor,
  NestedLoopJoinExecutor,
  PlanRunner,
  ProjectExecutor,
  ProjectSetExecutor,
  type ProjectSetItem,
  SecondaryIndexes,
  SeqScanExecutor,
  SortExecutor,
  TableFunctionExecutor,
  TableWriter,
  UnionExecutor,
  UpdateExecutor,
  ValuesExecutor,
  WindowExecutor,
  type WindowCallSpec,
  type WriteTarget,
} from '@freshet/batch';
import type { StorageEngine, WriteBatch } from '@freshet/storage';
import type { RelationCatalog } from '../catalog/model';
import { type Expr, collectColumns, conjuncts, exprAny, hasCorrelatedSubquery, remapColumns } from '../planner/expr';
import type { Join, PlanNode, SortItem } from '../planner/plan';
import { type InitPlan, compileExpr } from './compile-expr';
import { lateRowFilter } from '../stream-planner/table-watermarks';

const EMPTY: Row = [];

/** The in-memory secondary indexes of each storage engine (index lookups: plan `Get` with `index`). */
const secondaryIndexes = new WeakMap<StorageEngine, SecondaryIndexes>();

function secondaryIndexesOf(storage: StorageEngine): SecondaryIndexes {
  let s = secondaryIndexes.get(storage);
  if (!s) secondaryIndexes.set(storage, (s = new SecondaryIndexes((id, listener) => storage.watchTable(id, listener))));
  return s;
}

export class Lowering {
  private batch: WriteBatch | null = null;
  /** The DML executor of the statement, if any (for the affected-row count). */
  dml: DmlExecutor | null = null;
  /** Uncorrelated subqueries met while lowering, innermost first: run them with `runInitPlans`. */
  readonly initPlans: InitPlan[] = [];

  constructor(
    readonly rt: ExecRuntime,
    private readonly storage: StorageEngine,
  ) {}

  /** The statement's write batch (created on first use). */
  writeBatch(): WriteBatch {
    return (this.batch ??= this.storage.newBatch());
  }

  pendingBatch(): WriteBatch | null {
    return this.batch;
  }

  expr(e: Expr): Evaluator {
    return compileExpr(e, this.rt, (p) => this.lower(p), this.initPlans);
  }

  /** For an ApplyExecutor: correlated subqueries run in the executor tree (see apply.ts). */
  private appliedExpr(e: Expr): Evaluator {
    return compileExpr(e, this.rt, (p) => this.lower(p), this.initPlans, true);
  }

  private sortKeys(keys: readonly SortItem[]) {
    return keys.map((k) => ({ eval: this.expr(k.expr), type: k.expr.type, desc: k.desc, nullsFirst: k.nullsFirst }));
  }

  /** Compiles a LIMIT/OFFSET count (constants, params, subqueries) into its evaluation. */
  private count(e: Expr | null, what: string): () => number | null {
    if (!e) return () => null;
    const ev = this.expr(e);
    return () => {
      let v: Datum;
      try {
        v = ev(EMPTY);
      } catch (err) {
        throw err instanceof SqlError ? withContext(err, EXPR_ERROR) : err;
      }
      if (v === null) return null;
      const n = Number(v as bigint);
      if (n < 0) throw new SqlError(SqlState.InvalidParameterValue, `${what} must not be negative, but found: ${n}`, { context: [EXPR_ERROR] });
      return n;
    };
  }

  private lowerLimit(p: Extract<PlanNode, { kind: 'limit' }>): Executor {
    const limitOf = this.count(p.limit, 'LIMIT');
    const offsetOf = this.count(p.offset, 'OFFSET');
    // A count read from a subquery is known only when the plan runs, after the init
    // plans (evaluating it now would drain the subquery synchronously): build it then.
    const deferred = [p.limit, p.offset].some((e) => e !== null && exprAny(e, (x) => x.kind === 'subquery'));
    let limit = Infinity;
    let offset = 0;
    if (!deferred) {
      limit = limitOf() ?? Infinity;
      offset = offsetOf() ?? 0;
    }
    let make: (limit: number, offset: number) => Executor;
    if (p.withTies && p.input.kind === 'sort') {
      // The whole input sorted, then the limit extended over rows tied on the sort keys.
      const child = this.lower(p.input);
      const keys = p.input.keys.map((k) => ({ eval: this.expr(k.expr), type: k.expr.type }));
      const tied = (a: Row, b: Row) =>
        keys.every((k) => {
          const x = k.eval(a);
          const y = k.eval(b);
          return x === null || y === null ? x === y : datumEquals(k.type, x, y);
        });
      make = (l, o) => new LimitExecutor(child, l, o, tied);
    } else if (p.input.kind === 'sort') {
      const child = this.lower(p.input.input);
      const keys = this.sortKeys(p.input.keys);
      make = (l, o) => new SortExecutor(child, keys, this.rt, l, o);
    } else {
      const child = this.lower(p.input);
      make = (l, o) => new LimitExecutor(child, l, o);
    }
    if (!deferred) return make(limit, offset);
    return new DeferredExecutor(() => make(limitOf() ?? Infinity, offsetOf() ?? 0));
  }

  lower(p: PlanNode): Executor {
    switch (p.kind) {
      case 'scan': {
        if (p.changelog) throw notSupported('CHANGELOG in a batch query', 'Read a changelog in a materialized view.');
        const reader = this.storage.table(p.table.id);
        const identity = p.columns.length === p.table.columns.length && p.columns.every((c, i) => c === i);
        return new SeqScanExecutor(reader, identity ? null : p.columns, this.rt);
      }
      case 'get': {
        const reader = this.storage.table(p.table.id);
        const keys = p.key.map((k) => this.expr(k));
        const identity = p.columns.length === p.table.columns.length && p.columns.every((c, i) => c === i);
        if (!p.index) return new GetExecutor(reader, keys, p.columns.length === p.table.columns.length ? null : p.columns);
        const keyTypes = p.index.columns.map((c) => p.table.columns[c].type);
        return new IndexLookupExecutor(secondaryIndexesOf(this.storage), reader, p.index.columns, keyTypes, keys, identity ? null : p.columns, this.rt);
      }
      case 'values':
        return new ValuesExecutor(p.rows.map((r) => r.map((e) => this.expr(e))), this.rt);
      case 'filter': {
        if (hasCorrelatedSubquery(p.predicate)) {
          const pred = this.appliedExpr(p.predicate);
          return new ApplyExecutor(this.lower(p.input), (row) => (pred(row) === true ? row : null), this.rt);
        }
        return new FilterExecutor(this.lower(p.input), this.expr(p.predicate));
      }
      case 'project': {
        if (p.exprs.some(hasCorrelatedSubquery)) {
          const exprs = p.exprs.map((e) => this.appliedExpr(e));
          const n = exprs.length;
          return new ApplyExecutor(
            this.lower(p.input),
            (row) => {
              const o = new Array(n);
              for (let j = 0; j < n; j++) o[j] = exprs[j](row);
              return o;
            },
            this.rt,
          );
        }
        return new ProjectExecutor(this.lower(p.input), p.exprs.map((e) => this.expr(e)));
      }
      case 'project_set': {
        const items: ProjectSetItem[] = p.exprs.map((e) => {
          if (e.kind !== 'table_fn') return { kind: 'scalar', eval: this.expr(e) };
          const args = e.args.map((a) => this.expr(a));
          const fn = e.fn;
          const ctx = this.rt.evalCtx;
          return { kind: 'set', eval: (row: Row) => mapFirst(fn.eval(args.map((a) => a(row)), ctx)) };
        });
        return new ProjectSetExecutor(this.lower(p.input), items, this.rt);
      }
      case 'agg': {
        const calls: AggCallSpec[] = p.aggs.map((a) => ({
          impl: a.fn,
          args: a.args.map((x) => this.expr(x)),
          argTypes: a.args.map((x) => x.type),
          filter: a.filter ? this.expr(a.filter) : null,
          distinct: a.distinct,
          orderBy: a.orderBy.map((o) => ({ eval: this.expr(o.expr), key: { type: o.expr.type, desc: o.desc, nullsFirst: o.nullsFirst } })),
        }));
        return new HashAggExecutor(this.lower(p.input), p.groupKeys.map((k) => this.expr(k)), p.groupKeys.map((k) => k.type), calls, this.rt);
      }
      case 'join':
        return this.lowerJoin(p);
      case 'sort':
        return new SortExecutor(this.lower(p.input), this.sortKeys(p.keys), this.rt);
      case 'limit':
        return this.lowerLimit(p);
      case 'distinct': {
        const input = this.lower(p.input);
        if (!p.on) return new DistinctExecutor(input, p.schema.map((f) => f.type), null);
        return new DistinctExecutor(input, p.on.map((e) => e.type), p.on.map((e) => this.expr(e)));
      }
      case 'set_op': {
        const types = p.schema.map((f) => f.type);
        if (p.op === 'union') {
          const u = new UnionExecutor([this.lower(p.left), this.lower(p.right)]);
          return p.all ? u : new DistinctExecutor(u, types, null);
        }
        return new IntersectExceptExecutor(p.op, p.all, this.lower(p.left), this.lower(p.right), types);
      }
      case 'window': {
        const first = p.calls[0];
        const specs: WindowCallSpec[] = p.calls.map((c) => {
          const args = c.args.map((a) => this.expr(a));
          switch (c.kind) {
            case 'agg':
              return { kind: 'agg', impl: c.agg!, args, filter: c.filter ? this.expr(c.filter) : null, frame: c.frame };
            case 'lag':
            case 'lead':
              return { kind: c.kind, arg: args[0], offset: args[1] ?? null, default: args[2] ?? null };
            case 'first_value':
            case 'last_value':
              return { kind: c.kind, arg: args[0], frame: c.frame };
            case 'ntile':
              return { kind: 'ntile', buckets: args[0] };
            default:
              return { kind: c.kind };
          }
        });
        return new WindowExecutor(
          this.lower(p.input),
          first.partitionBy.map((e) => this.expr(e)),
          first.partitionBy.map((e) => e.type),
          first.orderBy.map((o) => ({ eval: this.expr(o.expr), key: { type: o.expr.type, desc: o.desc, nullsFirst: o.nullsFirst } })),
          specs,
          this.rt,
        );
      }
      case 'table_function': {
        const args = p.args.map((a) => this.expr(a));
        const fn = p.fn;
        const ctx = this.rt.evalCtx;
        const ordinality = p.ordinality;
        const rows = () => {
          const it = fn.eval(args.map((a) => a(EMPTY)), ctx);
          if (!ordinality) return it;
          return withOrdinality(it);
        };
        return new TableFunctionExecutor(rows, this.rt);
      }
      case 'hop_window':
        return new HopWindowExecutor(this.lower(p.input), p.timeCol, p.slideUs, p.sizeUs, p.offsetUs);
      case 'expand':
        return new ExpandExecutor(this.lower(p.input), p.keyColumns, p.sets);
      case 'insert':
      case 'update':
      case 'delete': {
        const writer = new TableWriter(this.writeTarget(p.table, p.kind === 'insert' ? p.onConflict : 'overwrite'), this.storage, this.writeBatch());
        const returning = p.returning ? p.returning.map((e) => this.expr(e)) : null;
        const input = this.lower(p.input);
        const exec =
          p.kind === 'insert'
            ? new InsertExecutor(input, writer, returning)
            : p.kind === 'update'
              ? new UpdateExecutor(input, writer, returning)
              : new DeleteExecutor(input, writer, returning);
        this.dml = exec;
        return exec;
      }
    }
  }

  private writeTarget(rel: RelationCatalog, onConflict: 'overwrite' | 'ignore' | 'do_update_if_not_null') {
    return writeTargetOf(rel, this.storage, onConflict);
  }

  private lowerJoin(p: Join): Executor {
    const lw = p.left.schema.length;
    const rw = p.right.schema.length;
    const { leftKeys, rightKeys, residual } = splitEquiKeys(p.condition, lw);
    const left = this.lower(p.left);
    const right = this.lower(p.right);
    const cond = residual ? this.expr(residual) : null;
    if (leftKeys.length > 0) {
      const keyTypes: DataType[] = leftKeys.map((k) => k.type);
      return new HashJoinExecutor(
        left,
        right,
        p.joinType,
        leftKeys.map((k) => this.expr(k)),
        rightKeys.map((k) => this.expr(k)),
        keyTypes,
        cond,
        lw,
        rw,
        this.rt,
      );
    }
    return new NestedLoopJoinExecutor(left, right, p.joinType, cond, lw, rw);
  }
}

/** How DML (and a sink into the table) writes `rel`: types, pk, NOT NULLs, `_row_id`, conflicts. */
export function writeTargetOf(rel: RelationCatalog, storage: StorageEngine, onConflict: 'overwrite' | 'ignore' | 'do_update_if_not_null'): WriteTarget {
  const rowIdColumn = rel.columns.findIndex((c) => c.hidden && c.type.kind === 'serial' && rel.pk.length === 1 && rel.pk[0] === rel.columns.indexOf(c));
  return {
    tableId: rel.id,
    tableName: rel.name,
    reader: storage.table(rel.id),
    types: rel.columns.map((c) => c.type),
    columnNames: rel.columns.map((c) => c.name),
    pk: rel.pk,
    notNull: rel.columns.map((c, i) => (c.notNull && i !== rowIdColumn ? i : -1)).filter((i) => i >= 0),
    rowIdColumn,
    onConflict,
    versionColumns: rel.versionColumns,
    late: lateRowFilter(storage, rel),
  };
}

/**
 * Equalities `l = r` with l over the left input only and r over the right only (or the
 * reverse) become hash keys — and with `opts.nullSafe` so do `l IS NOT DISTINCT FROM r`,
 * flagged in `nullSafe` — everything else stays a residual over the joined row.
 */
export function splitEquiKeys(
  condition: Expr | null,
  lw: number,
  opts: { nullSafe?: boolean } = {},
): { leftKeys: Expr[]; rightKeys: Expr[]; nullSafe: boolean[]; residual: Expr | null } {
  const leftKeys: Expr[] = [];
  const rightKeys: Expr[] = [];
  const nullSafe: boolean[] = [];
  const rest: Expr[] = [];
  for (const c of conjuncts(condition)) {
    // `a IS NOT DISTINCT FROM b` (bound as NOT is_distinct_from): a key on which NULL matches
    // NULL, for a caller whose join can match so (`opts.nullSafe`); else a residual condition.
    const safe = opts.nullSafe === true && c.kind === 'not' && c.arg.kind === 'call' && c.arg.fn.name === 'is_distinct_from';
    const eq = safe ? (c.arg as Extract<Expr, { kind: 'call' }>) : c;
    if (eq.kind === 'call' && (safe || eq.fn.name === 'equal') && eq.args.length === 2 && !hasCorrelatedSubquery(eq)) {
      const [a, b] = eq.args;
      const side = (e: Expr) => {
        const cols = collectColumns(e);
        if (cols.size === 0 || hasOuter(e)) return 'none';
        let l = false;
        let r = false;
        for (const i of cols) (i < lw ? (l = true) : (r = true));
        return l && r ? 'both' : l ? 'left' : 'right';
      };
      const sa = side(a);
      const sb = side(b);
      if (sa === 'left' && sb === 'right' && a.type.kind === b.type.kind) {
        leftKeys.push(a);
        rightKeys.push(remapColumns(b, (i) => i - lw));
        nullSafe.push(safe);
        continue;
      }
      if (sa === 'right' && sb === 'left' && a.type.kind === b.type.kind) {
        leftKeys.push(b);
        rightKeys.push(remapColumns(a, (i) => i - lw));
        nullSafe.push(safe);
        continue;
      }
    }
    rest.push(c);
  }
  const residual = rest.length === 0 ? null : rest.length === 1 ? rest[0] : { kind: 'and' as const, args: rest, type: T.Boolean };
  return { leftKeys, rightKeys, nullSafe, residual };
}

function hasOuter(e: Expr): boolean {
  return exprAny(e, (x) => x.kind === 'outer' || x.kind === 'subquery');
}

function* mapFirst(it: Iterable<Row>): Iterable<Datum> {
  for (const r of it) yield r[0];
}

function* withOrdinality(it: Iterable<Row>): Iterable<Row> {
  let i = 0n;
  for (const r of it) yield [...r, ++i];
}

/**
 * Runs the init plans through the async driver, before the main plan: a long subquery
 * then yields to the event loop and sees cancellation like any plan. Cancellation
 * propagates; any other error is kept for the subquery's first use.
 */
export async function runInitPlans(initPlans: readonly InitPlan[], rt: ExecRuntime): Promise<void> {
  for (const init of initPlans) {
    if (init.outcome) continue;
    const runner = new PlanRunner(init.exec, rt);
    try {
      init.outcome = { rows: (await runner.next(init.maxRows)).rows };
    } catch (error) {
      if (error instanceof SqlError && error.code === SqlState.QueryCanceled) throw error;
      init.outcome = { error };
    } finally {
      runner.close();
    }
  }
}
