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
 * - Durability (persistent mode, durability.ts): the state store is storage's durable one,
 *   checkpoints record the table change-log seq of their barrier, and a restart restores
 *   MVs from the last checkpoint and replays the table changes after it
 *   (`restoreMaterializedViews`); MVs not in the checkpoint are rebuilt by backfill. The
 *   barrier timer runs even without MVs then, so checkpoints keep pruning the change log.
 *   In memory mode every MV is rebuilt from its definition at startup.
 */
import { type DataType, type Datum, type Row, SqlError, SqlState, StreamChunk } from '@freshet/common';
import type { EvalContext } from '@freshet/expr';
import {
  type BackfillProgress,
  BarrierManager,
  type ChainExecutor,
  type ChangeCapture,
  type Executor,
  type MaterializeExecutor,
  type Message,
  MemStateStore,
  SourceExecutor,
  type StateStore,
  type StateTable,
  StreamGraph,
  type SinkExecutor,
  type SinkMode,
  type SinkTarget,
  SINK_LOG_KEY_TYPES,
  type ValuesExecutor,
} from '@freshet/stream';
import type { ChangeCursor, ColdScan, RowChange, StorageEngine, TableReader, TableSchema } from '@freshet/storage';
import type { Catalog } from '../catalog/catalog';
import type { RelationCatalog } from '../catalog/model';
import { GraphBuilder, type Upstream, type UpstreamResolver } from './build';
import { SeqBarrierManager, StreamDurability, checkRestoredLayout } from './durability';
import { RebuildPendingReader } from './pending-reader';
import { ChangeRecording, changeChunks } from './change-recording';
import { type FlowProbe, FlowStats } from './flow-stats';
import { ConnectorTables, type SourceHooks, checkSourceReadable, sourceUpstream } from './sources';
import { rowsPerSecondOption } from '../session/config';
import { installTableWatermarks } from './table-watermarks';
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
  /** What sources report (malformed messages, broker outages): the server log's warnings. Default `log`. */
  warn?: (msg: string) => void;
  /** A backfill running longer than this logs its progress, once per interval (ms). */
  backfillLogIntervalMs?: number;
}

/** One table's DML entry into the stream graphs, shared by every job reading the table. */
interface TableSource {
  readonly source: SourceExecutor;
  readonly types: readonly DataType[];
  readonly unwatch: () => void;
  refs: number;
}

export interface MvJob {
  readonly rel: RelationCatalog;
  readonly graph: StreamGraph;
  readonly materialize: MaterializeExecutor;
  readonly valueSources: readonly ValuesExecutor[];
  readonly tables: readonly number[];
  /** Resolves when the backfill has pushed every upstream row (see `BackfillStatus`). */
  readonly backfilled: Promise<void>;
}

/** A running backfill, for progress output (logs, SHOW JOBS). */
export interface BackfillStatus {
  readonly id: number;
  readonly name: string;
  readonly definition: string;
  readonly startedAt: number;
  done: number;
  total: number;
}

/** A backfill taking longer than this logs its progress, once per interval. */
const DEFAULT_BACKFILL_LOG_INTERVAL_MS = 1000;

