/**
 * The executor contract. Executors form a push graph: an upstream calls `push(message)`
 * on its downstream synchronously, so a chunk travels source → … → materialize in one
 * call stack with no `await`, promise or closure per row or per message.
 *
 * Each operator is a class in its own file with two layers (RisingWave's filter.rs /
 * hash_agg.rs): a pure, chunk-in/chunk-out core (exported where it stands alone, e.g.
 * `filterChunk`) and the message loop inherited from here, which routes chunks to the
 * core and handles barriers and watermarks. Stateful operators end an epoch in one fixed
 * order, implemented once in `StatefulExecutor.onBarrier`:
 *
 *   1. flush: emit the changes this epoch caused (dirty groups, buffered rows);
 *   2. commit every state table for the barrier's epoch;
 *   3. emit the watermarks that became safe in this epoch;
 *   4. pass the barrier on;
 *   5. post-commit work (cache eviction, applying a stop mutation).
 *
 * Why this order: a downstream that sees barrier N must already have every change of
 * epoch N (1 before 4), and the state those changes came from must belong to epoch N in
 * the store before anyone can observe N as finished (2 before 4) — a checkpoint of N then
 * holds exactly the state that produced the output up to N. Watermarks go after the
 * flush so that a downstream never sees a watermark ahead of rows it still has to cover.
 */
import { type DataType, StreamChunk } from '@freshet/common';
import { Barrier, type Message, type Watermark } from '../message';
import type { StateTable } from '../state/state-table';

export interface Output {
  push(msg: Message): void;
}

/** Discards everything (an executor with no downstream yet). */
const DROP: Output = { push() {} };

/** Sends every message to several downstreams in order (a broadcast dispatcher). */
class Broadcast implements Output {
  constructor(readonly outputs: Output[]) {}
  push(msg: Message): void {
    for (let i = 0; i < this.outputs.length; i++) this.outputs[i].push(msg);
  }
}

export abstract class Executor {
  /** Operator name as EXPLAIN prints it (`StreamHashAgg`). */
  abstract readonly name: string;
  /** Output column types. */
  abstract readonly types: readonly DataType[];
  protected out: Output = DROP;
  /** Set once a stop mutation has passed: later messages are dropped. */
  protected stopped = false;

  /** Adds a downstream (several make a broadcast). Returns it, for chaining. */
  connect<T extends Output>(downstream: T): T {
    if (this.out === DROP) this.out = downstream;
    else if (this.out instanceof Broadcast) this.out.outputs.push(downstream);
    else this.out = new Broadcast([this.out, downstream]);
    return downstream;
  }

  /** Removes a downstream (dropping one MV that shares this executor). */
  disconnect(downstream: Output): void {
    if (this.out === downstream) this.out = DROP;
    else if (this.out instanceof Broadcast) {
      const rest = this.out.outputs.filter((o) => o !== downstream);
      this.out = rest.length === 0 ? DROP : rest.length === 1 ? rest[0] : new Broadcast(rest);
    }
  }

  /** Forwards a chunk unless it is null or has no visible rows. */
  protected emit(chunk: StreamChunk | null): void {
    if (chunk === null) return;
    if (chunk.visibility !== null && chunk.cardinality === 0) return;
    this.out.push(chunk);
  }

  protected passBarrier(b: Barrier): void {
    this.out.push(b);
    if (b.isStop()) this.stopped = true;
  }
}

/** A one-input executor: the message loop dispatching to chunk/barrier/watermark handlers. */
export abstract class UnaryExecutor extends Executor implements Output {
  push(msg: Message): void {
    if (this.stopped) return;
    if (msg instanceof StreamChunk) this.onChunk(msg);
    else if (msg instanceof Barrier) this.onBarrier(msg);
    else this.onWatermark(msg);
  }

  protected abstract onChunk(chunk: StreamChunk): void;

  protected onBarrier(b: Barrier): void {
    this.passBarrier(b);
  }

  protected onWatermark(w: Watermark): void {
    this.out.push(w);
  }
}

/**
 * The epoch-ending order shared by every stateful operator (see the file comment).
 * Subclasses supply `flush` and `stateTables`, and may queue watermarks in
 * `pendingWatermarks` from `onWatermark`.
 */
export function endEpoch(
  self: { flush(): void; stateTables(): readonly StateTable[]; afterCommit(b: Barrier): void },
  b: Barrier,
  pendingWatermarks: Watermark[],
  out: Output,
): void {
  self.flush();
  const tables = self.stateTables();
  for (let i = 0; i < tables.length; i++) tables[i].commit(b.epoch);
  for (let i = 0; i < pendingWatermarks.length; i++) out.push(pendingWatermarks[i]);
  pendingWatermarks.length = 0;
  out.push(b);
  self.afterCommit(b);
}

export abstract class StatefulExecutor extends UnaryExecutor {
  protected readonly pendingWatermarks: Watermark[] = [];

  /** Emits the changes of the closing epoch. */
  abstract flush(): void;
  abstract stateTables(): readonly StateTable[];
  /** Post-commit work; the default handles the stop mutation. */
  afterCommit(b: Barrier): void {
    if (b.isStop()) this.stopped = true;
  }

  protected override onBarrier(b: Barrier): void {
    endEpoch(this, b, this.pendingWatermarks, this.out);
  }
}
