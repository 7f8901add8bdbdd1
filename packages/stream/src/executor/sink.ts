/**
 * The end of a sink job (RisingWave's SinkExecutor), in one of two ways:
 *
 * - **Coupled** (tables, blackhole): hands each chunk to a `SinkTarget` and, at each
 *   barrier, asks it to commit the epoch. The epoch counts as collected by this job only
 *   once the target's commit has finished, so FLUSH (and readers' committed epoch) wait for
 *   the sink's writes like they wait for an MV's. A sink into a table must be coupled: the
 *   table's own DML stream carries its rows on.
 * - **Decoupled** (external connectors; RisingWave's `sink_decouple`): each chunk goes to the
 *   sink's log store (sink-log.ts, a state table in every checkpoint) and the epoch is
 *   collected at once, so a slow or dead target never holds another job's epoch. The
 *   target is fed from the log in the background (`advance`, called as epochs commit), in
 *   epoch order, a run of epochs per commit: upsert targets as soon as epochs are committed
 *   (an early write is harmless, a replay overwrites it), file targets only up to durable
 *   checkpoints (`commitOn = 'checkpoint'`). Entries leave the log once the target holds
 *   them (`flushedEpoch`). After a crash the job is restored with its log: the target gets
 *   what it had not taken by the checkpoint, then the changes the upstream recomputes after
 *   it. Back-pressure is bounded: past `maxPendingRows` rows in the log, the sink holds its
 *   epochs again (every job waits) until the target catches up.
 *
 * Modes, as RisingWave's sink options:
 * - `upsert` (default): every change goes to the target (deletes, U-/U+ pairs);
 * - `append-only` (`type = 'append-only'`, the input never retracts; `force_append_only`,
 *   `ignore_delete`): deletes and U- rows are dropped and U+ becomes an insert, so an
 *   update reaches the target as a plain insert (the target's conflict handling decides).
 */
import { Op, type DataType, type StreamChunk, StreamChunkBuilder } from '@freshet/common';
import { type EvalErrorReporter, defaultErrorReporter } from '../eval-errors';
import type { Barrier } from '../message';
import type { EpochCollector } from './materialize';
import { UnaryExecutor } from './executor';
import { SinkLog } from './sink-log';
import type { StateTable } from '../state/state-table';

/** Where a sink's changes go. */
export interface SinkTarget {
  /** One chunk of the epoch's changes (already reduced to inserts in append-only mode). */
  write(chunk: StreamChunk): void;
  /**
   * The barrier of `epoch` passed: the target takes the epoch's writes as one batch, now,
   * so writes of later epochs (arriving while this one is still being committed) stay out
   * of it. Called synchronously, in epoch order, before `commit(epoch)`.
   */
  seal?(epoch: number, info: SinkEpochInfo): void;
  /** The epoch is complete: make its writes durable / visible. Called in epoch order. */
  commit(epoch: number, info: SinkEpochInfo): void | Promise<void>;
  /**
   * The sink was dropped or the server is stopping: release connections. A promise
   * settles once what the target still buffered is delivered (or given up).
   */
  close?(): void | Promise<void>;
  /**
   * The node is going away without a clean stop (an embedded node closed as a crash): stop
   * at once, deliver nothing more — not even what is buffered — and release connections.
   * What was not delivered is replayed from the checkpointed log by the next start.
   */
  abandon?(): void;
  /**
   * Decoupled sinks: when the log hands epochs over. `epoch` (default): as soon as they are
   * committed — for targets where an early write is harmless because a replay overwrites
   * it (upserts by key). `checkpoint`: only epochs covered by a durable checkpoint, always
   * with `checkpoint: true` — for targets whose writes a replay could not take back
   * (append-only files).
   */
  readonly commitOn?: 'epoch' | 'checkpoint';
  /**
   * Every epoch ≤ this is in the target, so the log may forget it. A target that buffers
   * rows across commits (a file waiting for its rollover) keeps it behind what it was
   * handed; unset: whatever `commit` returned for is in the target.
   */
  readonly flushedEpoch?: number;
  /** The last attempt to reach the target failed and is being retried (FLUSH does not wait for it). */
  readonly failing?: boolean;
}

/** What a sink target learns about the epoch it seals or commits. */
export interface SinkEpochInfo {
  /**
   * The barrier is a checkpoint: file targets roll over only here, and a replay restarts
   * here. Unset while checkpoints are decided by the state store rather than carried by
   * barriers: then every epoch counts as one.
   */
  readonly checkpoint?: boolean;
  /** When the epoch's first row reached the sink, ms since the Unix epoch (kept in the log: the same after a replay). */
  readonly time?: number;
}

export type SinkMode = 'upsert' | 'append-only';

/** A decoupled sink's log store (sink-log.ts). */
export interface SinkLogOptions {
  /** The log's state table: pk (epoch, seq), columns `SINK_LOG_KEY_TYPES` + the sink's. */
  readonly table: StateTable;
  /**
   * Back-pressure bound: while more rows than this wait in the log and some of them could
   * be delivered, the sink holds its epochs like a coupled sink (every job waits).
   */
  readonly maxPendingRows?: number;
}

