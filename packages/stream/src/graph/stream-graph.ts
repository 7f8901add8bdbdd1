/**
 * The executors of one streaming job (a table's DML pipeline, an MV, later a sink) and
 * everything it registered, so that creating it is a few calls and dropping it undoes
 * exactly those: sources leave the barrier manager, collectors unregister (so later epochs
 * stop waiting for them), subscriptions to upstream MVs end and its state tables are
 * dropped from the store.
 *
 * State table ids are allocated consecutively from `firstTableId` in construction order,
 * so the planner should reserve a range per job (persisted in the catalog) and rebuild the
 * graph in the same order on recovery.
 */
import type { DataType, KeyOrder } from '@freshet/common';
import { type BackfillOptions, type BackfillProgress, ChainExecutor, type ChainOptions } from '../executor/chain';
import type { Executor } from '../executor/executor';
import { type ConflictBehavior, MaterializeExecutor } from '../executor/materialize';
import { SinkExecutor, type SinkOptions } from '../executor/sink';
import { SourceExecutor } from '../executor/source';
import { StateTableAllocator } from '../state/state-table';
import type { BarrierManager, CollectorHandle } from './barrier-manager';

export class StreamGraph {
  readonly tables: StateTableAllocator;
  private readonly firstTableId: number;
  private readonly sources: SourceExecutor[] = [];
  private readonly collectors: CollectorHandle[] = [];
  private readonly chains: ChainExecutor[] = [];
  private dropped = false;

  constructor(
    readonly manager: BarrierManager,
    firstTableId: number,
  ) {
    this.firstTableId = firstTableId;
    this.tables = new StateTableAllocator(manager.store, firstTableId);
  }

  /** A source that receives barriers from the manager (DML entry, connector). */
  source(types: readonly DataType[]): SourceExecutor {
    const s = new SourceExecutor(types);
    this.manager.addSource(s);
    this.sources.push(s);
    return s;
  }

  /** Reads an upstream job's MV/table: snapshot, then changes. Call `start()` when the graph is built. */
  chain(options: ChainOptions): ChainExecutor {
    const c = new ChainExecutor(options);
    this.chains.push(c);
    return c;
  }

  /** The graph's materialize: its epochs gate commits. */
  materialize(
    input: Executor,
    options: { pk: readonly number[]; orders?: readonly KeyOrder[]; conflict?: ConflictBehavior; chunkSize?: number },
  ): MaterializeExecutor {
    const collector = this.manager.registerCollector();
    this.collectors.push(collector);
    return input.connect(new MaterializeExecutor({ types: input.types, tables: this.tables, collector, ...options }));
  }

  /** The graph's sink (a sink job's end): its target's commits gate epochs like a materialize. */
  sink(input: Executor, options: Omit<SinkOptions, 'types' | 'collector'>): SinkExecutor {
    const collector = this.manager.registerCollector();
    this.collectors.push(collector);
    return input.connect(new SinkExecutor({ types: input.types, collector, ...options }));
  }

  /** Emits chain snapshots and subscribes to upstreams; call after wiring every executor. */
  start(): void {
    for (const c of this.chains) c.start();
  }

  /**
   * Like `start()`, but emits the snapshots in time slices (see ChainExecutor.backfill):
   * every chain subscribes at once, and the promise resolves when all have caught up.
   * `onProgress` gets the rows emitted so far over all chains; `opts` go to each chain
   * (a rate limit applies to each upstream read, as RisingWave's to each backfill executor).
   */
  async backfill(onProgress?: (p: BackfillProgress) => void, opts: Omit<BackfillOptions, 'onProgress'> = {}): Promise<void> {
    const done = this.chains.map(() => 0);
    const total = this.chains.map(() => 0);
    const report = (i: number, p: BackfillProgress) => {
      done[i] = p.done;
      total[i] = p.total;
      onProgress?.({ done: sum(done), total: sum(total) });
    };
    await Promise.all(this.chains.map((c, i) => c.backfill({ ...opts, onProgress: (p) => report(i, p) })));
  }

  /** The chains reading `upstream` (several when a query reads it more than once). */
  chainsReading(upstream: Executor): ChainExecutor[] {
    return this.chains.filter((c) => c.upstream === upstream);
  }

  /** State table ids this graph owns. */
  get tableIds(): number[] {
    const ids: number[] = [];
    for (let id = this.firstTableId; id < this.tables.nextId; id++) ids.push(id);
    return ids;
  }

  drop(): void {
    if (this.dropped) return;
    this.dropped = true;
    for (const c of this.chains) c.detach();
    for (const s of this.sources) this.manager.removeSource(s);
    for (const c of this.collectors) c.unregister();
    for (const id of this.tableIds) this.manager.store.dropTable(id);
  }
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
