/**
 * Reads of a whole relation, for the rare readers that need one (a watermark rebuilt after
 * a restart, ALTER TABLE ADD COLUMN's emptiness check): through `scanCold` when some rows
 * must be read from disk (a table loading after a restart, or kept in LevelDB under a
 * memory limit).
 */
import type { Row } from '@freshet/common';
import type { TableReader } from './api';

/** The relation's rows, batch by batch, read from memory or through `scanCold`. */
async function* rowBatches(reader: TableReader): AsyncGenerator<readonly Row[]> {
  const cold = reader.scanCold?.() ?? null;
  if (cold === null) {
    yield [...reader.scan()];
    return;
  }
  try {
    for (;;) {
      const r = cold.next();
      if (r === null) return;
      if (r instanceof Promise) await r;
      else yield r;
    }
  } finally {
    cold.close();
  }
}

/** Every row of a relation as one array. */
export async function readAllRows(reader: TableReader): Promise<Row[]> {
  const out: Row[] = [];
  for await (const rows of rowBatches(reader)) for (const row of rows) out.push(row);
  return out;
}

/** Whether the relation has a row. */
export async function hasAnyRow(reader: TableReader): Promise<boolean> {
  // The size is exact once a table is loaded (and counted, for one kept in LevelDB).
  if (reader.size > 0) return true;
  for await (const rows of rowBatches(reader)) if (rows.length > 0) return true;
  return false;
}
