/**
 * GROUPING SETS / ROLLUP / CUBE: every input row is emitted once per grouping set, with
 * the group-key columns that are not in that set replaced by NULL and the set's ordinal
 * appended, so a following hash agg (grouping on keys + ordinal) computes every set at once.
 */
import type { Row } from '@freshet/common';
import { CHUNK_SIZE, type ChunkStream, type Executor, PAUSE } from '../executor';

export class ExpandExecutor implements Executor {
  readonly name = 'BatchExpand';
  constructor(
    private readonly child: Executor,
    /** All group-key column indices. */
    private readonly keyColumns: readonly number[],
    /** Per grouping set: the key columns it keeps. */
    private readonly sets: readonly (readonly number[])[],
  ) {}

  *execute(): ChunkStream {
    const nullify = this.sets.map((s) => this.keyColumns.filter((c) => !s.includes(c)));
    let out: Row[] = [];
    for (const chunk of this.child.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      for (const row of chunk) {
        for (let s = 0; s < nullify.length; s++) {
          const o = row.slice();
          for (const c of nullify[s]) o[c] = null;
          o.push(s);
          out.push(o);
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
