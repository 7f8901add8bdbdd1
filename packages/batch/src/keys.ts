/**
 * Hash keys for groups, join keys and DISTINCT: equal datums give equal keys
 * (`datumKey` from common), and a composite key is a string that cannot collide
 * across column boundaries.
 */
import { type DataType, type Datum, datumKey } from '@freshet/common';

export type HashKey = string | number | boolean | bigint;

const NULL_KEY = '\u0000N';

function part(t: DataType, d: Datum): string {
  if (d === null) return NULL_KEY;
  const k = datumKey(t, d);
  // Type-tag each part so 1 (number) and '1' (string) stay apart.
  return typeof k === 'string' ? 's' + k.replaceAll('\u0001', '\u0001\u0001') : typeof k === 'number' ? 'n' + k : typeof k === 'bigint' ? 'b' + k : 'B' + k;
}

/** Key of one datum (NULL gets its own key). */
export function singleKey(t: DataType, d: Datum): HashKey {
  return d === null ? NULL_KEY : datumKey(t, d);
}

/** Key of several datums. */
export function compositeKey(types: readonly DataType[], values: readonly Datum[]): HashKey {
  if (types.length === 1) return singleKey(types[0], values[0]);
  let s = '';
  for (let i = 0; i < types.length; i++) s += part(types[i], values[i]) + '\u0001;';
  return s;
}

/** A function computing the key of a row's values at `indices` (or of whole rows). */
export function rowKeyFn(types: readonly DataType[]): (values: readonly Datum[]) => HashKey {
  if (types.length === 1) {
    const t = types[0];
    return (v) => singleKey(t, v[0]);
  }
  return (v) => compositeKey(types, v);
}
