/**
 * Keeps the rows whose predicate is TRUE (RisingWave's filter.rs). The core only edits
 * visibility (no column is copied) — except for updates: when exactly one half of a
 * U-/U+ pair passes, the pair is no longer an update downstream, so the surviving half
 * becomes a plain Delete (old row passed) or Insert (new row passed).
 */
import { type DataType, Op, type StreamChunk } from '@freshet/common';
import { type StreamExpr, isTrue } from '../expr';
import type { Watermark } from '../message';
import { UnaryExecutor } from './executor';

/** The pure core: the chunk with failing rows hidden, or null if nothing passes. */
export function filterChunk(chunk: StreamChunk, predicate: StreamExpr): StreamChunk | null {
  const n = chunk.capacity;
  const pred = predicate.eval(chunk);
  const inVis = chunk.visibility;
  const vis = new Uint8Array(n);
  let ops = chunk.ops;
  let copiedOps = false;
  let passed = 0;
  for (let i = 0; i < n; i++) {
    if (inVis !== null && inVis[i] === 0) continue;
    const pass = isTrue(pred, i);
    if (ops[i] === Op.UpdateDelete) {
      // The invariant puts the matching U+ at the next visible row.
      let j = i + 1;
      while (inVis !== null && j < n && inVis[j] === 0) j++;
      const passNew = isTrue(pred, j);
      if (pass !== passNew) {
        if (!copiedOps) {
          ops = ops.slice();
          copiedOps = true;
        }
        if (pass) ops[i] = Op.Delete;
        else ops[j] = Op.Insert;
      }
      if (pass) {
        vis[i] = 1;
        passed++;
      }
      if (passNew) {
        vis[j] = 1;
        passed++;
      }
      i = j;
      continue;
    }
    if (pass) {
      vis[i] = 1;
      passed++;
    }
  }
  if (passed === 0) return null;
  if (passed === n) return copiedOps ? chunk.withOps(ops).withVisibility(null) : chunk.withVisibility(null);
  const out = copiedOps ? chunk.withOps(ops) : chunk;
  return out.withVisibility(vis);
}

export class FilterExecutor extends UnaryExecutor {
  readonly name = 'StreamFilter';
  constructor(
    readonly types: readonly DataType[],
    readonly predicate: StreamExpr,
  ) {
    super();
  }

  protected onChunk(chunk: StreamChunk): void {
    this.emit(filterChunk(chunk, this.predicate));
  }

  protected override onWatermark(w: Watermark): void {
    this.out.push(w);
  }
}
