/**
 * The end of a sink job (RisingWave's SinkExecutor): hands each chunk of changes to a
 * `SinkTarget` and, at each barrier, asks the target to commit the epoch. The epoch counts
 * as collected by this job only once the target's commit has finished, so FLUSH (and
 * readers' committed epoch) wait for the sink's writes like they wait for an MV's.
 *
 * Targets: a table (`CREATE SINK … INTO t`, written through the storage engine as DML is),
 * and later external systems (Redis, S3, Kafka, PostgreSQL). They all see the same
 * contract: `write` within the epoch, `commit` at its end, in epoch order.
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
}

/** What a sink target learns about the epoch it seals or commits. */
export interface SinkEpochInfo {
  /**
   * The barrier is a checkpoint: file targets roll over only here, and a replay restarts
   * here. Unset while checkpoints are decided by the state store rather than carried by
   * barriers: then every epoch counts as one.
   */
  readonly checkpoint?: boolean;
}

export type SinkMode = 'upsert' | 'append-only';

export interface SinkOptions {
  readonly types: readonly DataType[];
  readonly target: SinkTarget;
  readonly mode?: SinkMode;
  /** Reports "this job committed epoch N" once the target's commit of N finished. */
  readonly collector?: EpochCollector | null;
  /** Where a failed commit is reported (the epoch still completes; the sink goes on). */
  readonly errors?: EvalErrorReporter;
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
  /** The previous epoch's commit: commits run one after another, in epoch order. */
  private committing: Promise<void> = Promise.resolve();

  constructor(private readonly options: SinkOptions) {
    super();
    this.types = options.types;
    this.target = options.target;
    this.appendOnly = options.mode === 'append-only';
    this.collector = options.collector ?? null;
    this.builder = new StreamChunkBuilder(options.types);
  }

  protected onChunk(chunk: StreamChunk): void {
    if (this.muted) return;
    if (!this.appendOnly || onlyInserts(chunk)) {
      this.target.write(chunk);
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
      if (full) this.target.write(full);
    }
    const rest = b.take();
    if (rest) this.target.write(rest);
  }

  protected override onBarrier(b: Barrier): void {
    const epoch = b.epoch;
    const info: SinkEpochInfo = {};
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
}

function onlyInserts(chunk: StreamChunk): boolean {
  if (chunk.visibility !== null) return false;
  const ops = chunk.ops;
  for (let i = 0; i < ops.length; i++) if (ops[i] !== Op.Insert) return false;
  return true;
}
