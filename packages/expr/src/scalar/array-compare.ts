/**
 * `x op ANY (array)` and `x op ALL (array)` over an array value (the binder expands a
 * literal ARRAY[...] itself): `equal_any`, `less_than_all`, …. Three-valued, as in
 * PostgreSQL: ANY is true if some comparison is true, else NULL if some element is NULL,
 * else false; ALL mirrors it. An empty array gives false (ANY) / true (ALL) even for NULL x.
 */
import { compareDatum, T, type Datum } from '@freshet/common';
import { bound, type ScalarDef } from './def';

const COMPARISONS: Record<string, (c: number) => boolean> = {
  equal: (c) => c === 0,
  not_equal: (c) => c !== 0,
  less_than: (c) => c < 0,
  less_than_or_equal: (c) => c <= 0,
  greater_than: (c) => c > 0,
  greater_than_or_equal: (c) => c >= 0,
};

function quantified(op: string, test: (c: number) => boolean, any: boolean): ScalarDef {
  return bound(`${op}_${any ? 'any' : 'all'}`, ['anyelement', 'anyarray'], T.Boolean, (types) => {
    const t = types[0];
    return (a) => {
      const x = a[0];
      const list = a[1] as Datum[] | null;
      if (list === null) return null;
      // PostgreSQL: an empty array decides the result even for a NULL left side.
      if (list.length === 0) return !any;
      if (x === null) return null;
      let sawNull = false;
      for (const e of list) {
        if (e === null) {
          sawNull = true;
        } else if (test(compareDatum(t, x, e)) === any) {
          return any;
        }
      }
      return sawNull ? null : !any;
    };
  }, { strict: false });
}

export const arrayCompareFunctions: ScalarDef[] = Object.entries(COMPARISONS).flatMap(([op, test]) => [
  quantified(op, test, true),
  quantified(op, test, false),
]);
