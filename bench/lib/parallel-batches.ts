/**
 * Rows [0, total) in batches of `batchRows` over `connections` client connections, each
 * connection sending its next batch once the last one was acknowledged — the loop shared by
 * the INSERT (batch-insert.ts) and COPY (copy-rows.ts) loaders.
 */
import type pg from 'pg';
import { connect } from './pipeline-run';
import type { RunningTarget } from './targets';

export interface ParallelBatchOptions {
  total: number;
  batchRows: number;
  connections: number;
  onProgress?: (rowsDone: number) => void;
}

/** A generated table load: rows [0, total) of `table`, each given as text values. */
export interface RowStreamOptions extends ParallelBatchOptions {
  table: string;
  columns: readonly string[];
  /** Text values of row i, in `columns` order. */
  row: (i: number) => string[];
}

/** Sends every batch through `send(client, from, to)`; returns the seconds it took. */
export async function inParallelBatches(target: RunningTarget, o: ParallelBatchOptions, send: (client: pg.Client, from: number, to: number) => Promise<void>): Promise<number> {
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  const worker = async () => {
    const client = await connect(target);
    try {
      while (next < o.total) {
        const from = next;
        const to = Math.min(from + o.batchRows, o.total);
        next = to;
        await send(client, from, to);
        done += to - from;
        o.onProgress?.(done);
      }
    } finally {
      await client.end();
    }
  };
  await Promise.all(Array.from({ length: o.connections }, worker));
  return (performance.now() - t0) / 1000;
}
