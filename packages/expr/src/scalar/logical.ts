/**
 * Boolean connectives with SQL three-valued logic. AND/OR are not strict:
 * `false AND NULL` is false and `true OR NULL` is true. The IS [NOT] TRUE/FALSE/NULL
 * predicates never return NULL.
 */
import { T, type Datum } from '@freshet/common';
import { fn, type ScalarDef } from './def';

const B = T.Boolean;

function and(a: Datum[]): Datum {
  const [x, y] = a;
  if (x === false || y === false) return false;
  if (x === null || y === null) return null;
  return true;
}

function or(a: Datum[]): Datum {
  const [x, y] = a;
  if (x === true || y === true) return true;
  if (x === null || y === null) return null;
  return false;
}

export const logicalFunctions: ScalarDef[] = [
  fn('and', [B, B], B, and, { strict: false }),
  fn('or', [B, B], B, or, { strict: false }),
  fn('not', [B], B, (a) => !a[0]),
  fn('is_true', [B], B, (a) => a[0] === true, { strict: false }),
  fn('is_not_true', [B], B, (a) => a[0] !== true, { strict: false }),
  fn('is_false', [B], B, (a) => a[0] === false, { strict: false }),
  fn('is_not_false', [B], B, (a) => a[0] !== false, { strict: false }),
  fn('is_null', ['any'], B, (a) => a[0] === null, { strict: false }),
  fn('is_not_null', ['any'], B, (a) => a[0] !== null, { strict: false }),
];
