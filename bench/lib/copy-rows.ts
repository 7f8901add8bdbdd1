/**
 * Loads a generated row stream [0, total) into a table with `COPY … FROM STDIN` (text
 * format, pg-copy-streams) over a few connections, one COPY per batch — the way
 * PostgreSQL users bulk-load, and Freshet's fastest path into a table (its MVs follow each
 * COPY's commit). The same client path for every target, like batch-insert.ts for INSERTs.
 */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type RowStreamOptions, inParallelBatches } from './parallel-batches';
import type { RunningTarget } from './targets';

/** The row values may not contain a tab, newline or backslash (they are not escaped). */
export type CopyRowsOptions = RowStreamOptions;

/** Text-format COPY data: one line per row, tab-separated. */
export function copyText(rows: readonly (readonly string[])[]): string {
  let s = '';
  for (const r of rows) s += `${r.join('\t')}\n`;
  return s;
}

/** One `COPY table (columns) FROM STDIN` of text-format `data`. */
export async function copyData(client: pg.Client, table: string, columns: readonly string[], data: string | Buffer): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
    stream.end(data);
  });
}

/** Returns the seconds it took. */
export function copyRows(target: RunningTarget, o: CopyRowsOptions): Promise<number> {
  return inParallelBatches(target, o, (client, from, to) => {
    const rows: string[][] = [];
    for (let i = from; i < to; i++) rows.push(o.row(i));
    return copyData(client, o.table, o.columns, copyText(rows));
  });
}
