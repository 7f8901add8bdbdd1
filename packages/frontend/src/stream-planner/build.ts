/**
 * Stream plan → executors of @freshet/stream, wired into one StreamGraph (a job). Scalar
 * expressions reuse the batch engine's compiled evaluators (`compileExpr`) through
 * `RowFnExpr`; plain column references and literals use the stream engine's zero-copy
 * `InputRef` / `Literal`. State tables are allocated by the executors in construction
 * order from the graph's id range, so rebuilding the same plan yields the same ids.
 */
import { type Datum, type Row, internalError } from '@freshet/common';
import { type ExecRuntime, newRuntime } from '@freshet/batch';
import { type EvalContext, resolveScalar } from '@freshet/expr';
import {
  type AggCallDesc,
  BatchScalarCall,
  type BatchScalarImpl,
  type Executor,
  FilterExecutor,
  GroupTopNExecutor,
  HashJoinExecutor,
  HopWindowExecutor,
  InputRef,
  Literal,
  ProjectSetExecutor,
  type ProjectSetItem,
  RowFnExpr,
  ScalarCall,
  SimpleAggExecutor,
  StatelessLocalAggExecutor,
  type StreamExpr,
  type StreamGraph,
  TemporalFilterExecutor,
  AppendOnlyTemporalFilterExecutor,
  TemporalJoinExecutor,
  ChangelogExecutor,
  OverWindowExecutor,
  NowSeriesExecutor,
  TopNExecutor,
  UnionExecutor,
  ValuesExecutor,
  DedupExecutor,
  DynamicFilterExecutor,
  type ColdSnapshot,
} from '@freshet/stream';
import type { RelationCatalog } from '../catalog/model';
import { type Expr, collectColumns, forEachChild } from '../planner/expr';
import { compileExpr } from '../query/compile-expr';
import { windowCompute } from './over-window';
import type { StreamAggCall, StreamNode, StreamTableScan } from './plan';
import { sourceColumnUse } from './source-columns';
import { expiringColumn } from './expiring-column';
import { appendOnly } from './to-stream-watermark';
import { connectEowcOverWindow, connectEowcSort, connectHashAgg, connectProject, connectWatermarkFilter } from './build-watermark';

/** How a job reaches the relations it reads. */
/** What a job reads a relation from (ChainOptions: the executor, its current rows). */
export interface Upstream {
  readonly executor: Executor;
  readonly snapshot: () => Iterable<Row>;
  /** Current rows partly on disk (an MV under a memory limit), for a sliced backfill. */
  readonly coldSnapshot?: () => ColdSnapshot | null;
}

export interface UpstreamResolver {
  /**
   * The executor whose output is `rel`'s changes, and its current rows (the backfill snapshot).
   * `columns`: the relation columns the job reads (a source's reader may skip the others).
   */
  upstream(rel: RelationCatalog, columns?: ReadonlySet<number>): Upstream;
  /** `rel`'s current row by primary key (temporal joins look tables up, not subscribe). */
  lookup(rel: RelationCatalog): (pk: readonly Datum[]) => Row | undefined;
}

const aggCallDesc = (c: StreamAggCall): AggCallDesc => ({ impl: c.fn, args: c.args, distinct: c.distinct, filter: c.filter, orderBy: c.orderBy, merge: c.merge });

const NO_CANCEL = { cancelled: false, throwIfCancelled() {} };

export class GraphBuilder {
  private readonly rt: ExecRuntime;
  private readonly evalCtx: EvalContext;
  readonly valueSources: ValuesExecutor[] = [];
  /** Source columns the plan reads, from the root given to the first `build` (source-columns.ts). */
  private sourceColumns: Map<StreamTableScan, Set<number>> | null = null;

  constructor(
    private readonly graph: StreamGraph,
    private readonly upstreams: UpstreamResolver,
    evalCtx: EvalContext,
  ) {
    this.evalCtx = evalCtx;
    this.rt = newRuntime([], evalCtx, NO_CANCEL);
  }

  /** A column-free expression as a function of NOW() (µs): its own context, so now() reads the argument. */
  private nowFunction(e: Expr): (now: number) => Datum {
    const ctx: EvalContext = { ...this.evalCtx };
    const f = compileExpr(e, newRuntime([], ctx, NO_CANCEL), () => {
      throw internalError('a subquery reached the stream graph builder');
    });
    return (now) => {
      ctx.now = now;
      return f([]);
    };
  }

  private evaluator(e: Expr): (row: Row) => Datum {
    return compileExpr(e, this.rt, () => {
      throw internalError('a subquery reached the stream graph builder');
    });
  }

