/**
 * A select list with set-returning functions (`SELECT unnest(a), x FROM t`). For each
 * input row, every set-returning item yields a sequence; the row expands to as many
 * output rows as the longest sequence, shorter ones padded with NULL (PostgreSQL 10+).
 * Plain items repeat their value on every expanded row.
 */
import type { Datum, Row } from '@freshet/common';
import { CHUNK_SIZE, type ChunkStream, type Evaluator, type Executor, PAUSE } from '../executor';

export type ProjectSetItem =
  | { kind: 'scalar'; eval: Evaluator }
  /** A set-returning call: returns the sequence of values for one input row. */
  | { kind: 'set'; eval: (row: Row) => Iterable<Datum> };

export class ProjectSetExecutor implements Executor {
  readonly name = 'BatchProjectSet';
  constructor(
    private readonly child: Executor,
    private readonly items: readonly ProjectSetItem[],
  ) {}

  *execute(): ChunkStream {
    const items = this.items;
    let out: Row[] = [];
    for (const chunk of this.child.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      for (const row of chunk) {
        const cols: (Datum[] | Datum)[] = new Array(items.length);
        let n = 0;
        for (let i = 0; i < items.length; i++) {
          const it = items[i];
          if (it.kind === 'scalar') cols[i] = it.eval(row);
          else {
            const seq = Array.from(it.eval(row));
            cols[i] = seq;
            if (seq.length > n) n = seq.length;
          }
        }
        for (let r = 0; r < n; r++) {
          const o: Row = new Array(items.length);
          for (let i = 0; i < items.length; i++) {
            if (items[i].kind === 'scalar') o[i] = cols[i] as Datum;
            else {
              const seq = cols[i] as Datum[];
              o[i] = r < seq.length ? seq[r] : null;
            }
          }
          out.push(o);
        }
        if (out.length >= CHUNK_SIZE) {
          yield out;
          out = [];
        }
      }
    }
    if (out.length > 0) yield out;
  }
}
