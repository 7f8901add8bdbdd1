/**
 * UNION ALL of several inputs of the same types: chunks pass through as they come, one
 * barrier goes out per aligned epoch, and a watermark on a column goes out when every
 * input has sent one for it, as the minimum over inputs (an input's watermark alone does
 * not bound the others' rows). UNION (distinct) is this followed by a dedup.
 */
import { type DataType, type Datum, type StreamChunk, compareDatum } from '@freshet/common';
import { type Barrier, Watermark } from '../message';
import { BarrierAligner } from './align';
import { Executor, type Output } from './executor';

export class UnionExecutor extends Executor {
  readonly name = 'StreamUnion';
  readonly inputs: readonly Output[];
  private readonly aligner: BarrierAligner;
  /** Per column: the last watermark value of each input (undefined = none yet). */
  private readonly watermarks = new Map<number, (Datum | undefined)[]>();
  private readonly emitted = new Map<number, Datum>();

  constructor(
    readonly types: readonly DataType[],
    inputCount: number,
  ) {
    super();
    this.aligner = new BarrierAligner(inputCount, {
      onInputChunk: (_i, c) => this.onChunk(c),
      onInputWatermark: (i, w) => this.onWatermark(i, w),
      onAlignedBarrier: (b) => this.onBarrier(b),
    });
    this.inputs = this.aligner.inputs;
  }

  private onChunk(chunk: StreamChunk): void {
    if (!this.stopped) this.emit(chunk);
  }

  private onBarrier(b: Barrier): void {
    if (!this.stopped) this.passBarrier(b);
  }

  private onWatermark(input: number, w: Watermark): void {
    let per = this.watermarks.get(w.column);
    if (!per) {
      per = new Array(this.inputs.length).fill(undefined);
      this.watermarks.set(w.column, per);
    }
    per[input] = w.value;
    let min: Datum | undefined;
    for (const v of per) {
      if (v === undefined || v === null) return;
      if (min === undefined || compareDatum(w.type, v, min as Datum) < 0) min = v;
    }
    const prev = this.emitted.get(w.column);
    if (prev !== undefined && prev !== null && compareDatum(w.type, min as Datum, prev) <= 0) return;
    this.emitted.set(w.column, min as Datum);
    this.out.push(new Watermark(w.column, w.type, min as Datum));
  }
}
