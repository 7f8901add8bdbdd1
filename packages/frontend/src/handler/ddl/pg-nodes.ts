/**
 * Small accessors over libpg-query JSON nodes used by the DDL handlers, plus turning an
 * expression node back into SQL text (stored for DEFAULT / generated columns and bound
 * again by the binder when used).
 */
import { Deparser } from 'pgsql-deparser';
import { SqlError, SqlState } from '@freshet/common';
import type { PgNode } from '@freshet/sql';
import type { QualifiedName } from './context';

export function strVal(n: PgNode): string {
  return n.String?.sval ?? '';
}

/** RangeVar → schema-qualified name (a catalog.schema.name form keeps schema.name). */
export function rangeVarName(rv: PgNode): QualifiedName {
  return { schema: rv.schemaname ?? null, name: rv.relname };
}

/** A `names` list ([String…], as in DropStmt objects) → qualified name. */
export function nameListName(names: PgNode[]): QualifiedName {
  const parts = names.map(strVal);
  if (parts.length > 3) throw new SqlError(SqlState.SyntaxError, `improper qualified name (too many dotted names): ${parts.join('.')}`);
  return { schema: parts.length >= 2 ? parts[parts.length - 2] : null, name: parts[parts.length - 1] };
}

export function deparseExpr(node: PgNode): string {
  return Deparser.deparse(node as any);
}

/** DefElem list (`WITH (k = v)` parsed by PG) → string map. */
export function defElemOptions(options: PgNode[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of options ?? []) {
    const d = o.DefElem;
    if (!d) continue;
    const key = d.defnamespace ? `${d.defnamespace}.${d.defname}` : d.defname;
    out[key] = d.arg === undefined ? 'true' : defElemValue(d.arg);
  }
  return out;
}

function defElemValue(arg: PgNode): string {
  if (arg.String) return arg.String.sval;
  if (arg.Integer) return String(arg.Integer.ival ?? 0);
  if (arg.Float) return String(arg.Float.fval);
  if (arg.Boolean) return String(arg.Boolean.boolval ?? false);
  if (arg.TypeName) return (arg.TypeName.names ?? []).map(strVal).join('.');
  return deparseExpr(arg);
}
