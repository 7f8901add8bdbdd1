/** Computes one output column per expression. */
import type { Row } from '@freshet/common';
import { type ChunkStream, type Evaluator, type Executor, PAUSE } from '../executor';

export class ProjectExecutor implements Executor {
  readonly name = 'BatchProject';
  constructor(
    private readonly child: Executor,
    private readonly exprs: readonly Evaluator[],
  ) {}

  *execute(): ChunkStream {
    const exprs = this.exprs;
    const n = exprs.length;
    for (const chunk of this.child.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      const out: Row[] = new Array(chunk.length);
      for (let i = 0; i < chunk.length; i++) {
        const row = chunk[i];
        const o = new Array(n);
        for (let j = 0; j < n; j++) o[j] = exprs[j](row);
        out[i] = o;
      }
      yield out;
    }
  }
}
