/**
 * How aggregate families declare themselves: a signature plus a state factory for the
 * concrete argument types.
 */
import type { DataType } from '@freshet/common';
import type { Signature } from '../overload';
import type { AggState } from '../types';

export interface AggDef extends Signature {
  readonly name: string;
  readonly ret: DataType | ((argTypes: DataType[]) => DataType);
  /** The result depends on input order (string_agg, array_agg, first_value…). */
  readonly orderSensitive?: boolean;
  /**
   * Builds the state factory. `appendOnly` promises no retract() will be called, letting
   * states like min/max skip the bookkeeping retraction needs.
   */
  readonly factory: (argTypes: DataType[], returnType: DataType, appendOnly: boolean) => () => AggState;
}

export function agg(
  name: string,
  args: AggDef['args'],
  ret: AggDef['ret'],
  factory: AggDef['factory'],
  opts: { orderSensitive?: boolean; variadic?: AggDef['variadic'] } = {},
): AggDef {
  return { name, args, ret, factory, ...opts };
}
