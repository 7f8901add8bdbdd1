/**
 * Hash keys for groups, join keys and DISTINCT: equal datums give equal keys
 * (`datumKey` from common), and a composite key is a string that cannot collide
 * across column boundaries.
 */
import { type DataType, type Datum, type Decimal, type Interval, datumKey } from '@freshet/common';

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

/**
 * The value a hash key stands for, as RisingWave returns group keys and DISTINCT rows:
 * they come back from the key encoding, which normalizes decimals (1.10 → 1.1) and
 * justifies intervals ('30 days' → '1 mon'), so equal values print the same.
 */
export function keyValue(t: DataType, d: Datum): Datum {
  if (d === null) return d;
  if (t.kind === 'decimal') return (d as Decimal).normalize();
  if (t.kind === 'interval') return (d as Interval).canonical();
  return d;
}

/** `keyValue` for each column whose type needs it; null when no column does. */
export function keyValueFn(types: readonly DataType[]): ((values: Datum[]) => Datum[]) | null {
  const idx = types.map((t, i) => (t.kind === 'decimal' || t.kind === 'interval' ? i : -1)).filter((i) => i >= 0);
  if (idx.length === 0) return null;
  return (values) => {
    const out = values.slice();
    for (const i of idx) out[i] = keyValue(types[i], out[i]);
    return out;
  };
}
