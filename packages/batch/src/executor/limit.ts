/** OFFSET/LIMIT over an already ordered (or unordered) input; stops pulling once full. */
import type { Row } from '@freshet/common';
import { type ChunkStream, type Executor, PAUSE } from '../executor';

export class LimitExecutor implements Executor {
  readonly name = 'BatchLimit';
  constructor(
    private readonly child: Executor,
    private readonly limit: number,
    private readonly offset: number,
  ) {}

  *execute(): ChunkStream {
    let skip = this.offset;
    let left = this.limit;
    if (left <= 0) return;
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
      const take = Math.min(left, chunk.length - start);
      const out: Row[] = start === 0 && take === chunk.length ? chunk : chunk.slice(start, start + take);
      left -= take;
      yield out;
      if (left <= 0) return;
    }
  }
}
