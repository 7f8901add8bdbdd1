/**
 * ORDER BY: materializes the input, sorts by evaluated keys (stable, so equal keys keep
 * input order) and emits chunks. With `limit` it is a TopN: only offset+limit rows are
 * emitted. Consuming, sorting (pausing-sort.ts) and emitting all yield PAUSE when the
 * time slice is used up: nothing here holds the event loop for long.
 */
import type { Datum, Row } from '@freshet/common';
import { type OrderKey, tupleComparator } from '../compare';
import { CHUNK_SIZE, type ChunkStream, type Evaluator, type ExecRuntime, type Executor, PAUSE, shouldPause } from '../executor';
import { sortPausing } from '../pausing-sort';

export interface SortKey extends OrderKey {
  eval: Evaluator;
}

export class SortExecutor implements Executor {
  readonly name: string;
  constructor(
    private readonly child: Executor,
    private readonly keys: readonly SortKey[],
    private readonly rt: ExecRuntime,
    /** TopN: emit rows [offset, offset+limit) of the sorted input. */
    private readonly limit: number = Infinity,
    private readonly offset: number = 0,
  ) {
    this.name = limit === Infinity ? 'BatchSort' : 'BatchTopN';
  }

  *execute(): ChunkStream {
    const keys = this.keys;
    const nk = keys.length;
    const decorated: { k: Datum[]; r: Row }[] = [];
    for (const chunk of this.child.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      for (let i = 0; i < chunk.length; i++) {
        const r = chunk[i];
        const k = new Array(nk);
        for (let j = 0; j < nk; j++) k[j] = keys[j].eval(r);
        decorated.push({ k, r });
      }
    }
    const cmp = tupleComparator(keys);
    yield* sortPausing(decorated, (a, b) => cmp(a.k, b.k), this.rt);
    const end = Math.min(decorated.length, this.offset + this.limit);
    for (let i = this.offset; i < end; i += CHUNK_SIZE) {
      const stop = Math.min(end, i + CHUNK_SIZE);
      const out: Row[] = new Array(stop - i);
      for (let j = i; j < stop; j++) out[j - i] = decorated[j].r;
      yield out;
      if (shouldPause(this.rt)) yield PAUSE;
    }
  }
}
