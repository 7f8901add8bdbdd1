/**
 * A counted multiset of datums keyed by `datumKey`, the retractable memory behind
 * min/max, DISTINCT and approx_count_distinct.
 */
import { datumKey, type DataType, type Datum } from '@freshet/common';

export interface Entry {
  value: Datum;
  count: number;
}

export class Multiset {
  readonly entries = new Map<unknown, Entry>();
  constructor(private readonly type: DataType) {}

  /** Adds one occurrence; true if the value was not present before. */
  add(v: Datum): boolean {
    const k = datumKey(this.type, v);
    const e = this.entries.get(k);
    if (e) {
      e.count++;
      return false;
    }
    this.entries.set(k, { value: v, count: 1 });
    return true;
  }

  /** Removes one occurrence; true if that was the last one. */
  remove(v: Datum): boolean {
    const k = datumKey(this.type, v);
    const e = this.entries.get(k);
    if (!e) return false;
    if (--e.count > 0) return false;
    this.entries.delete(k);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A key for a whole argument tuple (DISTINCT over several arguments). */
export function tupleKey(types: DataType[], args: Datum[]): unknown {
  if (args.length === 1) return args[0] === null ? '\u0000null' : datumKey(types[0], args[0]);
  let k = '';
  for (let i = 0; i < args.length; i++) {
    const v = args[i];
    const part = v === null ? '\u0000null' : datumKey(types[i], v);
    k += `${typeof part}:${String(part)}\u0001`;
  }
  return k;
}
