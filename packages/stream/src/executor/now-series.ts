/**
 * `generate_series(start, now() [± …], step)` in FROM (RisingWave's StreamNow in
 * generate-series mode): an append-only source that, at each barrier, emits the series'
 * values from where it stopped up to the barrier's NOW(). The value is the stream key
 * (the series strictly increases). The next value to emit is kept in a one-row state
 * table, so a job restored from a checkpoint continues where the checkpoint left off.
 */
import { type DataType, type Datum, Op, StreamChunkBuilder, compareDatum } from '@freshet/common';
import type { Barrier } from '../message';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import { ValuesExecutor } from './source';

export interface NowSeriesOptions {
  readonly type: DataType;
  readonly start: Datum;
  /** The series' last value allowed at barrier time `now` (µs). */
  readonly end: (now: number) => Datum;
  /** The value after `v` (`v + step`). */
  readonly next: (v: Datum) => Datum;
  /** At most this many rows per barrier (a runaway step cannot stall the graph). */
  readonly maxPerBarrier?: number;
  /** Where the position is kept (absent: in memory only). */
  readonly tables?: StateTableAllocator;
}

export class NowSeriesExecutor extends ValuesExecutor {
  private pending: Datum;
  private readonly builder: StreamChunkBuilder;
  /** One row: [next value to emit] (NULL once the series ended). */
  private readonly state: StateTable | null;

  constructor(private readonly opts: NowSeriesOptions) {
    super([opts.type], []);
    this.builder = new StreamChunkBuilder([opts.type]);
    this.state = opts.tables ? opts.tables.create([opts.type], []) : null;
    const saved = this.state?.get([]);
    this.pending = saved ? saved[0] : opts.start;
  }

  override markEmitted(): void {}

  override injectBarrier(b: Barrier): void {
    if (this.stopped) return;
    const end = this.opts.end(b.time);
    const t = this.opts.type;
    const max = this.opts.maxPerBarrier ?? 100_000;
    let v = this.pending;
    for (let n = 0; v !== null && end !== null && n < max && compareDatum(t, v, end) <= 0; n++) {
      this.emit(this.builder.append(Op.Insert, [v]));
      const next = this.opts.next(v);
      // A step that does not advance would repeat forever: the series ends there.
      v = next !== null && compareDatum(t, next, v) > 0 ? next : null;
    }
    this.pending = v;
    this.emit(this.builder.take());
    if (this.state) {
      this.state.insert([v]);
      this.state.commit(b.epoch);
    }
    this.passBarrier(b);
  }
}
