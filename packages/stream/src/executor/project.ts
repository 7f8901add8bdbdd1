/**
 * Computes output columns from input columns (RisingWave's project.rs). Ops and
 * visibility pass through untouched; input-ref columns are shared, not copied. A
 * watermark survives on every output column that forwards its input column unchanged.
 */
import type { DataType, StreamChunk } from '@freshet/common';
import type { StreamExpr } from '../expr';
import type { Watermark } from '../message';
import { UnaryExecutor } from './executor';

/** The pure core. */
export function projectChunk(chunk: StreamChunk, exprs: readonly StreamExpr[]): StreamChunk {
  const cols = new Array(exprs.length);
  for (let j = 0; j < exprs.length; j++) cols[j] = exprs[j].eval(chunk);
  return chunk.withColumns(cols);
}

export class ProjectExecutor extends UnaryExecutor {
  readonly name = 'StreamProject';
  readonly types: readonly DataType[];

  constructor(readonly exprs: readonly StreamExpr[]) {
    super();
    this.types = exprs.map((e) => e.returnType);
  }

  protected onChunk(chunk: StreamChunk): void {
    this.emit(projectChunk(chunk, this.exprs));
  }

  protected override onWatermark(w: Watermark): void {
    for (let j = 0; j < this.exprs.length; j++) {
      if (this.exprs[j].inputIndex === w.column) this.out.push(w.withColumn(j));
    }
  }
}
