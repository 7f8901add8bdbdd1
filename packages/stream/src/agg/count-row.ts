/**
 * Rows of counted multisets whose key already holds everything else (DISTINCT's tuples):
 * the row is just [count]. Most entries are seen once (the seed's
 * distinct items per user: about one per event, millions at full scale), so those share
 * one frozen array instead of each holding its own in the old generation, which every major
 * GC marks again. Stored rows are never changed in place, so sharing is safe.
 */
import type { Row } from '@freshet/common';
import type { StateTable } from '../state/state-table';

const COUNT_ONE: Row = Object.freeze([1]) as unknown as Row;

/**
 * Adds `s` to the multiplicity stored under `key` (an entry at zero or below is deleted);
 * returns the new multiplicity. A row's count is its last column: rows of older layouts,
 * which carried the key's datums before it, read the same.
 */
export function addToCount(table: StateTable, key: string, s: number): number {
  const prev = table.getByKey(key);
  const count = (prev === undefined ? 0 : (prev[prev.length - 1] as number)) + s;
  if (count <= 0) {
    if (prev !== undefined) table.deleteByKey(key);
  } else table.putByKey(key, count === 1 ? COUNT_ONE : [count]);
  return count;
}
