/**
 * Reads an upstream MV or table for a new stream graph (RisingWave's StreamTableScan /
 * Chain): first its current rows as Inserts (the snapshot), then every later change.
 *
 * Why this is exact without a backfill protocol: the engine is single-threaded and
 * executors push synchronously, so between two messages nothing is in flight. `start()`
 * copies the upstream table's working view — everything the upstream has forwarded so
 * far — and only then subscribes to the upstream, so each change is seen exactly once,
 * either in the snapshot or as a message. The snapshot's writes belong to the epoch in
 * progress, which the next barrier commits. A snapshot bigger than memory, or an upstream
 * on another thread, will need RisingWave's chunked backfill instead.
 */
import { type DataType, Op, type Row, type StreamChunk, StreamChunkBuilder } from '@freshet/common';
import type { Barrier } from '../message';
import { Executor, UnaryExecutor } from './executor';

export interface ChainOptions {
  /** The upstream executor to subscribe to (usually a MaterializeExecutor). */
  readonly upstream: Executor;
  /** Its current rows (the upstream table's working view). */
  readonly snapshot: () => Iterable<Row>;
  /** Upstream columns to output, in order (default: all). */
  readonly columns?: readonly number[];
  readonly chunkSize?: number;
}

export class ChainExecutor extends UnaryExecutor {
  readonly name = 'StreamTableScan';
  readonly types: readonly DataType[];
  private readonly columns: readonly number[] | null;
  private started = false;

  constructor(private readonly options: ChainOptions) {
    super();
    const up = options.upstream.types;
    this.columns = options.columns ?? null;
    this.types = this.columns ? this.columns.map((c) => up[c]) : up;
  }

  /** Emits the snapshot, then subscribes to the upstream. Call once the graph below is connected. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const b = new StreamChunkBuilder(this.types, this.options.chunkSize);
    const cols = this.columns;
    for (const row of this.options.snapshot()) {
      this.emit(b.append(Op.Insert, cols ? cols.map((c) => row[c]) : row));
    }
    this.emit(b.take());
    this.options.upstream.connect(this);
  }

  /** Unsubscribes from the upstream (DROP of this graph). */
  detach(): void {
    this.options.upstream.disconnect(this);
  }

  protected onChunk(chunk: StreamChunk): void {
    this.emit(this.columns ? chunk.withColumns(this.columns.map((c) => chunk.columns[c])) : chunk);
  }

  protected override onBarrier(b: Barrier): void {
    this.passBarrier(b);
  }
}
