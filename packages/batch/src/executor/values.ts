/** A literal table (`VALUES …`, and the single empty row under `SELECT 1`). */
import type { Row } from '@freshet/common';
import { CHUNK_SIZE, type ChunkStream, type Evaluator, type ExecRuntime, type Executor, PAUSE, shouldPause } from '../executor';

const EMPTY: Row = [];

export class ValuesExecutor implements Executor {
  readonly name = 'BatchValues';
  constructor(
    private readonly rows: readonly (readonly Evaluator[])[],
    private readonly rt: ExecRuntime,
  ) {}

  *execute(): ChunkStream {
    // Evaluated at execution time (values may hold parameters or subqueries), a chunk at
    // a time so a big VALUES list (INSERT of many rows) is a leaf that pauses like a scan.
    const rows = this.rows;
    for (let i = 0; i < rows.length; i += CHUNK_SIZE) {
      const end = Math.min(rows.length, i + CHUNK_SIZE);
      const out: Row[] = new Array(end - i);
      for (let j = i; j < end; j++) {
        const r = rows[j];
        const o = new Array(r.length);
        for (let k = 0; k < r.length; k++) o[k] = r[k](EMPTY);
        out[j - i] = o;
      }
      yield out;
      if (end < rows.length && shouldPause(this.rt)) yield PAUSE;
    }
  }
}
