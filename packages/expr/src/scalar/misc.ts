/**
 * Odds and ends: version(), and function forms of the conditional expressions
 * (coalesce, nullif) for callers that prefer a function to a dedicated expression node.
 */
import { compareDatum, T, type Datum } from '@freshet/common';
import { bound, fn, type ScalarDef } from './def';

/** What `SELECT version()` prints; clients parse the leading `PostgreSQL 13.14.0`. */
export const VERSION_STRING = 'PostgreSQL 13.14.0-Freshet-0.1.0 on x86_64-unknown-linux-gnu, compiled by Node.js';

export const miscFunctions: ScalarDef[] = [
  fn('version', [], T.Varchar, () => VERSION_STRING),
  fn(
    'coalesce',
    [],
    (t) => t[0],
    (a) => {
      for (const v of a) if (v !== null) return v;
      return null;
    },
    { variadic: 'anyelement', minVariadic: 1, strict: false },
  ),
  bound(
    'nullif',
    ['anyelement', 'anyelement'],
    (t) => t[0],
    (t) => (a: Datum[]) => (a[0] !== null && a[1] !== null && compareDatum(t[0], a[0], a[1]) === 0 ? null : a[0]),
    { strict: false },
  ),
];
