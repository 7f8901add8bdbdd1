/** Helpers for this package's tests: resolve-and-call with a fixed context. */
import type { DataType, Datum } from '@freshet/common';
import type { EvalContext } from './context';
import { resolveScalar } from './registry';

export const ctx: EvalContext = { timeZone: 'UTC', now: Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 };

export function call(name: string, types: DataType[], args: Datum[], c: EvalContext = ctx): Datum {
  return resolveScalar(name, types).eval(args, c);
}
