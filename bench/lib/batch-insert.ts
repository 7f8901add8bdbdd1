/**
 * Inserts a generated row stream [0, total) into a table as prepared multi-row INSERTs
 * over a few connections (Parse once per connection, Bind per batch with text
 * parameters), each statement its own acknowledged commit. The same path for every
 * target, so PostgreSQL and Freshet receive the same rows the same way.
 */
import type { RunningTarget } from './targets';
import { type RowStreamOptions, inParallelBatches } from './parallel-batches';
import { multiRowInsertSql } from './serving-model';

export type BatchInsertOptions = RowStreamOptions;

/** Returns the seconds it took. */
export function batchInsert(target: RunningTarget, o: BatchInsertOptions): Promise<number> {
  const fullSql = multiRowInsertSql(o.table, o.columns, o.batchRows);
  const name = `bench_ins_${o.table}`;
  return inParallelBatches(target, o, async (client, from, to) => {
    const values: string[] = [];
    for (let i = from; i < to; i++) for (const v of o.row(i)) values.push(v);
    // The last, shorter batch gets its own unnamed statement.
    if (to - from === o.batchRows) await client.query({ name, text: fullSql, values });
    else await client.query({ text: multiRowInsertSql(o.table, o.columns, to - from), values });
  });
}
