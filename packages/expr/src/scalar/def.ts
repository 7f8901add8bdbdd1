/**
 * How a family file declares scalar functions. A definition is a signature (possibly
 * polymorphic or variadic) plus either a fixed evaluator or a `bind` that builds one
 * for the concrete argument types chosen by overload resolution.
 */
import type { DataType, Datum } from '@freshet/common';
import type { EvalContext } from '../context';
import type { ArgSpec, Signature } from '../overload';

export type EvalFn = (args: Datum[], ctx: EvalContext) => Datum;

export interface ScalarDef extends Signature {
  readonly name: string;
  readonly ret: DataType | ((argTypes: DataType[]) => DataType);
  /** NULL in → NULL out (default true). Non-strict functions see NULL arguments. */
  readonly strict?: boolean;
  readonly eval?: EvalFn;
  readonly bind?: (argTypes: DataType[], returnType: DataType) => EvalFn;
}

export interface DefOptions {
  strict?: boolean;
  variadic?: ArgSpec;
  minVariadic?: number;
}

/** A definition with a fixed evaluator. */
export function fn(
  name: string,
  args: ArgSpec[],
  ret: ScalarDef['ret'],
  evalFn: EvalFn,
  opts: DefOptions = {},
): ScalarDef {
  return { name, args, ret, eval: evalFn, ...opts };
}

/** A definition whose evaluator depends on the concrete argument types. */
export function bound(
  name: string,
  args: ArgSpec[],
  ret: ScalarDef['ret'],
  bind: NonNullable<ScalarDef['bind']>,
  opts: DefOptions = {},
): ScalarDef {
  return { name, args, ret, bind, ...opts };
}

/** The same definition under several names (aliases such as ceil/ceiling). */
export function aliases(names: string[], defs: ScalarDef[]): ScalarDef[] {
  return names.flatMap((name) => defs.map((d) => ({ ...d, name })));
}

export const firstArgType = (t: DataType[]) => t[0];
