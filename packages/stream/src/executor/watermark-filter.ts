/**
 * `WATERMARK FOR col AS expr` of a table (RisingWave's watermark_filter.rs): generates the
 * watermarks of `col` from the data and drops late rows.
 *
 * Per chunk, in RisingWave's order:
 *   1. rows whose `col` is below the current watermark (or NULL once a watermark exists)
 *      are late and dropped — judged against the watermark *before* this chunk, so a chunk
 *      never drops its own rows;
 *   2. the watermark becomes the maximum of `expr` over the rows kept, if that is larger;
 *   3. the chunk goes on, then the new watermark (downstream never sees a watermark ahead
 *      of rows that it still has to cover).
 *
 * The watermark only grows, so every downstream may discard state below it. Watermarks
 * arriving from upstream on `col` are superseded by the ones generated here.
 */
import { type DataType, type Datum, type StreamChunk, compareDatum } from '@freshet/common';
import type { StreamExpr } from '../expr';
import { Watermark } from '../message';
import { UnaryExecutor } from './executor';

export interface WatermarkFilterOptions {
  readonly types: readonly DataType[];
  /** The watermark column. */
  readonly column: number;
  /** The watermark expression over the input row; its type is the column's. */
  readonly expr: StreamExpr;
}

/**
 * The pure core: the chunk without rows late for `current` (null: no watermark yet), and
 * the maximum of the watermark expression over the rows kept (null if none / all NULL).
 */
export function watermarkFilterChunk(
  chunk: StreamChunk,
  column: number,
  expr: StreamExpr,
  current: Datum,
): { chunk: StreamChunk | null; max: Datum } {
  const type = chunk.columns[column].type;
  const n = chunk.capacity;
  const inVis = chunk.visibility;
  let vis: Uint8Array | null = null;
  let kept = 0;
  if (current !== null) {
    vis = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (inVis !== null && inVis[i] === 0) continue;
      const v = chunk.datum(column, i);
      if (v === null || compareDatum(type, v, current) < 0) continue;
      vis[i] = 1;
      kept++;
    }
    if (kept === 0) return { chunk: null, max: null };
  } else {
    kept = chunk.cardinality;
  }
  const out = vis === null ? chunk : kept === n ? chunk.withVisibility(null) : chunk.withVisibility(vis);
  const values = expr.eval(out);
  const outVis = out.visibility;
  let max: Datum = null;
  for (let i = 0; i < n; i++) {
    if (outVis !== null && outVis[i] === 0) continue;
    const v = values.get(i);
    if (v !== null && (max === null || compareDatum(type, v, max) > 0)) max = v;
  }
  return { chunk: out, max };
}

export class WatermarkFilterExecutor extends UnaryExecutor {
  readonly name = 'StreamWatermarkFilter';
  readonly types: readonly DataType[];
  /** The current watermark; null until the first non-NULL watermark value. */
  private current: Datum = null;

  constructor(private readonly options: WatermarkFilterOptions) {
    super();
    this.types = options.types;
  }

  /** The current watermark (null: none yet). */
  get watermark(): Datum {
    return this.current;
  }

  protected onChunk(chunk: StreamChunk): void {
    const { column, expr } = this.options;
    const r = watermarkFilterChunk(chunk, column, expr, this.current);
    this.emit(r.chunk);
    if (r.max !== null && (this.current === null || compareDatum(this.types[column], r.max, this.current) > 0)) {
      this.current = r.max;
      this.out.push(new Watermark(column, this.types[column], r.max));
    }
  }

  protected override onWatermark(w: Watermark): void {
    if (w.column !== this.options.column) this.out.push(w);
  }
}
