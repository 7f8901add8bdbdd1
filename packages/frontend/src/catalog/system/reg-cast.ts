/**
 * Casts to the object-identifier types: `'t'::regclass`, `'int4'::regtype`, `x::oid`,
 * `'public'::regnamespace`, `'root'::regrole`. As in RisingWave these produce int4 oids
 * (there is no separate oid type, so they print as numbers); a string literal is resolved
 * while binding, any other string at run time. `::regproc` passes text through, as
 * RisingWave does.
 */
import { type DataType, type Datum, SqlError, SqlState, T } from '@freshet/common';
import type { ScalarImpl } from '@freshet/expr';
import type { QueryContext } from '../../binder/context';
import type { Expr } from '../../planner/expr';
import { namespaceOid, pgTypeOidByName, relationOid, roleOid } from './functions';

export type RegType = 'oid' | 'regclass' | 'regtype' | 'regproc' | 'regprocedure' | 'regnamespace' | 'regrole';

const REG_TYPES: ReadonlySet<string> = new Set<RegType>(['oid', 'regclass', 'regtype', 'regproc', 'regprocedure', 'regnamespace', 'regrole']);

/** The reg type a TypeName node names (`regclass`, `pg_catalog.regclass`), or null. Arrays are not. */
export function regTypeOf(typeNameNode: unknown): RegType | null {
  const tn = ((typeNameNode as { TypeName?: unknown })?.TypeName ?? typeNameNode) as { names?: unknown[]; arrayBounds?: unknown[] } | undefined;
  if (!tn?.names || (tn.arrayBounds?.length ?? 0) > 0) return null;
  const names = tn.names.map((n) => (n as { String?: { sval?: string } }).String?.sval ?? '');
  if (names.length > 2 || (names.length === 2 && names[0] !== 'pg_catalog')) return null;
  const last = names[names.length - 1];
  return REG_TYPES.has(last) ? (last as RegType) : null;
}

/**
 * Binds `arg::reg`. `castTo` is the binder's explicit cast (it also fixes the type of an
 * untyped parameter).
 */
export function bindRegCast(q: QueryContext, reg: RegType, arg: Expr, castTo: (e: Expr, t: DataType) => Expr): Expr {
  const k = arg.type.kind;
  if (k === 'int16' || k === 'int32' || k === 'int64' || k === 'decimal') return castTo(arg, T.Int32);
  if (reg === 'regproc' || reg === 'regprocedure') return castTo(arg, T.Varchar);
  if (arg.kind === 'literal' && (k === 'unknown' || k === 'varchar')) {
    return { kind: 'literal', value: arg.value === null ? null : lookup(q, reg, arg.value as string), type: T.Int32 };
  }
  const text = castTo(arg, T.Varchar);
  const fn: ScalarImpl = {
    name: reg,
    argTypes: [T.Varchar],
    returnType: T.Int32,
    strict: true,
    eval: (args: Datum[]) => (args[0] === null ? null : lookup(q, reg, args[0] as string)),
  };
  return { kind: 'call', fn, args: [text], type: T.Int32 };
}

function lookup(q: QueryContext, reg: RegType, text: string): number | null {
  // A number is an oid already, whatever the reg type (PostgreSQL accepts '1259'::regclass).
  if (/^\s*\d+\s*$/.test(text)) return Number(text);
  switch (reg) {
    case 'regclass':
      return relationOid(q, text, true);
    case 'regtype':
      return pgTypeOidByName(text, true);
    case 'regnamespace':
      return namespaceOid(q, text);
    case 'regrole':
      return roleOid(q, text);
    default:
      throw new SqlError(SqlState.InvalidTextRepresentation, `invalid input syntax for type oid: "${text}"`);
  }
}
