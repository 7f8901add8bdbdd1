/**
 * The public shapes of resolved functions. The binder resolves a call once (name + arg
 * types) and keeps the impl; executors call `eval` per row.
 */
import type { DataType, Datum } from '@freshet/common';
import type { EvalContext } from './context';

export interface ScalarImpl {
  readonly name: string;
  /** The signature chosen; the binder casts the actual arguments to these types. */
  readonly argTypes: DataType[];
  readonly returnType: DataType;
  /** true: any NULL argument yields NULL. The impl checks this itself, so callers need not. */
  readonly strict: boolean;
  eval(args: Datum[], ctx: EvalContext): Datum;
}

export interface TableFunctionImpl {
  readonly name: string;
  readonly argTypes: DataType[];
  /** One entry per output column (unnest of a list: one; jsonb_each: two). */
  readonly returnTypes: DataType[];
  readonly columnNames: string[];
  eval(args: Datum[], ctx: EvalContext): Iterable<Datum[]>;
}

export interface AggState {
  add(args: Datum[]): void;
  /** Undo one earlier `add` with the same args (streaming deletes, sliding window frames). */
  retract(args: Datum[]): void;
  result(): Datum;
}

export interface AggOptions {
  distinct?: boolean;
  /** The caller will never retract (batch aggregation): states may skip retraction bookkeeping. */
  appendOnly?: boolean;
}

export interface AggImpl {
  readonly name: string;
  readonly argTypes: DataType[];
  readonly returnType: DataType;
  /**
   * true when the result depends on input order (string_agg, array_agg, first_value,
   * jsonb_agg…): the caller must feed rows in the call's ORDER BY order.
   */
  readonly orderSensitive: boolean;
  create(): AggState;
}