/** Serves batch reads of an MV from its state table's committed view. */
class MvReader implements TableReader {
  constructor(
    readonly tableId: number,
    readonly schema: TableSchema,
    private readonly table: StateTable,
    private readonly committedEpoch: () => number,
    /** Counts what the MV's materialize writes (FlowStats), with the last barrier it passed. */
    private readonly output: () => Readonly<FlowProbe> | undefined,
    /** The materialize's change capture (secondary indexes follow the MV through it). */
    private readonly changes: ChangeCapture,
  ) {}
  openChangeCursor(): ChangeCursor {
    return this.changes.open(this.committedEpoch);
  }
  private seenChanges = -1;
  private seenEpoch = -1;
  /** Epoch of the latest writes seen, until committed (-1: none pending). */
  private pendingEpoch = -1;
  private _version = 0;
  /**
   * Changes whenever the committed view may have (batch secondary indexes rebuild on it):
   * at once when new writes are seen (some may be committed already), then at each commit
   * until those writes are committed. An MV whose rows did not change keeps its version
   * across barriers.
   */
  get version(): number {
    const out = this.output();
    const c = out?.rows ?? 0;
    const e = this.committedEpoch();
    // Every write so far is committed: no chunk since the materialize's last barrier, and that epoch is committed.
    const settled = out !== undefined && out.pendingSince === 0 && out.epoch <= e;
    if (c !== this.seenChanges) {
      this.seenChanges = c;
      this.pendingEpoch = settled ? -1 : Math.max(this.pendingEpoch, this.table.epoch);
      this.seenEpoch = e;
      this._version++;
    } else if (this.pendingEpoch >= 0 && e !== this.seenEpoch) {
      this.seenEpoch = e;
      this._version++;
      if (settled || e >= this.pendingEpoch) this.pendingEpoch = -1;
    }
    return this._version;
  }
  get size(): number {
    return this.table.size;
  }
  get(pk: readonly unknown[]): Row | undefined {
    return this.table.getCommitted(pk as Row);
  }
  scan(): Iterable<Row> {
    return this.table.scanCommitted();
  }
  /** Under a memory limit the MV may be partly in memory: its scan reads LevelDB (awaited). */
  scanCold(): ColdScan | null {
    return this.table.scanCommittedCold();
  }
}

export class StreamingEngine implements UpstreamResolver, StreamPlannerEnv {
  readonly store: StateStore;
  readonly manager: BarrierManager;
  /** Persistent mode: checkpoints and recovery (null in memory mode). */
  readonly durability: StreamDurability | null;
  private _barrierIntervalMs: number;
  /** While restoring a job from a checkpoint: its chains read no snapshot (the state has it). */
  private restoring = false;
  /** Set while a sink that needs no snapshot is built: its chains subscribe without one (startSink `noSnapshot`). */
  private skipSnapshots = false;
  private readonly backfillLogIntervalMs: number;
  private readonly log: (msg: string) => void;
  /** Where source readers and connector tables log (warnings in the server log). */
  readonly sourceLog: (msg: string) => void;
  private readonly tableSources = new Map<number, TableSource>();
  private readonly jobs = new Map<number, MvJob>();
  /** CREATE SINK jobs, by sink id (sink.ts). */
  private readonly sinkJobs = new Map<number, SinkJob>();
  private readonly backfills = new Map<number, BackfillStatus>();
  /** Rows in/out and epochs per job, for the freshness view (read-only counters). */
  readonly flow = new FlowStats();
  private timer: NodeJS.Timeout | null = null;
  /** Tables acquired by the job being built (released if the build fails). */
  private acquiring: number[] = [];
  /** `CREATE TABLE … WITH (connector = …)` tables and their readers (sources.ts). */
  readonly connectorTables: ConnectorTables;
  /** Hooks into every source executor (checkpointing its offsets: see sources.ts). */
  sourceHooks: SourceHooks = {};

  constructor(
    readonly catalog: Catalog,
    readonly storage: StorageEngine,
    opts: StreamingOptions = {},
  ) {
    this._barrierIntervalMs = opts.barrierIntervalMs ?? DEFAULT_BARRIER_INTERVAL_MS;
    this.log = opts.log ?? (() => {});
    this.backfillLogIntervalMs = opts.backfillLogIntervalMs ?? DEFAULT_BACKFILL_LOG_INTERVAL_MS;
    this.sourceLog = opts.warn ?? this.log;
    installTableWatermarks(catalog, storage);
    this.connectorTables = new ConnectorTables(catalog, storage, this.sourceLog);
    this.connectorTables.start();
    const durable = storage.openStateStore(new MemStateStore());
    if (durable) {
      const manager = new SeqBarrierManager(durable, storage);
      this.store = durable;
      this.manager = manager;
      this.durability = new StreamDurability(durable, manager);
      this.syncCheckpointInterval();
      durable.onError = (msg) => this.log(msg);
      this.ensureTimer();
    } else {
      this.store = new MemStateStore();
      this.manager = new BarrierManager(this.store);
      this.durability = null;
    }
    // Decoupled sinks feed their targets from their logs as epochs commit (sink.ts).
    this.manager.onCommit((epoch) => this.advanceSinks(epoch));
  }

  get barrierIntervalMs(): number {
    return this._barrierIntervalMs;
  }

