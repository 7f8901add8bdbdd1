/**
 * Type coercion during binding: implicit/assignment/explicit casts, typing of untyped
 * literals ('1' stays `unknown` until context gives it a type) and of parameters ($1
 * takes the type its context expects), and unification for CASE/COALESCE/UNION/VALUES.
 */
import { type DataType, type Datum, SqlError, SqlState, T, parseDatum, typeEquals, typeName } from '@freshet/common';
import { type CastContext, canCast, castDatum, commonSupertype } from '@freshet/expr';
import type { Expr } from '../planner/expr';
import type { BindContext } from './context';

export function cannotCast(from: DataType, to: DataType, ctx?: CastContext): SqlError {
  const suffix = ctx && ctx !== 'explicit' ? ` in ${ctx === 'implicit' ? 'Implicit' : 'Assign'} context` : '';
  return new SqlError(SqlState.CannotCoerce, `cannot cast type "${typeName(from)}" to "${typeName(to)}"${suffix}`);
}

/** Converts `e` to type `to`, or throws 42846. Untyped literals and parameters adopt `to`. */
export function coerce(bc: BindContext, e: Expr, to: DataType, ctx: CastContext): Expr {
  if (typeEquals(e.type, to)) return e;
  if (to.kind === 'unknown') return e;
  if (e.kind === 'literal') {
    if (e.value === null) return { kind: 'literal', value: null, type: to };
    if (e.type.kind === 'unknown') return { kind: 'literal', value: parseLiteral(bc, to, e.value as string), type: to };
  }
  if (e.kind === 'row' && to.kind === 'struct' && e.fields.length === to.fields.length) {
    // Field by field, so untyped literals in ROW(…) take the target field types.
    return { kind: 'row', fields: e.fields.map((f, i) => coerce(bc, f, to.fields[i].type, ctx)), type: to };
  }
  if (e.kind === 'param' && e.type.kind === 'unknown') {
    bc.setParamType(e.index, to);
    return { ...e, type: to };
  }
  if (e.type.kind === 'unknown') {
    // An unknown-typed non-literal (e.g. CASE of untyped literals) is text.
    return coerce(bc, { kind: 'cast', arg: e, type: T.Varchar }, to, ctx);
  }
  if (!canCast(e.type, to, ctx)) throw cannotCast(e.type, to, ctx);
  if (e.kind === 'literal') {
    // Constant casts are folded here so bad literals fail at bind time (as in PostgreSQL).
    return { kind: 'literal', value: castDatum(e.type, to, e.value, bc.evalContext()), type: to };
  }
  return { kind: 'cast', arg: e, type: to };
}

export function parseLiteral(bc: BindContext, to: DataType, text: string): Datum {
  return parseDatum(to, text, bc.query.timeZone);
}

/** Gives untyped literals/params their default type (varchar) when nothing else decides. */
export function resolveUnknown(bc: BindContext, e: Expr): Expr {
  return e.type.kind === 'unknown' ? coerce(bc, e, T.Varchar, 'implicit') : e;
}

/** The common type of several expressions (CASE results, COALESCE, IN lists, VALUES columns). */
export function unify(bc: BindContext, exprs: readonly Expr[], what: string): DataType {
  const known = exprs.map((e) => e.type).filter((t) => t.kind !== 'unknown');
  if (known.length === 0) return T.Varchar;
  const t = commonSupertype(known);
  if (!t) {
    throw new SqlError(
      SqlState.DatatypeMismatch,
      `${what} types ${[...new Set(known.map(typeName))].join(' and ')} cannot be matched`,
    );
  }
  void bc;
  return t;
}

export function unifyAndCoerce(bc: BindContext, exprs: readonly Expr[], what: string): Expr[] {
  const t = unify(bc, exprs, what);
  return exprs.map((e) => coerce(bc, e, t, 'implicit'));
}
