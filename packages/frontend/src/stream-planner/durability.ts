/**
 * What the streaming engine adds to make MV state durable (issue 4; design in
 * docs/durability.md). The storage engine provides the durable state store and the table
 * change log; this class tells each checkpoint what it contains:
 *
 * - `seq`: the last table change-log seq whose changes are in the checkpoint's state. It is
 *   read when the checkpoint's barrier is *injected* (`SeqBarrierManager`): storage applies a
 *   commit group and pushes its changes into the sources in one synchronous step, and a
 *   barrier injection is another, so every group is either before the barrier (in the
 *   epoch, ≤ seq) or after it (replayed by recovery, > seq).
 * - `info.jobs`: the MVs whose state in the checkpoint is complete, i.e. whose backfill had
 *   finished by the checkpoint's epoch. Recovery restores those from state and rebuilds
 *   the others by backfill.
 */
import { BarrierManager, type BarrierManagerOptions, type Mutation, type StateStore } from '@freshet/stream';
import type { DurableStateStore, StorageEngine } from '@freshet/storage';
import type { SourcePosition } from '@freshet/connectors';
import { SourceCheckpoints } from './sources';

/** The checkpoint record's `info` as the streaming engine writes it. */
export interface StreamCheckpointInfo {
  /** Ids of the MVs whose state is complete in the checkpoint. */
  readonly jobs: number[];
  /** Connector source positions at the checkpoint, by executor key (sources.ts). */
  readonly sources?: Record<string, SourcePosition>;
  /**
   * The state layout (StateTableAllocator.layout) of each job in `jobs`, by id: recovery
   * restores a job only into a graph with the same layout. Absent in checkpoints of older
   * versions, whose MVs are therefore rebuilt.
   */
  readonly layouts?: Record<string, string>;
}

/** A barrier manager that remembers the storage change-log seq at each barrier it injects. */
export class SeqBarrierManager extends BarrierManager {
  private readonly seqs = new Map<number, number>();

  constructor(
    store: StateStore,
    private readonly storage: StorageEngine,
    options?: BarrierManagerOptions,
  ) {
    super(store, options);
  }

  override injectBarrier(mutation: Mutation | null = null): number {
    // Recorded before the barrier goes out: injecting may commit the epoch synchronously.
    this.seqs.set(this.currentEpoch + 1, this.storage.appliedSeq);
    return super.injectBarrier(mutation);
  }

  /** The seq at barrier `epoch` (forgets it and every older one). */
  takeSeq(epoch: number): number {
    const seq = this.seqs.get(epoch);
    for (const e of this.seqs.keys()) if (e <= epoch) this.seqs.delete(e);
    return seq ?? this.storage.appliedSeq;
  }
}

export class StreamDurability {
  /** MV id → first epoch whose state includes its whole backfill. */
  private readonly ready = new Map<number, number>();
  /** MV id → its graph's state layout (StateTableAllocator.layout). */
  private readonly layouts = new Map<number, string>();
  /** Source executors' positions, stored with each checkpoint and restored from it. */
  readonly sources = new SourceCheckpoints(() => (this.store.recovered?.info as StreamCheckpointInfo | null)?.sources);

  constructor(
    readonly store: DurableStateStore,
    private readonly manager: SeqBarrierManager,
  ) {
    store.setCheckpointSource((epoch) => ({ seq: manager.takeSeq(epoch), info: this.info(epoch) }));
  }

  /** The checkpoint recovery starts from, if any. */
  get recovered(): { epoch: number; seq: number; jobs: ReadonlySet<number>; layouts: ReadonlyMap<number, string> } | null {
    const r = this.store.recovered;
    if (!r) return null;
    const info = r.info as StreamCheckpointInfo | null;
    const layouts = new Map(Object.entries(info?.layouts ?? {}).map(([id, layout]) => [Number(id), layout]));
    return { epoch: r.epoch, seq: r.seq, jobs: new Set(info?.jobs ?? []), layouts };
  }

  /** A job started; its state is complete from the epoch in progress when `backfilled` resolves. */
  jobStarted(id: number, backfilled: Promise<void>, layout: string): void {
    this.layouts.set(id, layout);
    backfilled.then(
      () => {
        if (!this.ready.has(id)) this.ready.set(id, this.manager.currentEpoch + 1);
      },
      () => {},
    );
  }

  /** A job restored from the checkpoint is complete from the start. */
  jobRestored(id: number, layout: string): void {
    this.layouts.set(id, layout);
    this.ready.set(id, 0);
  }

  jobDropped(id: number): void {
    this.ready.delete(id);
    this.layouts.delete(id);
  }

  private info(epoch: number): StreamCheckpointInfo {
    const jobs: number[] = [];
    const layouts: Record<string, string> = {};
    for (const [id, from] of this.ready) {
      const layout = this.layouts.get(id);
      if (from > epoch || layout === undefined) continue;
      jobs.push(id);
      layouts[id] = layout;
    }
    return { jobs: jobs.sort((a, b) => a - b), sources: this.sources.at(epoch), layouts };
  }
}

/** A job's checkpointed state does not fit the graph this version builds for it. */
export class StateLayoutChanged extends Error {}

/**
 * Recovery: refuses to restore `rel`'s job when its rebuilt graph's state layout differs
 * from the one the checkpoint recorded (or none was recorded: a checkpoint of an older
 * version). Restoring anyway would read one operator's rows as another's; the caller
 * rebuilds the job from its upstreams instead.
 */
export function checkRestoredLayout(rel: { readonly name: string }, layout: string, recorded: string | undefined): void {
  if (recorded === layout) return;
  throw new StateLayoutChanged(
    recorded === undefined
      ? `the checkpoint (from an older version) does not record the layout of ${rel.name}'s state`
      : `${rel.name}'s state was written for a different plan (state layout ${recorded}, now ${layout})`,
  );
}
