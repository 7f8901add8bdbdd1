/**
 * Drives epochs (DESIGN §1/§4): injects a barrier into every registered source on an
 * interval (or on demand, for FLUSH), collects "epoch N committed" from every registered
 * collector (materialize executors, later sinks), and when all have reported N publishes N
 * to readers by committing it in the state store. Reads through the store's committed view
 * therefore see one epoch across every MV.
 *
 * Epochs are consecutive integers starting after the store's committed epoch, so a state
 * table created between barriers (whose writes default to `committedEpoch + 1`) is in the
 * epoch of the next barrier. Every `checkpointEvery`-th barrier is a checkpoint barrier.
 * Commits happen in epoch order even if collectors report out of order.
 */
import { Barrier, type Mutation } from '../message';
import type { BarrierInjectable } from '../executor/source';
import type { EpochCollector } from '../executor/materialize';
import type { StateStore } from '../state/store';

export interface BarrierManagerOptions {
  /** Barrier interval for `start()`, ms. */
  readonly intervalMs?: number;
  /** Every k-th barrier is a checkpoint (k = 1: all). */
  readonly checkpointEvery?: number;
  /** The clock barriers carry as NOW(), µs since the Unix epoch (tests inject a fake one). */
  readonly clock?: () => number;
}

/** The handle a collector reports through; `unregister` when its graph is dropped. */
export interface CollectorHandle extends EpochCollector {
  readonly id: number;
  unregister(): void;
}

interface Waiter {
  epoch: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class BarrierManager {
  readonly intervalMs: number;
  readonly checkpointEvery: number;
  private readonly clock: () => number;
  private readonly sources = new Set<BarrierInjectable>();
  private readonly collectors = new Set<number>();
  private nextCollectorId = 1;
  /** Last injected epoch. */
  private injected: number;
  /** Last epoch published to readers. */
  private committed: number;
  /** Injected, not yet committed epochs → collectors still to report. */
  private readonly inFlight = new Map<number, Set<number>>();
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private commitChain: Promise<void> = Promise.resolve();
  private readonly listeners: ((epoch: number) => void)[] = [];

  constructor(
    readonly store: StateStore,
    options: BarrierManagerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
    this.checkpointEvery = options.checkpointEvery ?? 10;
    this.clock = options.clock ?? (() => Date.now() * 1000);
    this.injected = store.committedEpoch;
    this.committed = store.committedEpoch;
  }

  get currentEpoch(): number {
    return this.injected;
  }

  get committedEpoch(): number {
    return this.committed;
  }

  /**
   * Whether the store holds new epochs back (StateStore.throttled: over its memory limit
   * with a checkpoint in flight). Sources that read ahead between barriers wait too.
   */
  get throttled(): boolean {
    return this.store.throttled === true;
  }

  addSource(source: BarrierInjectable): void {
    this.sources.add(source);
  }

  removeSource(source: BarrierInjectable): void {
    this.sources.delete(source);
  }

  registerCollector(): CollectorHandle {
    const id = this.nextCollectorId++;
    this.collectors.add(id);
    return {
      id,
      collect: (epoch: number) => this.collect(epoch, id),
      unregister: () => this.unregister(id),
    };
  }

  /** Called with each epoch once it is published to readers. */
  onCommit(listener: (epoch: number) => void): void {
    this.listeners.push(listener);
  }

  /** Injects the next barrier into every source (synchronously) and returns its epoch. */
  injectBarrier(mutation: Mutation | null = null): number {
    const epoch = ++this.injected;
    const checkpoint = epoch % this.checkpointEvery === 0;
    this.inFlight.set(epoch, new Set(this.collectors));
    const b = new Barrier(epoch, checkpoint, mutation, this.clock());
    for (const s of this.sources) s.injectBarrier(b);
    this.tryCommit();
    return epoch;
  }

  /** Resolves once `epoch` is published to readers. */
  waitForCommit(epoch: number): Promise<void> {
    if (epoch <= this.committed) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ epoch, resolve, reject }));
  }

  /** FLUSH: injects a barrier now and waits until it is committed (and durable). */
  async flush(): Promise<number> {
    const epoch = this.injectBarrier();
    await this.waitForCommit(epoch);
    await this.commitChain;
    return epoch;
  }

  /**
   * A timer's barrier: injects the next one unless the store holds new epochs back. Sources
   * pull at each barrier, so while the store is over its memory limit waiting for a
   * checkpoint (StateStore.throttled) a new epoch would only pin more state. FLUSH and
   * mutations call `injectBarrier` and are never held.
   */
  tick(): void {
    if (this.store.throttled !== true) this.injectBarrier();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private collect(epoch: number, id: number): void {
    const pending = this.inFlight.get(epoch);
    if (!pending) return; // collector registered after the barrier was injected
    pending.delete(id);
    this.tryCommit();
  }

  private unregister(id: number): void {
    this.collectors.delete(id);
    for (const pending of this.inFlight.values()) pending.delete(id);
    this.tryCommit();
  }

  /** Commits, in order, every leading in-flight epoch whose collectors have all reported. */
  private tryCommit(): void {
    for (;;) {
      const next = this.committed + 1;
      const pending = this.inFlight.get(next);
      if (!pending || pending.size > 0) return;
      this.inFlight.delete(next);
      this.committed = next;
      // Publishing is synchronous in the store's committed view; durability may lag, so
      // commits are chained to be awaited in order by flush().
      const done = this.store.commitEpoch(next);
      this.commitChain = this.commitChain.then(() => done);
      for (const l of this.listeners) l(next);
      const ready = this.waiters.filter((w) => w.epoch <= next);
      if (ready.length > 0) {
        this.waiters = this.waiters.filter((w) => w.epoch > next);
        for (const w of ready) done.then(w.resolve, w.reject);
      }
    }
  }
}
