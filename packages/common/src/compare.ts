/**
 * Total order, equality and hash keys over datums.
 */
import type { Datum } from './datum';
import type { DataType } from './types';

/** Negative, zero or positive; both non-null. */
export function compareDatum(t: DataType, a: Datum, b: Datum): number {
  void t;
  return a! < b! ? -1 : a! > b! ? 1 : 0;
}

export function datumEquals(t: DataType, a: Datum, b: Datum): boolean {
  return compareDatum(t, a, b) === 0;
}

/** A Map key equal for equal datums. */
export function datumKey(t: DataType, d: Datum): string | number | boolean | bigint {
  void t;
  return d as string;
}
