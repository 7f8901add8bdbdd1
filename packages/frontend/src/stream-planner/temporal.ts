/**
 * Temporal filters: WHERE conjuncts that compare a row's value with an expression of NOW()
 * (`ts > NOW() - INTERVAL '7 days'`, `ts <= now()`, `ts BETWEEN now() - … AND now()`, which
 * the binder splits into two conjuncts). A stream has no single "now": such conjuncts become
 * a StreamTemporalFilter whose NOW() is the barrier time, so rows enter and leave the MV as
 * time passes. Any other use of the clock in an MV would freeze it at creation and is
 * rejected (0A000), as RisingWave does.
 */
import { type Expr, exprAny } from '../planner/expr';

/** Functions whose value depends on when they run. */
export const TIME_FUNCTIONS = new Set(['now', 'current_timestamp', 'transaction_timestamp', 'statement_timestamp', 'clock_timestamp', 'proctime', 'current_date', 'localtimestamp', 'localtime', 'current_time']);

/** Only these read the clock as the statement's NOW(), which the barrier time can stand for. */
const NOW_FUNCTIONS = new Set(['now', 'current_timestamp', 'transaction_timestamp', 'statement_timestamp']);

const isTimeCall = (x: Expr): boolean => x.kind === 'call' && TIME_FUNCTIONS.has(x.fn.name);
const hasColumns = (e: Expr): boolean => exprAny(e, (x) => x.kind === 'column' || x.kind === 'outer' || x.kind === 'subquery' || x.kind === 'param');

export type TemporalOp = '>' | '>=' | '<' | '<=';

/** `value op bound`, with `bound` a column-free expression of NOW(). */
export interface TemporalConjunct {
  readonly value: Expr;
  readonly op: TemporalOp;
  readonly bound: Expr;
}

const OPS: Record<string, TemporalOp> = { greater_than: '>', greater_than_or_equal: '>=', less_than: '<', less_than_or_equal: '<=' };
const FLIP: Record<TemporalOp, TemporalOp> = { '>': '<', '>=': '<=', '<': '>', '<=': '>=' };

/** The conjunct as a temporal comparison, or null when it is not one. */
export function temporalConjunct(c: Expr): TemporalConjunct | null {
  if (c.kind !== 'call' || c.args.length !== 2) return null;
  const op = OPS[c.fn.name];
  if (!op) return null;
  const [a, b] = c.args;
  const isBound = (e: Expr) => !hasColumns(e) && exprAny(e, isTimeCall) && !exprAny(e, (x) => isTimeCall(x) && !NOW_FUNCTIONS.has((x as { fn: { name: string } }).fn.name));
  const clockFree = (e: Expr) => !exprAny(e, isTimeCall);
  if (isBound(b) && clockFree(a)) return { value: a, op, bound: b };
  if (isBound(a) && clockFree(b)) return { value: b, op: FLIP[op], bound: a };
  return null;
}
