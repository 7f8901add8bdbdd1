/** A literal table (`VALUES …`, and the single empty row under `SELECT 1`). */
import type { Row } from '@freshet/common';
import type { ChunkStream, Evaluator, Executor } from '../executor';

const EMPTY: Row = [];

export class ValuesExecutor implements Executor {
  readonly name = 'BatchValues';
  constructor(private readonly rows: readonly (readonly Evaluator[])[]) {}

  *execute(): ChunkStream {
    // Evaluated at execution time: values may hold parameters or subqueries.
    const out: Row[] = this.rows.map((r) => r.map((e) => e(EMPTY)));
    if (out.length > 0) yield out;
  }
}
