/**
 * INTERSECT / EXCEPT, with or without ALL, by counting the right side's rows per key.
 * Without ALL each distinct left row is emitted at most once; with ALL a row is emitted
 * min(l, r) times (INTERSECT ALL) or max(l - r, 0) times (EXCEPT ALL). NULLs compare equal.
 */
import type { DataType, Row } from '@freshet/common';
import { type ChunkStream, type Executor, PAUSE } from '../executor';
import { type HashKey, rowKeyFn } from '../keys';

export class IntersectExceptExecutor implements Executor {
  readonly name: string;
  constructor(
    private readonly op: 'intersect' | 'except',
    private readonly all: boolean,
    private readonly left: Executor,
    private readonly right: Executor,
    private readonly types: readonly DataType[],
  ) {
    this.name = op === 'intersect' ? 'BatchIntersect' : 'BatchExcept';
  }

  *execute(): ChunkStream {
    const keyOf = rowKeyFn(this.types);
    const counts = new Map<HashKey, number>();
    for (const chunk of this.right.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      for (const row of chunk) {
        const k = keyOf(row);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
    }
    const emitted = new Set<HashKey>();
    const intersect = this.op === 'intersect';
    for (const chunk of this.left.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      const out: Row[] = [];
      for (const row of chunk) {
        const k = keyOf(row);
        const c = counts.get(k) ?? 0;
        if (this.all) {
          if (intersect) {
            if (c > 0) {
              counts.set(k, c - 1);
              out.push(row);
            }
          } else if (c > 0) counts.set(k, c - 1);
          else out.push(row);
        } else {
          if (emitted.has(k)) continue;
          if (intersect ? c > 0 : c === 0) {
            emitted.add(k);
            out.push(row);
          }
        }
      }
      if (out.length > 0) yield out;
    }
  }
}
