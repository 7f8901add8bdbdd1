/**
 * A projection that also carries watermarks through computed columns that are monotone in
 * a watermarked input column (`ts + INTERVAL '1' HOUR`, `date_trunc('minute', ts)`, casts
 * between date/time types): the output watermark is the expression applied to the input
 * watermark, since a non-decreasing function of a value ≥ w is ≥ f(w). Plain column
 * references are handled by ProjectExecutor itself.
 */
import type { Datum } from '@freshet/common';
import { Watermark } from '../message';
import { ProjectExecutor } from './project';
import type { StreamExpr } from '../expr';

export interface DerivedWatermark {
  /** Output column. */
  readonly output: number;
  /** The watermarked input column the output is monotone in. */
  readonly input: number;
  /** The output expression evaluated at an input watermark (NULL: no watermark). */
  readonly map: (inputWatermark: Datum) => Datum;
}

export class WatermarkProjectExecutor extends ProjectExecutor {
  constructor(
    exprs: readonly StreamExpr[],
    private readonly derived: readonly DerivedWatermark[],
  ) {
    super(exprs);
  }

  protected override onWatermark(w: Watermark): void {
    super.onWatermark(w);
    for (const d of this.derived) {
      if (d.input !== w.column || w.value === null) continue;
      const v = d.map(w.value);
      if (v !== null) this.out.push(new Watermark(d.output, this.types[d.output], v));
    }
  }
}
