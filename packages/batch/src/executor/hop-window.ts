/**
 * HOP(t, ts, slide, size [, offset]): each input row is emitted once per window of length
 * `size` (advancing by `slide`, shifted by `offset`) that contains its timestamp, with
 * window_start and window_end appended. Only the microsecond parts of the intervals are
 * used here (the binder rejects month/day-based slides and sizes).
 */
import type { Row } from '@freshet/common';
import { CHUNK_SIZE, type ChunkStream, type Executor, PAUSE } from '../executor';

export class HopWindowExecutor implements Executor {
  readonly name = 'BatchHopWindow';
  constructor(
    private readonly child: Executor,
    /** Index of the time column (timestamp or timestamptz, µs). */
    private readonly timeCol: number,
    private readonly slideUs: number,
    private readonly sizeUs: number,
    private readonly offsetUs: number,
  ) {}

  *execute(): ChunkStream {
    const { slideUs: slide, sizeUs: size, offsetUs: offset, timeCol } = this;
    const units = Math.ceil(size / slide);
    let out: Row[] = [];
    for (const chunk of this.child.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      for (const row of chunk) {
        const t = row[timeCol] as number | null;
        if (t === null) continue;
        // Start of the latest window beginning at or before t.
        const last = t - mod(t - offset, slide);
        for (let i = units - 1; i >= 0; i--) {
          const start = last - i * slide;
          if (start + size <= t) continue;
          out.push(row.concat([start, start + size]));
        }
      }
      if (out.length >= CHUNK_SIZE) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  }
}

function mod(a: number, b: number): number {
  const r = a % b;
  return r < 0 ? r + b : r;
}
