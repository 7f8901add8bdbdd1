/**
 * DISTINCT and DISTINCT ON: passes the first row seen for each key. Plain DISTINCT keys
 * on every column; DISTINCT ON keys on its expressions (the input is already sorted by
 * them when the query has an ORDER BY, so "first" is the one PostgreSQL would pick).
 */
import type { DataType, Datum, Row } from '@freshet/common';
import { type ChunkStream, type Evaluator, type Executor, PAUSE } from '../executor';
import { type HashKey, keyValueFn, rowKeyFn } from '../keys';

export class DistinctExecutor implements Executor {
  readonly name = 'BatchHashDistinct';
  constructor(
    private readonly child: Executor,
    private readonly keyTypes: readonly DataType[],
    /** null: the whole row is the key. */
    private readonly keys: readonly Evaluator[] | null,
  ) {}

  *execute(): ChunkStream {
    const seen = new Set<HashKey>();
    const keyOf = rowKeyFn(this.keyTypes);
    const keys = this.keys;
    // Plain DISTINCT returns the key itself, in its canonical form (see keyValue).
    const keyValues = keys ? null : keyValueFn(this.keyTypes);
    for (const chunk of this.child.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      const out: Row[] = [];
      for (const row of chunk) {
        let kv: Datum[] = row;
        if (keys) {
          kv = new Array(keys.length);
          for (let i = 0; i < keys.length; i++) kv[i] = keys[i](row);
        }
        const k = keyOf(kv);
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(keyValues ? keyValues(row) : row);
      }
      if (out.length > 0) yield out;
    }
  }
}
