/**
 * Casts between SQL types: which casts exist (RisingWave's cast table) and how values convert.
 */
import type { DataType, Datum } from '@freshet/common';
import type { EvalContext } from './context';

export type CastContext = 'implicit' | 'assign' | 'explicit';

export function castDatum(from: DataType, to: DataType, d: Datum, ctx: EvalContext): Datum {
  void from; void to; void ctx;
  return d;
}

export function canCast(from: DataType, to: DataType, context: CastContext): boolean {
  void from; void to; void context;
  return false;
}

export function commonSupertype(types: DataType[]): DataType | undefined {
  return types[0];
}
