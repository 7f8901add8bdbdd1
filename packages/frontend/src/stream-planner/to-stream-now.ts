/**
 * `generate_series(start, <expression of NOW()>, step)` in FROM: RisingWave allows NOW()
 * there in a streaming query; the series grows as time passes (NowSeriesExecutor emits,
 * at each barrier, the values up to that barrier's NOW()). `start` and `step` must be
 * constants; the value is the stream key.
 */
import { type Expr, exprAny } from '../planner/expr';
import type { PlanNode } from '../planner/plan';
import type { StreamNode } from './plan';
import { TIME_FUNCTIONS } from './temporal';

type TableFunction = Extract<PlanNode, { kind: 'table_function' }>;

const readsClock = (e: Expr) => exprAny(e, (x) => x.kind === 'call' && TIME_FUNCTIONS.has(x.fn.name));
const constant = (e: Expr) => !exprAny(e, (x) => x.kind === 'column' || x.kind === 'subquery' || x.kind === 'param' || x.kind === 'outer') && !readsClock(e);

/** Whether `p` is `generate_series(const, f(NOW()), const)`. */
export function isNowSeries(p: PlanNode): boolean {
  if (p.kind !== 'table_function' || p.fn.name !== 'generate_series' || p.args.length !== 3 || p.ordinality) return false;
  const [start, end, step] = p.args;
  return constant(start) && constant(step) && readsClock(end) && !exprAny(end, (x) => x.kind === 'column' || x.kind === 'subquery' || x.kind === 'param');
}

export function planNowSeries(p: TableFunction): StreamNode {
  const [start, end, step] = p.args;
  const f = p.schema[0];
  return { kind: 'now_series', start, end, step, schema: [{ name: f.name, type: f.type, hidden: false }], streamKey: [0] };
}
