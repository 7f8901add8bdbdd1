/**
 * OFFSET/LIMIT over an already ordered (or unordered) input; stops pulling once full.
 * With `ties` (FETCH … WITH TIES over a sorted input), rows tied with the last row taken
 * are taken too.
 */
import type { Row } from '@freshet/common';
import { type ChunkStream, type Executor, PAUSE } from '../executor';

export class LimitExecutor implements Executor {
  readonly name = 'BatchLimit';
  constructor(
    private readonly child: Executor,
    private readonly limit: number,
    private readonly offset: number,
    private readonly ties: ((a: Row, b: Row) => boolean) | null = null,
  ) {}

  *execute(): ChunkStream {
    let skip = this.offset;
    let left = this.limit;
    if (left <= 0) return;
    let last: Row | null = null;
    for (const chunk of this.child.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      let start = 0;
      if (skip > 0) {
        start = Math.min(skip, chunk.length);
        skip -= start;
      }
      if (start >= chunk.length) continue;
      if (this.ties) {
        // Row by row: the limit, then whatever ties with the last row taken.
        const out: Row[] = [];
        for (let i = start; i < chunk.length; i++) {
          if (left <= 0 && (last === null || !this.ties(last, chunk[i]))) {
            if (out.length > 0) yield out;
            return;
          }
          out.push(chunk[i]);
          last = chunk[i];
          left--;
        }
        if (out.length > 0) yield out;
        continue;
      }
      const take = Math.min(left, chunk.length - start);
      const out: Row[] = start === 0 && take === chunk.length ? chunk : chunk.slice(start, start + take);
      left -= take;
      yield out;
      if (left <= 0) return;
    }
  }
}
