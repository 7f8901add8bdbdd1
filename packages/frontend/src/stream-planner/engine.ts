/**
 * The streaming side of one server: the state store, the barrier manager, one running job
 * (StreamGraph) per materialized view, and the bridge from table DML into the jobs.
 *
 * - DML → stream: a table read by at least one MV gets a SourceExecutor fed by
 *   `StorageEngine.watchTable`. The storage engine reports each committed batch's row
 *   changes (old → new) when it applies them — after they are durable, before the
 *   statement is acknowledged — and they become a chunk (Insert / Delete / U-,U+ pair)
 *   pushed synchronously through every MV graph reading the table.
 * - Backfill: a job reads a table with a ChainExecutor whose snapshot is the table's
 *   current rows; since snapshot and subscription happen in one synchronous step, each
 *   change is seen exactly once (in the snapshot or as a message). An MV on an MV chains
 *   onto the upstream's MaterializeExecutor and its state table's working view.
 * - Reads: each MV's state table is attached to the storage engine as a TableReader over
 *   its *committed* view, so the batch engine (seq scan, point lookup) reads an MV like a
 *   table, and every read sees one epoch across all MVs.
 * - Epochs: a timer injects a barrier every `barrierIntervalMs` while jobs exist; FLUSH
 *   injects one and waits until it is committed.
 * - DROP: the catalog is the source of truth; jobs whose relation left the catalog are
 *   stopped by `reconcile()`, run on every tick and before FLUSH / CREATE.
 * - Restart: state lives in memory (the durable store is issue 4), so every MV is rebuilt
 *   from its definition and backfilled from its upstreams, in id (= dependency) order.
 */
import { type DataType, Op, type Row, SqlError, SqlState, StreamChunkBuilder } from '@freshet/common';
import type { EvalContext } from '@freshet/expr';
import {
  BarrierManager,
  type Executor,
  type MaterializeExecutor,
  MemStateStore,
  SourceExecutor,
  type StateTable,
  StreamGraph,
  type ValuesExecutor,
} from '@freshet/stream';
import type { RowChange, StorageEngine, TableReader, TableSchema } from '@freshet/storage';
import type { Catalog } from '../catalog/catalog';
import type { RelationCatalog } from '../catalog/model';
import { GraphBuilder, type UpstreamResolver } from './build';
import type { StreamPlan } from './plan';
import type { StreamPlannerEnv } from './to-stream';

/**
 * Barrier interval. Visibility of DML without FLUSH is bounded by one interval plus the
 * commit, and an idle barrier costs a few µs per operator, so a short interval is cheap:
 * 10 ms keeps insert-to-visible latency well under the 20 ms p50 target.
 */
export const DEFAULT_BARRIER_INTERVAL_MS = 10;

/** State table ids per job: MV id × this, so ranges never overlap and need no counter. */
export const STATE_TABLES_PER_JOB = 1024;

export interface StreamingOptions {
  barrierIntervalMs?: number;
  log?: (msg: string) => void;
}

/** One table's DML entry into the stream graphs, shared by every job reading the table. */
interface TableSource {
  readonly source: SourceExecutor;
  readonly unwatch: () => void;
  refs: number;
}

export interface MvJob {
  readonly rel: RelationCatalog;
  readonly graph: StreamGraph;
  readonly materialize: MaterializeExecutor;
  readonly valueSources: readonly ValuesExecutor[];
  readonly tables: readonly number[];
}

/** Serves batch reads of an MV from its state table's committed view. */
class MvReader implements TableReader {
  constructor(
    readonly tableId: number,
    readonly schema: TableSchema,
    private readonly table: StateTable,
  ) {}
  get size(): number {
    return this.table.size;
  }
  get(pk: readonly unknown[]): Row | undefined {
    return this.table.getCommitted(pk as Row);
  }
  scan(): Iterable<Row> {
    return this.table.scanCommitted();
  }
}

export class StreamingEngine implements UpstreamResolver, StreamPlannerEnv {
  readonly store = new MemStateStore();
  readonly manager: BarrierManager;
  readonly barrierIntervalMs: number;
  private readonly log: (msg: string) => void;
  private readonly tableSources = new Map<number, TableSource>();
  private readonly jobs = new Map<number, MvJob>();
  private timer: NodeJS.Timeout | null = null;
  /** Tables acquired by the job being built (released if the build fails). */
  private acquiring: number[] = [];

  constructor(
    readonly catalog: Catalog,
    readonly storage: StorageEngine,
    opts: StreamingOptions = {},
  ) {
    this.barrierIntervalMs = opts.barrierIntervalMs ?? DEFAULT_BARRIER_INTERVAL_MS;
    this.manager = new BarrierManager(this.store);
    this.log = opts.log ?? (() => {});
  }

  job(id: number): MvJob | undefined {
    return this.jobs.get(id);
  }

  get jobCount(): number {
    return this.jobs.size;
  }