  /** Barriers per checkpoint (only meaningful with a durable state store). */
  get checkpointFrequency(): number {
    return this.durability?.store.checkpointFrequency ?? this.manager.checkpointEvery;
  }

  set checkpointFrequency(n: number) {
    if (this.durability) this.durability.store.checkpointFrequency = n;
    this.syncCheckpointInterval();
  }

  /** Checkpoints keep to frequency × interval of wall-clock time when barriers run late (DurableStateStore.checkpointIntervalMs). */
  private syncCheckpointInterval(): void {
    if (this.durability) this.durability.store.checkpointIntervalMs = this.durability.store.checkpointFrequency * this._barrierIntervalMs;
  }

  /** ALTER SYSTEM SET barrier_interval_ms: takes effect at once. */
  set barrierIntervalMs(ms: number) {
    this._barrierIntervalMs = ms;
    this.syncCheckpointInterval();
    if (this.timer) {
      this.stopTimer();
      this.ensureTimer();
    }
  }

  job(id: number): MvJob | undefined {
    return this.jobs.get(id);
  }

  get jobCount(): number {
    return this.jobs.size;
  }

  checkUpstream(rel: RelationCatalog): void {
    if (rel.kind === 'source') return checkSourceReadable(rel);
    if (rel.kind === 'table' && this.storage.hasTable(rel.id)) return;
    if (rel.kind === 'materialized_view' && this.jobs.has(rel.id)) return;
    const what = rel.kind === 'materialized_view' ? 'materialized view (not running)' : rel.kind;
    throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: reading ${what} ${rel.name} in a materialized view`);
  }

  upstream(rel: RelationCatalog, columns?: ReadonlySet<number>): Upstream {
    if (rel.kind === 'source') {
      const hooks = { log: this.sourceLog, ...this.sourceHooks, checkpoints: this.durability?.sources, restoring: this.restoring };
      const u = sourceUpstream(this.catalog, this.storage, rel, this.manager, hooks, columns);
      this.flow.noteUpstreamExecutor(rel.id, u.executor);
      return u;
    }
    if (rel.kind === 'materialized_view') {
      const job = this.jobs.get(rel.id);
      if (!job) throw new SqlError(SqlState.InternalError, `materialized view ${rel.name} is not running`);
      const table = job.materialize.table;
      this.flow.noteUpstream(rel.id, this.restoring || this.skipSnapshots ? 0 : table.size);
      if (this.restoring || this.skipSnapshots) return { executor: job.materialize, snapshot: () => [] };
      // Under a memory limit the MV may be partly in memory: a sliced backfill reads the rest from disk.
      return { executor: job.materialize, snapshot: () => table.scan(), coldSnapshot: () => table.snapshotCold() };
    }
    const ts = this.acquireTable(rel);
    if (this.restoring || this.skipSnapshots) {
      this.flow.noteUpstream(rel.id, 0);
      return { executor: ts.source, snapshot: () => [] };
    }
    const reader = this.storage.table(rel.id);
    this.flow.noteUpstream(rel.id, reader.size);
    // Under a memory limit the table's rows are in LevelDB: a sliced backfill reads them from there.
    return { executor: ts.source, snapshot: () => reader.scan(), coldSnapshot: () => reader.snapshotCold?.() ?? null };
  }

  /**
   * Whether a backfill from relation `id` must read some of its rows from disk (a memory
   * limit: an MV partly in memory, a table kept in LevelDB), and so can only run sliced.
   */
  snapshotOnDisk(id: number): boolean {
    if (this.jobs.get(id)?.materialize.table.bounded === true) return true;
    return this.storage.hasTable(id) && typeof this.storage.table(id).snapshotCold === 'function';
  }

  /** `rel`'s current row by primary key (a temporal join's lookup side), without subscribing. */
  lookup(rel: RelationCatalog): (pk: readonly Datum[]) => Row | undefined {
    if (rel.kind === 'materialized_view') {
      const job = this.jobs.get(rel.id);
      if (!job) throw new SqlError(SqlState.InternalError, `materialized view ${rel.name} is not running`);
      const table = job.materialize.table;
      return (pk) => table.get(pk);
    }
    const reader = this.storage.table(rel.id);
    return (pk) => reader.get(pk);
  }

  /**
   * Builds MV `rel`'s job from `plan` and starts it. The backfill snapshot goes through
   * the graph now, in the epoch in progress, or with `sliced` in time slices that let the
   * server go on serving (await `job.backfilled`). Then await `flush()` to make it visible.
   */
  startJob(rel: RelationCatalog, plan: StreamPlan, evalCtx: EvalContext, opts: { sliced?: boolean; pendingReader?: TableReader } = {}): MvJob {
    if (this.jobs.has(rel.id)) throw new SqlError(SqlState.InternalError, `materialized view ${rel.name} is already running`);
    this.flow.beginJob();
    this.durability?.sources.beginJob(rel.id);
    const { graph, last: materialize, valueSources, tables } = this.buildGraph(rel, plan, evalCtx, (g, root) => g.materialize(root, { pk: plan.pk }));
    this.flow.startJob(rel.id, materialize);
    const reader = new MvReader(rel.id, { types: plan.columns.map((c) => c.type), pk: [...plan.pk] }, materialize.table, () => this.store.committedEpoch, () => this.flow.outputProbe(rel.id), materialize.changes);
    this.storage.attachReader(opts.pendingReader ?? reader);
    const job: MvJob = { rel, graph, materialize, valueSources, tables, backfilled: opts.sliced ? this.backfill(rel, graph) : startNow(graph) };
    if (opts.pendingReader) {
      // Served once backfilled (and its epoch committed), unless dropped or replaced meanwhile.
      job.backfilled
        .then(() => this.manager.flush())
        .then(
          () => {
            if (this.jobs.get(rel.id) === job) this.storage.attachReader(reader);
          },
          (e: unknown) => this.log(`materialized view ${rel.name} could not be rebuilt: ${e instanceof Error ? e.message : String(e)}`),
        );
    }
    this.jobs.set(rel.id, job);
    this.durability?.jobStarted(rel.id, job.backfilled, graph.tables.layout);
    this.ensureTimer();
    return job;
  }

  /**
   * Restart: starts MV `rel`'s job by backfill (its state was not restored). At once, in
   * this call stack, unless an upstream is partly on disk (memory limit): that snapshot
   * is read from LevelDB, so the backfill runs in slices, and reads of `rel` get a
   * retryable error until it is done rather than a partial result.
   */
  rebuildJob(rel: RelationCatalog, plan: StreamPlan, evalCtx: EvalContext): MvJob {
    if (!rel.dependsOn.some((id) => this.snapshotOnDisk(id))) return this.startJob(rel, plan, evalCtx);
    const pendingReader = new RebuildPendingReader(rel, 'its backfill reads the relations it is built on from disk (memory limit)');
    return this.startJob(rel, plan, evalCtx, { sliced: true, pendingReader });
  }

  /**
   * Builds a job's executor graph from `plan`; `finish` puts the job's last executor (a
   * materialize or a sink) on the plan's root. A failed build undoes what it registered.
   */
  private buildGraph<T extends Executor>(
    rel: RelationCatalog,
    plan: StreamPlan,
    evalCtx: EvalContext,
    finish: (graph: StreamGraph, root: Executor) => T,
  ): { graph: StreamGraph; last: T; valueSources: readonly ValuesExecutor[]; tables: number[] } {
    const graph = new StreamGraph(this.manager, firstStateTableId(rel));
    this.acquiring = [];
    try {
      const builder = new GraphBuilder(graph, this, evalCtx);
      const last = finish(graph, builder.build(plan.root));
      if (this.restoring) checkRestoredLayout(rel, graph.tables.layout, this.durability?.recovered?.layouts.get(rel.id));
      return { graph, last, valueSources: builder.valueSources, tables: this.acquiring };
    } catch (e) {
      graph.drop();
      for (const id of this.acquiring) this.releaseTable(id);
      throw e;
    } finally {
      this.acquiring = [];
    }
  }

  /**
   * Resolves once key-read state that a restart left in LevelDB is in memory, and the
   * tables' rows too (StorageEngine.tablesLoading) (at once when none is loading). Until
   * then they serve reads by key but not the full snapshot a new job's backfill takes of an
   * upstream MV or table, so starting one waits for this.
   */
  stateLoaded(): Promise<void> {
    const state = this.durability?.store.loading ?? null;
    const tables = this.storage.tablesLoading;
    if (tables === null) return state ?? Promise.resolve();
    return Promise.all([state, tables]).then(() => {});
  }

  /** Whether a restart's background state (or table) load is still running. */
  get stateLoading(): boolean {
    return (this.durability?.store.loading ?? null) !== null || this.storage.tablesLoading !== null;
  }

  /**
   * Recovery: starts MV `rel`'s job over the state restored from the checkpoint — the same
   * graph (so the same state table ids), subscribed to its upstreams without a snapshot.
   */
  restoreJob(rel: RelationCatalog, plan: StreamPlan, evalCtx: EvalContext): MvJob {
    this.restoring = true;
    try {
      const job = this.startJob(rel, plan, evalCtx);
      this.durability?.jobRestored(rel.id, job.graph.tables.layout);
      return job;
    } finally {
      this.restoring = false;
    }
  }

  /** Recovery: pushes table changes committed after the checkpoint into the tables' sources. */
  replayTableChanges(tableId: number, changes: readonly RowChange[]): boolean {
    const ts = this.tableSources.get(tableId);
    if (!ts) return false;
    pushChanges(ts.source, ts.types, changes);
    return true;
  }

  /** State table ids of every running job (what recovery keeps). */
  stateTableIds(): Set<number> {
    const ids = new Set<number>();
    for (const job of this.jobs.values()) for (const id of job.graph.tableIds) ids.add(id);
    for (const job of this.sinkJobs.values()) for (const id of job.graph.tableIds) ids.add(id);
    return ids;
  }

  /** A checkpoint now: commits a barrier as a checkpoint and waits until it is durable. */
  async checkpoint(): Promise<void> {
    const d = this.durability;
    if (!d) return this.flush();
    const done = d.store.requestCheckpoint();
    await this.manager.flush();
    await done;
  }

  /**
   * Builds sink `rel`'s job: the plan's output goes to `target` through a SinkExecutor
   * (no state table is served). `skipBackfill` (startup) drops the backfill's output,
   * which the target received before the restart. `decouple` (external targets) gives the
   * sink a log store: its epochs never wait for the target, the log is in checkpoints, and
   * the job is listed in them once backfilled so a restart can restore it from state.
   */
  startSink(
    rel: RelationCatalog,
    plan: StreamPlan,
    evalCtx: EvalContext,
    target: SinkTarget,
    opts: {
      mode: SinkMode;
      intoTable: boolean;
      sliced?: boolean;
      skipBackfill?: boolean;
      decouple?: boolean;
      noSnapshot?: boolean;
      /** Changes of upstreams (by relation id) since a point the target is at (see startCaughtUp). */
      missed?: ReadonlyMap<number, readonly StreamChunk[]>;
    },
  ): SinkJob {
    if (this.sinkJobs.has(rel.id)) throw new SqlError(SqlState.InternalError, `sink ${rel.name} is already running`);
    this.flow.beginJob();
    if (opts.decouple) this.durability?.sources.beginJob(rel.id);
    let input: Executor | undefined;
    // `noSnapshot` (a restart's re-planned sink whose plan keeps no state and whose backfill
    // would be dropped anyway): subscribe to the upstreams without reading them whole, so
    // the sink runs at once even while their rows or state still load.
    this.skipSnapshots = opts.noSnapshot === true;
    let built;
    try {
      built = this.buildGraph(rel, plan, evalCtx, (g, root) => {
        // Allocated after the plan's operators: the same id when the plan is rebuilt.
        const log = opts.decouple ? { table: g.tables.create([...SINK_LOG_KEY_TYPES, ...root.types], [0, 1]) } : null;
        input = root;
        return g.sink(root, { target, mode: opts.mode, log });
      });
    } finally {
      this.skipSnapshots = false;
    }
    const { graph, last: sink, valueSources, tables } = built;
    // Counted on the sink's input: rows out = changes handed to the sink (rw_sink_freshness).
    this.flow.startJob(rel.id, input!);
    let backfilled: Promise<void>;
    if (opts.skipBackfill || opts.missed) {
      // Startup: in this call stack, so nothing else runs in between (see startCaughtUp).
      backfilled = this.startCaughtUp(graph, sink, !!opts.skipBackfill && !opts.noSnapshot, opts.missed);
    } else backfilled = opts.sliced ? this.backfill(rel, graph) : startNow(graph);
    const job: SinkJob = { rel, graph, target, sink, valueSources, tables, backfilled, intoTable: opts.intoTable, decoupled: !!opts.decouple };
    this.sinkJobs.set(rel.id, job);
    if (opts.decouple) {
      if (this.restoring) this.durability?.jobRestored(rel.id, graph.tables.layout);
      else this.durability?.jobStarted(rel.id, backfilled, graph.tables.layout);
    }
    this.ensureTimer();
    return job;
  }

  /**
   * Startup: starts a re-planned sink's graph so that the target gets exactly the changes it
   * has not seen. `mute` (the target got the backfill's output before the restart): the
   * snapshot's output is dropped up to a barrier injected right after it — stateful
   * operators emit it only when they flush at the barrier. `missed` (the sink waited for
   * the restart's load while its upstreams changed): those changes are undone in the
   * snapshot's epoch, so the state matches what the target last saw, and replayed into the
   * sink's chains alone after the barrier, where they reach the target as changes — a row
   * deleted during the wait included, which no snapshot could show.
   */
  private startCaughtUp(graph: StreamGraph, sink: SinkExecutor, mute: boolean, missed: ReadonlyMap<number, readonly StreamChunk[]> | undefined): Promise<void> {
    const replays: [ChainExecutor[], readonly StreamChunk[]][] = [];
    for (const [id, chunks] of missed ?? []) {
      const up = this.upstreamExecutor(id);
      if (up && chunks.length > 0) replays.push([graph.chainsReading(up), chunks]);
    }
    if (mute) sink.muteUntilBarrier();
    graph.start();
    for (const [chains, chunks] of replays) {
      for (let i = chunks.length - 1; i >= 0; i--) {
        const undo = chunks[i].undo();
        for (const c of chains) c.replay(undo);
      }
    }
    if (mute || replays.length > 0) this.manager.injectBarrier();
    for (const [chains, chunks] of replays) for (const chunk of chunks) for (const c of chains) c.replay(chunk);
    return Promise.resolve();
  }

  /** The executor a job's chain subscribes to for relation `id` (null: not running). */
  private upstreamExecutor(id: number): Executor | null {
    return this.tableSources.get(id)?.source ?? this.jobs.get(id)?.materialize ?? null;
  }

  /**
   * Records the changes of table or MV `id` from now on (a sink about to wait for the
   * restart's load; `startSink`'s `missed`). Null when `id` is neither a table nor a
   * running MV.
   */
  recordChanges(id: number): ChangeRecording | null {
    const rel = this.catalog.getRelationById(id);
    if (rel?.kind === 'table') {
      const types = rel.columns.map((c) => c.type);
      const r: ChangeRecording = new ChangeRecording(() => unwatch());
      const unwatch = this.storage.watchTable(id, (changes) => {
        for (const c of changeChunks(types, changes)) r.add(c);
      });
      return r;
    }
    const job = rel?.kind === 'materialized_view' ? this.jobs.get(id) : undefined;
    if (!job) return null;
    const recorder = {
      push(msg: Message): void {
        if (msg instanceof StreamChunk) r.add(msg);
      },
    };
    const r = new ChangeRecording(() => job.materialize.disconnect(recorder));
    job.materialize.connect(recorder);
    return r;
  }

  /**
   * Recovery: starts decoupled sink `rel`'s job over its state restored from the checkpoint
   * (operators and log), subscribed to its upstreams without a snapshot, like `restoreJob`.
   */
  restoreSink(rel: RelationCatalog, plan: StreamPlan, evalCtx: EvalContext, target: SinkTarget, mode: SinkMode): SinkJob {
    this.restoring = true;
    try {
      return this.startSink(rel, plan, evalCtx, target, { mode, intoTable: false, decouple: true });
    } finally {
      this.restoring = false;
    }
  }

  /** Epoch `epoch` is published: decoupled sinks hand what their targets may take now. */
  private advanceSinks(epoch: number): void {
    if (this.sinkJobs.size === 0) return;
    const durable = this.durability ? (this.durability.store.lastCheckpoint?.epoch ?? 0) : epoch;
    for (const job of this.sinkJobs.values()) if (job.decoupled) job.sink.advance(epoch, durable);
  }

  sinkJob(id: number): SinkJob | undefined {
    return this.sinkJobs.get(id);
  }

  private dropSinkJob(id: number): void {
    const job = this.sinkJobs.get(id);
    if (!job) return;
    this.sinkJobs.delete(id);
    this.flow.dropJob(id);
    job.graph.drop();
    if (job.decoupled) this.durability?.jobDropped(id);
    void job.sink.close();
    for (const v of job.valueSources) this.manager.removeSource(v);
    for (const t of job.tables) this.releaseTable(t);
    this.log(`stopped sink ${job.rel.name}`);
    if (this.jobs.size === 0 && this.sinkJobs.size === 0 && !this.durability) this.stopTimer();
  }

  /** Backfills currently running, oldest first. */
  backfillProgress(): readonly BackfillStatus[] {
    return [...this.backfills.values()];
  }

  /**
   * Runs `graph`'s backfill in time slices (serving, DML and barriers go on meanwhile),
   * at most `backfill_rate_limit` rows per second per upstream if the job's WITH options
   * (or the creating session) set one, and logs progress when it takes long.
   * Subscriptions happen before this returns, so no upstream change is missed whatever
   * the caller does next.
   */
  private backfill(rel: RelationCatalog, graph: StreamGraph): Promise<void> {
    const status: BackfillStatus = { id: rel.id, name: rel.name, definition: rel.definition, startedAt: Date.now(), done: 0, total: 0 };
    this.backfills.set(rel.id, status);
    let lastLog = status.startedAt;
    const onProgress = (p: BackfillProgress) => {
      status.done = p.done;
      status.total = p.total;
      const now = Date.now();
      if (now - lastLog >= this.backfillLogIntervalMs && p.done < p.total) {
        lastLog = now;
        this.log(`backfill of ${rel.name}: ${formatProgress(p)}`);
      }
    };
    // Checked when an MV is created (commands.ts); a sink's WITH is used only if valid.
    const rowsPerSecond = rowsPerSecondOption(rel.withOptions.backfill_rate_limit);
    const done = graph.backfill(onProgress, { rowsPerSecond }).finally(() => {
      this.backfills.delete(rel.id);
      const ms = Date.now() - status.startedAt;
      if (ms >= this.backfillLogIntervalMs) this.log(`backfill of ${rel.name} finished: ${status.total.toLocaleString('en-US')} rows in ${(ms / 1000).toFixed(1)} s`);
    });
    // A failure surfaces to whoever awaits `backfilled`; never as an unhandled rejection.
    done.catch(() => {});
    return done;
  }

  /** Stops MV `id`'s job: unsubscribes it, drops its state, stops serving its reads. */
  dropJob(id: number): void {
    if (this.sinkJobs.has(id)) return this.dropSinkJob(id);
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.delete(id);
    this.flow.dropJob(id);
    this.durability?.jobDropped(id);
    job.graph.drop();
    for (const v of job.valueSources) this.manager.removeSource(v);
    for (const t of job.tables) this.releaseTable(t);
    this.storage.detachReader(id);
    this.log(`stopped materialized view ${job.rel.name}`);
    if (this.jobs.size === 0 && this.sinkJobs.size === 0 && !this.durability) this.stopTimer();
  }

  /** Stops the jobs of MVs that are no longer in the catalog (DROP … [CASCADE]). */
  reconcile(): void {
    for (const id of [...this.jobs.keys()]) {
      const rel = this.catalog.getRelationById(id);
      if (!rel || rel.kind !== 'materialized_view') this.dropJob(id);
    }
    for (const id of [...this.sinkJobs.keys()]) {
      const rel = this.catalog.getRelationById(id);
      if (!rel || rel.kind !== 'sink') this.dropSinkJob(id);
    }
  }

  /** FLUSH: a barrier now, resolved once committed — everything pushed so far is visible. */
  async flush(): Promise<void> {
    this.reconcile();
    if (this.jobs.size === 0 && this.sinkJobs.size === 0) return;
    await this.manager.flush();
    // A sink into a table commits its epoch's rows to the table when that epoch ends; the
    // table's MVs (and sinks behind them) see them in the next epochs: one more barrier
    // per level of sinks into tables.
    let into = 0;
    for (const j of this.sinkJobs.values()) if (j.intoTable) into++;
    let epoch = 0;
    for (let i = 0; i < Math.min(into, MAX_SINK_FLUSH_ROUNDS); i++) epoch = await this.manager.flush();
    // Decoupled sinks deliver in the background: FLUSH waits for the ones whose target is
    // reachable (a file sink needs a checkpoint first), never for a failing one.
    epoch = Math.max(epoch, this.manager.committedEpoch);
    const decoupled = [...this.sinkJobs.values()].filter((j) => j.decoupled);
    if (this.durability && decoupled.some((j) => j.sink.waitsForCheckpoint(epoch))) {
      await this.checkpoint();
      this.advanceSinks(this.manager.committedEpoch);
    }
    await Promise.all(decoupled.map((j) => j.sink.waitDelivered(epoch)));
  }

  /** Stops the barrier timer (server shutdown). */
  /**
   * Stops at once, as a crash would leave things: no final checkpoint, and sink targets
   * abandoned (no more deliveries, buffers dropped; the next start replays their logs).
   * Without this an embedded node "crashed" this way kept retrying deliveries.
   */
  close(): void {
    this.stopTimer();
    this.connectorTables.close();
    for (const job of this.sinkJobs.values()) job.sink.abandon();
  }

  /**
   * Graceful shutdown: a last checkpoint (so a restart replays nothing), bounded by
   * `timeoutMs` in case a job cannot commit, then `close()`.
   */
  async shutdown(timeoutMs = 2000): Promise<void> {
    if (this.durability) {
      await withTimeout(this.checkpoint().catch((e) => this.log(`final checkpoint failed: ${(e as Error).message}`)), timeoutMs);
    }
    // Sink targets deliver what they still buffer (an S3 file waiting for its rollover).
    await withTimeout(Promise.allSettled([...this.sinkJobs.values()].map((j) => j.sink.close())), timeoutMs);
    this.close();
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.reconcile();
        if (this.jobs.size > 0 || this.sinkJobs.size > 0 || this.durability) this.manager.tick();
      } catch (e) {
        this.log(`barrier failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }, this._barrierIntervalMs);
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
      ts = { source, types, unwatch, refs: 0 };
      this.flow.watch(rel.id, source);
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
    this.flow.unwatch(id);
    ts.unwatch();
    this.manager.removeSource(ts.source);
  }
}

