/** Keeps the rows whose predicate is true (NULL and false both drop the row). */
import type { Row } from '@freshet/common';
import { type ChunkStream, type Evaluator, type Executor, PAUSE } from '../executor';

export class FilterExecutor implements Executor {
  readonly name = 'BatchFilter';
  constructor(
    private readonly child: Executor,
    private readonly predicate: Evaluator,
  ) {}

  *execute(): ChunkStream {
    const pred = this.predicate;
    for (const chunk of this.child.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      const out: Row[] = [];
      for (let i = 0; i < chunk.length; i++) if (pred(chunk[i]) === true) out.push(chunk[i]);
      if (out.length > 0) yield out;
    }
  }
}
