/**
 * Comparison operators over any type. Both sides unify to one type first (the binder
 * casts them: int = bigint compares as bigint, date < timestamptz as timestamptz), then
 * `compareDatum` gives PostgreSQL's total order (NaN equal to itself and above all
 * numbers). IS [NOT] DISTINCT FROM treats NULL as an ordinary value.
 */
import { compareDatum, T, type DataType, type Datum } from '@freshet/common';
import { bound, type EvalFn, type ScalarDef } from './def';

type Test = (c: number) => boolean;

/** Types whose datums are JS numbers/bigints/strings without NaN: compare natively. */
const NATIVE = new Set(['int16', 'int32', 'int64', 'serial', 'date', 'time', 'timestamp', 'timestamptz', 'boolean']);

function comparator(t: DataType): (a: Datum, b: Datum) => number {
  if (NATIVE.has(t.kind)) return (a, b) => (a! < b! ? -1 : a! > b! ? 1 : 0);
  return (a, b) => compareDatum(t, a, b);
}

function cmp(name: string, test: Test): ScalarDef {
  return bound(name, ['anyelement', 'anyelement'], T.Boolean, (types): EvalFn => {
    const c = comparator(types[0]);
    return (a) => test(c(a[0], a[1]));
  });
}

export const comparisonFunctions: ScalarDef[] = [
  cmp('equal', (c) => c === 0),
  cmp('not_equal', (c) => c !== 0),
  cmp('less_than', (c) => c < 0),
  cmp('less_than_or_equal', (c) => c <= 0),
  cmp('greater_than', (c) => c > 0),
  cmp('greater_than_or_equal', (c) => c >= 0),
  bound(
    'is_distinct_from',
    ['anyelement', 'anyelement'],
    T.Boolean,
    (types): EvalFn => {
      const c = comparator(types[0]);
      return ([a, b]) => (a === null || b === null ? a !== b : c(a, b) !== 0);
    },
    { strict: false },
  ),
  bound(
    'is_not_distinct_from',
    ['anyelement', 'anyelement'],
    T.Boolean,
    (types): EvalFn => {
      const c = comparator(types[0]);
      return ([a, b]) => (a === null || b === null ? a === b : c(a, b) === 0);
    },
    { strict: false },
  ),
];

export { comparator };