/** FLUSH follows chains of sinks into tables this many levels deep at most. */
const MAX_SINK_FLUSH_ROUNDS = 3;

/** A running CREATE SINK job. */
export interface SinkJob {
  readonly rel: RelationCatalog;
  readonly graph: StreamGraph;
  readonly target: SinkTarget;
  readonly sink: SinkExecutor;
  readonly valueSources: readonly ValuesExecutor[];
  readonly tables: readonly number[];
  readonly backfilled: Promise<void>;
  /** Writes into a table (FLUSH waits for the table's MVs too). */
  readonly intoTable: boolean;
  /** Has a log store: its epochs do not wait for the target (external connectors). */
  readonly decoupled: boolean;
}

export function firstStateTableId(rel: RelationCatalog): number {
  return rel.stream?.firstStateTableId ?? rel.id * STATE_TABLES_PER_JOB;
}

/** One committed batch of a table's changes → chunks into its source. */
function pushChanges(source: SourceExecutor, types: readonly DataType[], changes: readonly RowChange[]): void {
  for (const chunk of changeChunks(types, changes)) source.pushChunk(chunk);
}

/** Waits for `p`, or `ms`, whichever comes first. */
async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([p, timeout]);
  clearTimeout(timer);
}

/** The whole backfill in this call stack (startup, where nothing else runs yet). */
function startNow(graph: StreamGraph): Promise<void> {
  graph.start();
  return Promise.resolve();
}

function formatProgress(p: BackfillProgress): string {
  const pct = p.total === 0 ? 100 : (100 * p.done) / p.total;
  return `${pct.toFixed(0)}% (${p.done.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')} rows)`;
}
