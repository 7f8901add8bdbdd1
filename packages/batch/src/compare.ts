/** Row ordering for ORDER BY, TopN, window partitions and ordered aggregates. */
import { type DataType, type Datum, compareDatum } from '@freshet/common';

export interface OrderKey {
  type: DataType;
  desc: boolean;
  /** PostgreSQL default: NULLS LAST for ASC, NULLS FIRST for DESC. */
  nullsFirst: boolean;
}

/** Compares two tuples of key values (already evaluated) by `keys`. */
export function tupleComparator(keys: readonly OrderKey[]): (a: readonly Datum[], b: readonly Datum[]) => number {
  const n = keys.length;
  return (a, b) => {
    for (let i = 0; i < n; i++) {
      const x = a[i];
      const y = b[i];
      if (x === null || y === null) {
        if (x === y) continue;
        const k = keys[i];
        return x === null ? (k.nullsFirst ? -1 : 1) : k.nullsFirst ? 1 : -1;
      }
      let c = compareDatum(keys[i].type, x, y);
      if (c !== 0) return keys[i].desc ? -c : c;
    }
    return 0;
  };
}
