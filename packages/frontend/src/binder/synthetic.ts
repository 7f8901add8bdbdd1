/**
 * Scalar implementations the binder builds itself because they are syntax rather than
 * catalog functions: IS DISTINCT FROM, GREATEST/LEAST and now() (which must read the
 * statement's start time at execution, not at planning, so cached plans stay correct).
 */
import { type DataType, type Datum, T, compareDatum, datumEquals } from '@freshet/common';
import type { EvalContext, ScalarImpl } from '@freshet/expr';

export function isDistinctImpl(t: DataType): ScalarImpl {
  return {
    name: 'is_distinct_from',
    argTypes: [t, t],
    returnType: T.Boolean,
    strict: false,
    eval(args: Datum[]): Datum {
      const [a, b] = args;
      if (a === null || b === null) return a !== b;
      return !datumEquals(t, a, b);
    },
  };
}

export function greatestLeastImpl(greatest: boolean, t: DataType): ScalarImpl {
  return {
    name: greatest ? 'greatest' : 'least',
    argTypes: [],
    returnType: t,
    strict: false,
    eval(args: Datum[]): Datum {
      let best: Datum = null;
      for (const a of args) {
        if (a === null) continue;
        if (best === null) best = a;
        else {
          const c = compareDatum(t, a, best);
          if (greatest ? c > 0 : c < 0) best = a;
        }
      }
      return best;
    },
  };
}

export const nowImpl: ScalarImpl = {
  name: 'now',
  argTypes: [],
  returnType: T.Timestamptz,
  strict: false,
  eval(_args: Datum[], ctx: EvalContext): Datum {
    return ctx.now;
  },
};

/** Functions whose result may differ between calls with equal arguments: never constant-folded. */
export const VOLATILE_FUNCTIONS = new Set(['now', 'random', 'clock_timestamp', 'proctime', 'gen_random_uuid', 'pg_sleep', 'nextval']);
