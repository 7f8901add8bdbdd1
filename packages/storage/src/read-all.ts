/**
 * Every row of a relation as one array, for the rare readers of a whole table (a watermark
 * rebuilt after a restart): through `scanCold` when some rows must be read from disk (a
 * table loading after a restart, or kept in LevelDB under a memory limit).
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

/** Whether the relation has a row, read as `readAllRows` reads (ALTER TABLE ADD COLUMN's checks). */
export async function hasAnyRow(reader: TableReader): Promise<boolean> {
  // The size is exact once a table is loaded (and counted, for one kept in LevelDB).
  if (reader.size > 0) return true;
  const cold = reader.scanCold?.() ?? null;
  if (cold === null) {
    for (const _ of reader.scan()) return true;
    return false;
  }
  try {
    for (;;) {
      const r = cold.next();
      if (r === null) return false;
      if (r instanceof Promise) await r;
      else if (r.length > 0) return true;
    }
  } finally {
    cold.close();
  }
}
