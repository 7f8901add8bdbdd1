/**
 * Rows of counted multisets whose key already holds everything else (DISTINCT's tuples,
 * MIN/MAX's values): the row is just [count]. Most entries are seen once (the seed's
 * distinct items per user: about one per event, millions at full scale), so those share
 * one frozen array instead of each holding its own in the old generation, which every major
 * GC marks again. Stored rows are never changed in place, so sharing is safe.
 */
import type { Row } from '@freshet/common';

const COUNT_ONE: Row = Object.freeze([1]) as unknown as Row;

/** The stored row of a multiplicity (> 0). */
export function countRow(count: number): Row {
  return count === 1 ? COUNT_ONE : [count];
}

/** The multiplicity a stored row holds: its last column (rows of older layouts carry more before it). */
export function countOf(row: Row | undefined): number {
  return row === undefined ? 0 : (row[row.length - 1] as number);
}