/** Rows a decoupled sink buffers before it holds epochs (a few hundred MB of state at most). */
export const DEFAULT_SINK_LOG_MAX_ROWS = 1_000_000;

export interface SinkOptions {
  readonly types: readonly DataType[];
  readonly target: SinkTarget;
  readonly mode?: SinkMode;
  /** Reports "this job committed epoch N" once the target's commit of N finished. */
  readonly collector?: EpochCollector | null;
  /** Where a failed commit is reported (the epoch still completes; the sink goes on). */
  readonly errors?: EvalErrorReporter;
  /**
   * Decouples the sink from the epochs of every other job (RisingWave's `sink_decouple`):
   * the epoch is collected as soon as its changes are in the log, and the target is fed
   * from the log in the background (`advance`). Absent: coupled, the epoch completes only
   * once the target committed it.
   */
  readonly log?: SinkLogOptions | null;
}

export class SinkExecutor extends UnaryExecutor {
  readonly name = 'StreamSink';
  readonly types: readonly DataType[];
  private readonly target: SinkTarget;
  private readonly appendOnly: boolean;
  private readonly collector: EpochCollector | null;
  private readonly builder: StreamChunkBuilder;
  /**
   * While true, chunks are dropped: a job rebuilt at startup replays its backfill, whose
   * output the target already received before the restart (set around the backfill).
   */
  muted = false;
  /** Set by `muteUntilBarrier`: the next barrier ends the mute. */
  private unmuteAtBarrier = false;
  /** The previous epoch's commit: commits run one after another, in epoch order. */
  private committing: Promise<void> = Promise.resolve();
  /** Decoupled: the log, and the delivery loop's state. */
  private readonly log: SinkLog | null;
  private readonly maxPendingRows: number;
  private readonly byCheckpoint: boolean;
  private committedEpoch = 0;
  private durableEpoch = 0;
  /** Epochs whose barrier passed but which are held (back-pressure), oldest first. */
  private readonly held: number[] = [];
  /** The last epoch handed to `target.commit` (and returned). */
  private delivered = 0;
  /** A checkpoint target may commit again only once a checkpoint holds the last truncation. */
  private truncatedAt = 0;
  private pumping = false;
  private closed = false;

  constructor(private readonly options: SinkOptions) {
    super();
    this.types = options.types;
    this.target = options.target;
    this.appendOnly = options.mode === 'append-only';
    this.collector = options.collector ?? null;
    this.builder = new StreamChunkBuilder(options.types);
    this.log = options.log ? new SinkLog(options.log.table, options.types) : null;
    this.maxPendingRows = options.log?.maxPendingRows ?? DEFAULT_SINK_LOG_MAX_ROWS;
    this.byCheckpoint = options.target.commitOn === 'checkpoint';
  }

  /** Rows in the log the target has not taken yet (0 when coupled). */
  get pendingRows(): number {
    return this.log?.pendingRows ?? 0;
  }

  /** The last epoch the target took (decoupled). */
  get deliveredEpoch(): number {
    return this.delivered;
  }

