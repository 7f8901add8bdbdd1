/**
 * What flows between stream executors: data (`StreamChunk`), `Barrier`s that cut the
 * stream into epochs, and `Watermark`s that promise no later row has a smaller value in
 * a column. Messages are discriminated with `instanceof` (three classes, no wrapper
 * object per chunk).
 */
import type { DataType, Datum } from '@freshet/common';
import { StreamChunk } from '@freshet/common';

export { StreamChunk };

/**
 * A control instruction riding on a barrier, applied by every executor that sees it after
 * the barrier's epoch is committed (RisingWave's Mutation). `stop` tears a graph down
 * (DROP MATERIALIZED VIEW); `pause`/`resume` stop and restart sources.
 */
export type Mutation = { readonly kind: 'stop' } | { readonly kind: 'pause' } | { readonly kind: 'resume' };

/**
 * Closes epoch `epoch`: every chunk an executor received before this barrier belongs to
 * `epoch`, everything after it to a later epoch. Epochs are positive, strictly increasing
 * integers issued by the barrier manager. A checkpoint barrier additionally asks the
 * state store to make the epoch durable.
 *
 * `time` (µs since the Unix epoch, the timestamptz representation) is the value of NOW()
 * for the epoch that starts after this barrier: temporal filters expire rows against it,
 * so every operator of every graph sees the same clock at the same epoch.
 */
export class Barrier {
  constructor(
    readonly epoch: number,
    readonly checkpoint: boolean = false,
    readonly mutation: Mutation | null = null,
    readonly time: number = Date.now() * 1000,
  ) {}

  isStop(): boolean {
    return this.mutation?.kind === 'stop';
  }
}

/** No row with a smaller `value` in output column `column` will follow. */
export class Watermark {
  constructor(
    readonly column: number,
    readonly type: DataType,
    readonly value: Datum,
  ) {}

  withColumn(column: number): Watermark {
    return column === this.column ? this : new Watermark(column, this.type, this.value);
  }
}

export type Message = StreamChunk | Barrier | Watermark;
