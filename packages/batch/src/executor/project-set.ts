/**
 * A select list with set-returning functions (`SELECT unnest(a), x FROM t`). For each
 * input row, every set-returning item yields a sequence; the row expands to as many
 * output rows as the longest sequence, shorter ones padded with NULL (PostgreSQL 10+).
 * Plain items repeat their value on every expanded row.
 *
 * The sequences are pulled lazily, one value per output row: `generate_series(1, 1e9)`
 * in a select list streams in chunks (yielding PAUSE when the time slice is used up)
 * instead of being materialized.
 */
import type { Datum, Row } from '@freshet/common';
import { CHUNK_SIZE, type ChunkStream, type Evaluator, type ExecRuntime, type Executor, PAUSE, shouldPause } from '../executor';

export type ProjectSetItem =
  | { kind: 'scalar'; eval: Evaluator }
  /** A set-returning call: returns the sequence of values for one input row. */
  | { kind: 'set'; eval: (row: Row) => Iterable<Datum> };

export class ProjectSetExecutor implements Executor {
  readonly name = 'BatchProjectSet';
  constructor(
    private readonly child: Executor,
    private readonly items: readonly ProjectSetItem[],
    private readonly rt: ExecRuntime,
  ) {}

  *execute(): ChunkStream {
    const items = this.items;
    const n = items.length;
    const scalars: Datum[] = new Array(n);
    const iters: (Iterator<Datum> | null)[] = new Array(n);
    let out: Row[] = [];
    for (const chunk of this.child.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      for (const row of chunk) {
        // Evaluated in select-list order, as before: errors surface in the same order.
        for (let i = 0; i < n; i++) {
          const it = items[i];
          if (it.kind === 'scalar') {
            scalars[i] = it.eval(row);
            iters[i] = null;
          } else iters[i] = it.eval(row)[Symbol.iterator]();
        }
        let live = true;
        while (live) {
          live = false;
          const o: Row = new Array(n);
          for (let i = 0; i < n; i++) {
            const it = iters[i];
            if (it === null) {
              o[i] = items[i].kind === 'scalar' ? scalars[i] : null;
              continue;
            }
            const r = it.next();
            if (r.done) {
              iters[i] = null;
              o[i] = null;
            } else {
              o[i] = r.value;
              live = true;
            }
          }
          if (!live) break;
          out.push(o);
          if (out.length >= CHUNK_SIZE) {
            yield out;
            out = [];
            if (shouldPause(this.rt)) yield PAUSE;
          }
        }
      }
    }
    if (out.length > 0) yield out;
  }
}