  protected onChunk(chunk: StreamChunk): void {
    if (this.muted) return;
    if (!this.appendOnly || onlyInserts(chunk)) {
      this.hand(chunk);
      return;
    }
    // Append-only: the inserts, with U+ rows as inserts; deletes and U- rows dropped.
    const b = this.builder;
    const n = chunk.capacity;
    const vis = chunk.visibility;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const op = chunk.ops[i];
      if (op !== Op.Insert && op !== Op.UpdateInsert) continue;
      const full = b.appendFrom(Op.Insert, chunk.columns, i);
      if (full) this.hand(full);
    }
    const rest = b.take();
    if (rest) this.hand(rest);
  }

  private hand(chunk: StreamChunk): void {
    if (this.log) this.log.append(chunk, this.log.workingEpoch);
    else this.target.write(chunk);
  }

  /**
   * Drops every chunk until the next barrier. A job rebuilt at startup replays its backfill,
   * whose output the target received before the restart, and its stateful operators emit
   * that output only when they flush at the barrier: muting just while the snapshot is
   * pushed let an aggregation's whole result through again after every restart (and made
   * the changes after the restart indistinguishable from it). The caller injects the
   * barrier right after the snapshot, so no later change falls in the muted epoch.
   */
  muteUntilBarrier(): void {
    this.muted = true;
    this.unmuteAtBarrier = true;
  }

  protected override onBarrier(b: Barrier): void {
    if (this.unmuteAtBarrier) {
      this.unmuteAtBarrier = false;
      this.muted = false;
    }
    const epoch = b.epoch;
    if (this.log) {
      this.log.seal(epoch);
      // Collected now unless the log is over its bound with something deliverable.
      if (this.held.length > 0 || this.mustHold()) this.held.push(epoch);
      else this.collector?.collect(epoch);
      this.passBarrier(b);
      if (b.isStop()) this.close();
      return;
    }
    const info: SinkEpochInfo = { time: Math.floor(b.time / 1000) };
    this.target.seal?.(epoch, info);
    // Committed after this call stack (the barrier is still travelling through other
    // jobs): a target that writes a table must not re-enter the graph mid-barrier.
    this.committing = this.committing
      .then(() => this.target.commit(epoch, info))
      .catch((e) => (this.options.errors ?? defaultErrorReporter).report('sink commit', e))
      .then(() => this.collector?.collect(epoch));
    this.passBarrier(b);
    if (b.isStop()) void this.target.close?.();
  }

  /**
   * Decoupled: epoch `committed` is published (every job has it) and `durable` is the
   * last durable checkpoint (in memory mode, the committed epoch). Feeds the target.
   */
  advance(committed: number, durable: number): void {
    if (!this.log || this.closed) return;
    this.committedEpoch = Math.max(this.committedEpoch, committed);
    this.durableEpoch = Math.max(this.durableEpoch, durable);
    void this.pump();
  }

  /**
   * Resolves once the target took every epoch ≤ `epoch` — or at once when the sink is
   * coupled (its epochs were committed with the target), closed, or its target is failing
   * (FLUSH must not hang on a dead sink; the log keeps the rows).
   */
  async waitDelivered(epoch: number, pollMs = 20): Promise<void> {
    const log = this.log;
    if (!log) return;
    while (!this.closed && !this.target.failing && (log.rowsUpTo(epoch) > 0 || (this.pumping && this.delivered < epoch))) {
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Rows of epochs ≤ `epoch` wait for a durable checkpoint (a file target): FLUSH takes one. */
  waitsForCheckpoint(epoch: number): boolean {
    return this.byCheckpoint && !this.closed && this.log !== null && this.log.rowsUpTo(epoch) > 0 && this.bound() < epoch;
  }

  /** Stops feeding the target at once, delivering nothing more (see `SinkTarget.abandon`). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.target.abandon) this.target.abandon();
    else void Promise.resolve(this.target.close?.()).catch(() => {});
  }

  /** Stops feeding the target and closes it (DROP SINK, server stop). */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return Promise.resolve(this.target.close?.());
  }

  /**
   * The last epoch the log may hand over now. A checkpoint target: up to the durable
   * checkpoint, and past it up to the first epoch whose rows are not durable yet (committed
   * epochs without rows hold nothing a replay could cut differently, and a file waiting for
   * its rollover needs commits while the input is idle and checkpoints have nothing new).
   */
  private bound(): number {
    if (!this.byCheckpoint) return this.committedEpoch;
    const firstNotDurable = this.log!.firstQueuedAfter(this.durableEpoch);
    return Math.max(this.durableEpoch, Math.min(this.committedEpoch, firstNotDurable - 1));
  }

  /**
   * Over the bound, and holding helps: a delivery is in flight or rows wait that the target
   * may take now. (Never when draining needs a later checkpoint or epoch: holding would
   * stop those too.)
   */
  private mustHold(): boolean {
    const log = this.log!;
    if (log.pendingRows <= this.maxPendingRows) return false;
    if (this.pumping) return true;
    if (this.byCheckpoint && this.truncatedAt > this.durableEpoch) return false;
    return log.rowsUpTo(this.bound()) > 0;
  }

  private releaseHeld(): void {
    while (this.held.length > 0 && !this.mustHold()) this.collector?.collect(this.held.shift()!);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    const log = this.log!;
    try {
      while (!this.closed) {
        const upTo = Math.min(this.bound(), log.sealedEpoch);
        if (upTo <= this.delivered) break;
        // A file target's next file waits until a checkpoint holds the last truncation:
        // a replay then never finds two files it would cut differently.
        if (this.byCheckpoint && this.truncatedAt > this.durableEpoch) break;
        const epochs = log.take(upTo);
        if (epochs.length === 0 && !this.byCheckpoint) {
          this.delivered = upTo;
          continue;
        }
        const target = this.target;
        for (const e of epochs) {
          for (const c of e.chunks) target.write(c);
          // A file target learns each epoch (its file is named by the first one with rows);
          // an upsert target takes the whole run as one batch (the last change per key wins).
          if (this.byCheckpoint && e.epoch < upTo) target.seal?.(e.epoch, { checkpoint: false, time: e.time });
        }
        const info: SinkEpochInfo = { checkpoint: this.byCheckpoint ? true : undefined, time: epochs.length > 0 ? epochs[epochs.length - 1].time : undefined };
        target.seal?.(upTo, info);
        try {
          await target.commit(upTo, info);
        } catch (e) {
          (this.options.errors ?? defaultErrorReporter).report('sink commit', e);
        }
        if (this.closed) break;
        this.delivered = upTo;
        const flushed = Math.min(target.flushedEpoch ?? upTo, upTo);
        if (log.truncate(flushed) && this.byCheckpoint) this.truncatedAt = log.workingEpoch;
        this.releaseHeld();
      }
    } finally {
      this.pumping = false;
    }
    this.releaseHeld();
  }
}

function onlyInserts(chunk: StreamChunk): boolean {
  if (chunk.visibility !== null) return false;
  const ops = chunk.ops;
  for (let i = 0; i < ops.length; i++) if (ops[i] !== Op.Insert) return false;
  return true;
}
