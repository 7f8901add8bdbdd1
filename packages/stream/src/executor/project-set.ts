/**
 * A select list with set-returning functions (`SELECT unnest(a), x FROM t`,
 * `generate_series`), RisingWave's project_set.rs. Each input row expands to as many rows
 * as its longest sequence (shorter ones padded with NULL, PostgreSQL 10+ semantics); plain
 * items repeat. Output columns: `projected_row_id` (int64, the position within the
 * expansion — with the input's stream key it is the output's stream key), then the items.
 *
 * Every expanded row carries its input row's op; since the two halves of an update may
 * expand to different numbers of rows, U-/U+ become Delete/Insert.
 */
import { type DataType, type Datum, Op, OP_SIGN, type Row, type StreamChunk, StreamChunkBuilder, T } from '@freshet/common';
import { type EvalErrorReporter, defaultErrorReporter } from '../eval-errors';
import type { Watermark } from '../message';
import { UnaryExecutor } from './executor';

export type ProjectSetItem =
  | {
      readonly kind: 'scalar';
      readonly type: DataType;
      readonly eval: (row: Row) => Datum;
      /** The input column this item merely forwards (watermarks follow it); absent: computed. */
      readonly inputIndex?: number;
    }
  /** A set-returning call: the sequence of values for one input row. */
  | { readonly kind: 'set'; readonly type: DataType; readonly eval: (row: Row) => Iterable<Datum> };

export class ProjectSetExecutor extends UnaryExecutor {
  readonly name = 'StreamProjectSet';
  readonly types: readonly DataType[];
  private readonly builder: StreamChunkBuilder;
  private readonly scratch: Datum[];
  private readonly iters: (Iterator<Datum> | null)[];

  constructor(
    readonly items: readonly ProjectSetItem[],
    private readonly errors: EvalErrorReporter = defaultErrorReporter,
    chunkSize?: number,
  ) {
    super();
    this.types = [T.Int64, ...items.map((i) => i.type)];
    this.builder = new StreamChunkBuilder(this.types, chunkSize);
    this.scratch = new Array(items.length + 1);
    this.iters = new Array(items.length);
  }

  protected onChunk(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const items = this.items;
    const o = this.scratch;
    const iters = this.iters;
    const b = this.builder;
    const scalars: Datum[] = new Array(items.length);
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const row = chunk.row(i);
      const op = OP_SIGN[chunk.ops[i]] > 0 ? Op.Insert : Op.Delete;
      try {
        for (let j = 0; j < items.length; j++) {
          const it = items[j];
          if (it.kind === 'scalar') {
            scalars[j] = it.eval(row);
            iters[j] = null;
          } else iters[j] = it.eval(row)[Symbol.iterator]();
        }
      } catch (e) {
        // A failing set function yields no rows for this input row (its NULL analogue).
        this.errors.report('project set', e);
        continue;
      }
      for (let k = 0; ; k++) {
        let live = false;
        o[0] = BigInt(k);
        for (let j = 0; j < items.length; j++) {
          const it = iters[j];
          if (it === null) {
            o[j + 1] = items[j].kind === 'scalar' ? scalars[j] : null;
            continue;
          }
          const r = it.next();
          if (r.done) {
            iters[j] = null;
            o[j + 1] = null;
          } else {
            o[j + 1] = r.value;
            live = true;
          }
        }
        if (!live) break;
        this.emit(b.append(op, o));
      }
    }
    this.emit(b.take());
  }

  /** Item j is output column j + 1: a watermark survives on the items forwarding its column. */
  protected override onWatermark(w: Watermark): void {
    for (let j = 0; j < this.items.length; j++) {
      const it = this.items[j];
      if (it.kind === 'scalar' && it.inputIndex === w.column) this.out.push(w.withColumn(j + 1));
    }
  }
}
