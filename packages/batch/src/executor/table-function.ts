/** A table function in FROM (`generate_series(1, 10)`, `unnest(array[…])`). */
import type { Datum, Row } from '@freshet/common';
import { CHUNK_SIZE, type ChunkStream, type Executor, type ExecRuntime, PAUSE, shouldPause } from '../executor';

export class TableFunctionExecutor implements Executor {
  readonly name = 'BatchTableFunction';
  constructor(
    /** Produces the function's rows (argument evaluation happens inside, at execution). */
    private readonly rows: () => Iterable<Datum[]>,
    private readonly rt: ExecRuntime,
  ) {}

  *execute(): ChunkStream {
    let out: Row[] = [];
    for (const r of this.rows()) {
      out.push(r);
      if (out.length >= CHUNK_SIZE) {
        yield out;
        out = [];
        if (shouldPause(this.rt)) yield PAUSE;
      }
    }
    if (out.length > 0) yield out;
  }
}