  checkUpstream(rel: RelationCatalog): void {
    if (rel.kind === 'table' && this.storage.hasTable(rel.id)) return;
    if (rel.kind === 'materialized_view' && this.jobs.has(rel.id)) return;
    const what = rel.kind === 'materialized_view' ? 'materialized view (not running)' : rel.kind;
    throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: reading ${what} ${rel.name} in a materialized view`);
  }

  upstream(rel: RelationCatalog): { executor: Executor; snapshot: () => Iterable<Row> } {
    if (rel.kind === 'materialized_view') {
      const job = this.jobs.get(rel.id);
      if (!job) throw new SqlError(SqlState.InternalError, `materialized view ${rel.name} is not running`);
      const table = job.materialize.table;
      return { executor: job.materialize, snapshot: () => table.scan() };
    }
    const ts = this.acquireTable(rel);
    return { executor: ts.source, snapshot: () => this.storage.table(rel.id).scan() };
  }

  /**
   * Builds MV `rel`'s job from `plan` and starts it: the backfill snapshot goes through
   * the graph now, in the epoch in progress. Await `flush()` to make it visible.
   */
  startJob(rel: RelationCatalog, plan: StreamPlan, evalCtx: EvalContext): MvJob {
    if (this.jobs.has(rel.id)) throw new SqlError(SqlState.InternalError, `materialized view ${rel.name} is already running`);
    const graph = new StreamGraph(this.manager, firstStateTableId(rel));
    this.acquiring = [];
    let materialize: MaterializeExecutor;
    let builder: GraphBuilder;
    try {
      builder = new GraphBuilder(graph, this, evalCtx);
      materialize = graph.materialize(builder.build(plan.root), { pk: plan.pk });
    } catch (e) {
      graph.drop();
      for (const id of this.acquiring) this.releaseTable(id);
      throw e;
    }
    const job: MvJob = { rel, graph, materialize, valueSources: builder.valueSources, tables: this.acquiring };
    this.acquiring = [];
    this.jobs.set(rel.id, job);
    this.storage.attachReader(new MvReader(rel.id, { types: plan.columns.map((c) => c.type), pk: [...plan.pk] }, materialize.table));
    graph.start();
    this.ensureTimer();
    return job;
  }

  /** Stops MV `id`'s job: unsubscribes it, drops its state, stops serving its reads. */
  dropJob(id: number): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.delete(id);
    job.graph.drop();
    for (const v of job.valueSources) this.manager.removeSource(v);
    for (const t of job.tables) this.releaseTable(t);
    this.storage.detachReader(id);
    this.log(`stopped materialized view ${job.rel.name}`);
    if (this.jobs.size === 0) this.stopTimer();
  }

  /** Stops the jobs of MVs that are no longer in the catalog (DROP … [CASCADE]). */
  reconcile(): void {
    for (const id of [...this.jobs.keys()]) {
      const rel = this.catalog.getRelationById(id);
      if (!rel || rel.kind !== 'materialized_view') this.dropJob(id);
    }
  }

  /** FLUSH: a barrier now, resolved once committed — everything pushed so far is visible. */
  async flush(): Promise<void> {
    this.reconcile();
    if (this.jobs.size === 0) return;
    await this.manager.flush();
  }

  /** Stops the barrier timer (server shutdown). */
  close(): void {
    this.stopTimer();
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.reconcile();
        if (this.jobs.size > 0) this.manager.injectBarrier();
      } catch (e) {
        this.log(`barrier failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }, this.barrierIntervalMs);
    this.timer.unref?.();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private acquireTable(rel: RelationCatalog): TableSource {
    let ts = this.tableSources.get(rel.id);
    if (!ts) {
      const types = rel.columns.map((c) => c.type);
      const source = new SourceExecutor(types);
      const unwatch = this.storage.watchTable(rel.id, (changes) => pushChanges(source, types, changes));
      ts = { source, unwatch, refs: 0 };
      this.tableSources.set(rel.id, ts);
      this.manager.addSource(source);
    }
    ts.refs++;
    this.acquiring.push(rel.id);
    return ts;
  }

  private releaseTable(id: number): void {
    const ts = this.tableSources.get(id);
    if (!ts || --ts.refs > 0) return;
    this.tableSources.delete(id);
    ts.unwatch();
    this.manager.removeSource(ts.source);
  }
}

export function firstStateTableId(rel: RelationCatalog): number {
  return rel.stream?.firstStateTableId ?? rel.id * STATE_TABLES_PER_JOB;
}

/** One committed batch of a table's changes → chunks into its source. */
function pushChanges(source: SourceExecutor, types: readonly DataType[], changes: readonly RowChange[]): void {
  const b = new StreamChunkBuilder(types);
  for (let i = 0; i < changes.length; i++) {
    const { old, row } = changes[i];
    const chunk = old !== undefined && row !== undefined ? b.appendUpdate(old, row) : row !== undefined ? b.append(Op.Insert, row) : b.append(Op.Delete, old!);
    if (chunk) source.pushChunk(chunk);
  }
  const rest = b.take();
  if (rest) source.pushChunk(rest);
}
