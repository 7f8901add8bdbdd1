/** Small helpers for reading libpg-query's JSON AST. */
export type { PgNode } from '@freshet/sql';
import type { PgNode } from '@freshet/sql';

/** The node's type name: `{ SelectStmt: {…} }` → 'SelectStmt'. */
export function nodeType(n: PgNode): string {
  return Object.keys(n)[0];
}

/** The string of a `String` node (or a bare `{sval}`). */
export function sval(n: PgNode): string {
  return n?.String?.sval ?? n?.sval ?? '';
}

/** Integer value of an `A_Const` integer node, or undefined. */
export function intConst(n: PgNode | undefined): number | undefined {
  if (!n || nodeType(n) !== 'A_Const') return undefined;
  const c = n.A_Const;
  if (c.ival !== undefined) return c.ival.ival ?? 0;
  return undefined;
}

// PostgreSQL's interval field bits (datetime.h: INTERVAL_MASK).
const FIELD_UNITS: [number, string][] = [
  [1 << 12, 'second'],
  [1 << 11, 'minute'],
  [1 << 10, 'hour'],
  [1 << 3, 'day'],
  [1 << 1, 'month'],
  [1 << 2, 'year'],
];

/**
 * `INTERVAL '5' MINUTE`: a bare number takes the unit of the qualifier's last field.
 * Other strings are returned unchanged.
 */
export function intervalLiteral(text: string, typeName: PgNode): string {
  const mods = (typeName?.typmods as PgNode[] | undefined) ?? [];
  const mask = intConst(mods[0]);
  if (mask === undefined || !/^\s*[-+]?\d+(\.\d+)?\s*$/.test(text)) return text;
  for (const [bit, unit] of FIELD_UNITS) if (mask & bit) return `${text.trim()} ${unit}`;
  return text;
}
