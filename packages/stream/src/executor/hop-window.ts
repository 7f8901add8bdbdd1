/**
 * HOP(t, ts, slide, size [, offset]) over a stream (RisingWave's hop_window.rs): each row
 * is emitted once per window of length `size` (advancing by `slide`, shifted by `offset`)
 * that contains its timestamp, with window_start and window_end appended. Rows with a
 * NULL timestamp belong to no window. Window bounds are computed exactly as the batch
 * executor does (µs arithmetic; month/day intervals are rejected by the binder), so a hop
 * MV equals the batch query. An update may change the windows a row is in, so U-/U+
 * become Delete/Insert.
 *
 * TUMBLE needs no executor: it is a projection of `tumble_start(ts, size)`.
 */
import { type DataType, Op, OP_SIGN, type StreamChunk, StreamChunkBuilder } from '@freshet/common';
import { Watermark } from '../message';
import { UnaryExecutor } from './executor';

export interface HopWindowOptions {
  readonly types: readonly DataType[];
  /** The time column (timestamp or timestamptz, µs). */
  readonly timeColumn: number;
  readonly slideUs: number;
  readonly sizeUs: number;
  readonly offsetUs?: number;
  readonly chunkSize?: number;
}

export class HopWindowExecutor extends UnaryExecutor {
  readonly name = 'StreamHopWindow';
  readonly types: readonly DataType[];
  private readonly builder: StreamChunkBuilder;
  private readonly width: number;

  constructor(private readonly options: HopWindowOptions) {
    super();
    const t = options.types[options.timeColumn];
    this.types = [...options.types, t, t];
    this.width = options.types.length;
    this.builder = new StreamChunkBuilder(this.types, options.chunkSize);
  }

  protected onChunk(chunk: StreamChunk): void {
    const { slideUs: slide, sizeUs: size, timeColumn } = this.options;
    const offset = this.options.offsetUs ?? 0;
    const units = Math.ceil(size / slide);
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const b = this.builder;
    const w = this.width;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const t = chunk.datum(timeColumn, i) as number | null;
      if (t === null) continue;
      const op = OP_SIGN[chunk.ops[i]] > 0 ? Op.Insert : Op.Delete;
      const row = chunk.row(i);
      row.length = w + 2;
      // Start of the latest window beginning at or before t.
      const last = t - mod(t - offset, slide);
      for (let k = units - 1; k >= 0; k--) {
        const start = last - k * slide;
        if (start + size <= t) continue;
        row[w] = start;
        row[w + 1] = start + size;
        this.emit(b.append(op, row));
      }
    }
    this.emit(b.take());
  }

  /**
   * Input columns keep their positions, so a watermark passes through unchanged. One on
   * the time column also bounds window_start and window_end (RisingWave derives both):
   * every later row has time >= w, so its earliest window starts at or after the earliest
   * window containing w.
   */
  protected override onWatermark(w: Watermark): void {
    this.out.push(w);
    if (w.column !== this.options.timeColumn || w.value === null) return;
    const { slideUs: slide, sizeUs: size } = this.options;
    const t = w.value as number;
    const last = t - mod(t - (this.options.offsetUs ?? 0), slide);
    let start = last;
    while (start - slide + size > t) start -= slide;
    this.out.push(new Watermark(this.width, w.type, start));
    this.out.push(new Watermark(this.width + 1, w.type, start + size));
  }
}

function mod(a: number, b: number): number {
  const r = a % b;
  return r < 0 ? r + b : r;
}
