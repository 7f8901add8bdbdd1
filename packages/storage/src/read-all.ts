/**
 * Every row of a relation as one array, for the rare statements that rewrite a whole table
 * (ALTER TABLE ADD/DROP COLUMN): through `scanCold` when some rows must be read from disk
 * (a table loading after a restart, or kept in LevelDB under a memory limit).
 */
import type { Row } from '@freshet/common';
import type { TableReader } from './api';

export async function readAllRows(reader: TableReader): Promise<Row[]> {
  const cold = reader.scanCold?.() ?? null;
  if (cold === null) return [...reader.scan()];
  const out: Row[] = [];
  try {
    for (;;) {
      const r = cold.next();
      if (r === null) return out;
      if (r instanceof Promise) await r;
      else for (const row of r) out.push(row);
    }
  } finally {
    cold.close();
  }
}