  private streamExpr(e: Expr): StreamExpr {
    if (e.kind === 'column') return new InputRef(e.index, e.type);
    if (e.kind === 'literal') return new Literal(e.type, e.value);
    // Functions that take a chunk of rows per call (JavaScript UDFs) get them, also under
    // other function calls (`gcd(a, b) + 1`), which then run column by column too.
    if (e.kind === 'call' && 'evalBatch' in e.fn) return new BatchScalarCall(e.fn as BatchScalarImpl, e.args.map((a) => this.streamExpr(a)), this.evalCtx);
    if (e.kind === 'call' && e.args.some(hasBatchCall)) return new ScalarCall(e.fn, e.args.map((a) => this.streamExpr(a)), this.evalCtx);
    return new RowFnExpr(e.type, this.evaluator(e), [...collectColumns(e)]);
  }

  build(n: StreamNode): Executor {
    this.sourceColumns ??= sourceColumnUse(n);
    const tables = this.graph.tables;
    switch (n.kind) {
      case 'table_scan': {
        const up = this.upstreams.upstream(n.relation, this.sourceColumns.get(n));
        return this.graph.chain({ upstream: up.executor, snapshot: up.snapshot, coldSnapshot: up.coldSnapshot, columns: n.columns });
      }
      case 'values': {
        const rows = n.rows.map((r, i) => [...r.map((e) => this.evaluator(e)([])), BigInt(i + 1)]);
        const v = new ValuesExecutor(
          n.schema.map((f) => f.type),
          rows,
        );
        this.graph.manager.addSource(v);
        this.valueSources.push(v);
        return v;
      }
      case 'filter':
        return this.build(n.input).connect(new FilterExecutor(n.input.schema.map((f) => f.type), this.streamExpr(n.predicate)));
      case 'temporal_filter': {
        const input = this.build(n.input);
        // Over an input that only inserts, a lower bound alone keeps its rows grouped by
        // epoch instead of an entry per row (append-only-temporal-filter.ts).
        if (n.lower && !n.upper && appendOnly(n.input)) {
          return input.connect(
            new AppendOnlyTemporalFilterExecutor({
              types: input.types,
              column: n.column,
              lowerBound: this.nowFunction(n.lower.expr),
              inclusive: n.lower.inclusive,
              tables,
            }),
          );
        }
        return input.connect(
          new TemporalFilterExecutor({
            types: input.types,
            column: n.column,
            lowerBound: n.lower ? this.nowFunction(n.lower.expr) : undefined,
            inclusive: n.lower?.inclusive,
            upperBound: n.upper ? this.nowFunction(n.upper.expr) : undefined,
            upperInclusive: n.upper?.inclusive,
            pk: n.input.streamKey,
            tables,
          }),
        );
      }
      case 'project_set': {
        const ctx = this.evalCtx;
        const items = n.items.map((e): ProjectSetItem => {
          if (e.kind !== 'table_fn') return { kind: 'scalar', type: e.type, eval: this.evaluator(e), inputIndex: e.kind === 'column' ? e.index : undefined };
          const args = e.args.map((a) => this.evaluator(a));
          const fn = e.fn;
          return { kind: 'set', type: e.type, eval: (row: Row) => firstColumn(fn.eval(args.map((a) => a(row)), ctx)) };
        });
        return this.build(n.input).connect(new ProjectSetExecutor(items));
      }
      case 'project':
        return connectProject(this.build(n.input), n, (e) => this.streamExpr(e), (e) => this.evaluator(e));
      case 'agg': {
        const input = this.build(n.input);
        // Over an insert-only input min/max keep one value per group (agg/call.ts), and so
        // does MAX of a column that only expires in order (expiring-column.ts).
        const insertOnly = appendOnly(n.input);
        const expiring = insertOnly ? -1 : expiringColumn(n.input);
        const calls = n.calls.map((c) => {
          const desc = aggCallDesc(c);
          return { ...desc, appendOnly: insertOnly, expiresInOrder: expiring >= 0 && desc.args.length === 1 && desc.args[0] === expiring };
        });
        if (n.groupKey.length > 0) return connectHashAgg(input, n, calls, tables);
        return input.connect(new SimpleAggExecutor({ inputTypes: input.types, calls, tables, rowCountColumn: n.rowCountColumn }));
      }
      case 'local_agg': {
        const input = this.build(n.input);
        return input.connect(new StatelessLocalAggExecutor({ inputTypes: input.types, groupKey: n.groupKey, calls: n.calls.map(aggCallDesc) }));
      }
      case 'hash_join': {
        const left = this.build(n.left);
        const right = this.build(n.right);
        const cond = n.condition ? this.evaluator(n.condition) : null;
        const join = new HashJoinExecutor({
          joinType: n.joinType,
          leftTypes: left.types,
          rightTypes: right.types,
          leftKeys: n.leftKeys,
          rightKeys: n.rightKeys,
          nullSafe: n.nullSafe,
          leftPk: n.left.streamKey,
          rightPk: n.right.streamKey,
          condition: cond,
          tables,
        });
        left.connect(join.left);
        right.connect(join.right);
        return join;
      }
      case 'temporal_join': {
        const left = this.build(n.left);
        const get = this.upstreams.lookup(n.relation);
        const cols = n.columns;
        const join = new TemporalJoinExecutor({
          joinType: n.joinType,
          leftTypes: left.types,
          rightTypes: cols.map((c) => n.relation.columns[c].type),
          lookupKey: n.lookupKey,
          lookup: (pk) => {
            const row = get(pk);
            return row === undefined ? undefined : cols.map((c) => row[c]);
          },
          leftPk: n.left.streamKey,
          rightPk: n.relation.pk.map((k) => cols.indexOf(k)),
          appendOnly: n.appendOnly,
          condition: n.condition ? this.evaluator(n.condition) : null,
          tables,
        });
        return left.connect(join);
      }
      case 'dynamic_filter': {
        const left = this.build(n.left);
        const right = this.build(n.right);
        const filter = new DynamicFilterExecutor({ leftTypes: left.types, column: n.column, op: n.op, leftPk: n.left.streamKey, tables });
        left.connect(filter.left);
        right.connect(filter.right);
        return filter;
      }
      case 'top_n': {
        const input = this.build(n.input);
        const opts = {
          types: input.types,
          orderBy: n.orderBy,
          pk: n.input.streamKey,
          limit: n.limit,
          offset: n.offset,
          tables,
          withTies: n.withTies,
          rankColumn: n.rankColumn,
          appendOnly: appendOnly(n.input),
        };
        return input.connect(n.groupKey.length === 0 ? new TopNExecutor(opts) : new GroupTopNExecutor({ ...opts, groupKey: n.groupKey }));
      }
      case 'over_window': {
        const input = this.build(n.input);
        return input.connect(
          new OverWindowExecutor({
            types: input.types,
            callTypes: n.schema.slice(input.types.length).map((f) => f.type),
            partitionKey: n.partitionKey,
            pk: n.input.streamKey,
            compute: windowCompute(n.window, input.types, this.rt),
            tables: this.graph.tables,
          }),
        );
      }
      case 'now_series': {
        const type = n.schema[0].type;
        const step = this.evaluator(n.step)([]);
        const add = resolveScalar('add', [type, n.step.type]);
        const ctx = this.evalCtx;
        const v = new NowSeriesExecutor({
          type,
          start: this.evaluator(n.start)([]),
          end: this.nowFunction(n.end),
          next: (x) => add.eval([x, step], ctx),
          tables: this.graph.tables,
        });
        this.graph.manager.addSource(v);
        this.valueSources.push(v);
        return v;
      }
      case 'changelog':
        return this.build(n.input).connect(new ChangelogExecutor(n.input.schema.map((f) => f.type)));
      case 'dedup': {
        const input = this.build(n.input);
        return input.connect(new DedupExecutor({ types: input.types, tables }));
      }
      case 'hop_window': {
        const input = this.build(n.input);
        return input.connect(
          new HopWindowExecutor({ types: input.types, timeColumn: n.timeCol, slideUs: n.slideUs, sizeUs: n.sizeUs, offsetUs: n.offsetUs }),
        );
      }
      case 'watermark_filter':
        return connectWatermarkFilter(this.build(n.input), n, this.streamExpr(n.expr));
      case 'eowc_sort':
        return connectEowcSort(this.build(n.input), n, tables);
      case 'eowc_over_window':
        return connectEowcOverWindow(this.build(n.input), n);
      case 'union': {
        const inputs = n.inputs.map((i) => this.build(i));
        const union = new UnionExecutor(
          n.schema.map((f) => f.type),
          inputs.length,
        );
        inputs.forEach((inp, i) => inp.connect(union.inputs[i]));
        return union;
      }
    }
  }
}

/** A table function's rows as the values of its (only) column. */
function* firstColumn(rows: Iterable<readonly Datum[]>): Iterable<Datum> {
  for (const r of rows) yield r[0];
}

/** Whether `e` calls a function that evaluates a chunk of rows at once (see streamExpr). */
function hasBatchCall(e: Expr): boolean {
  if (e.kind === 'call' && 'evalBatch' in e.fn) return true;
  let found = false;
  forEachChild(e, (c) => (found ||= hasBatchCall(c)));
  return found;
}
