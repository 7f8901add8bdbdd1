/**
 * Constant folding: calls, casts and boolean operators whose inputs are all literals are
 * evaluated once at planning. Volatile functions (now(), random()) are left alone, and so
 * is anything whose evaluation fails (e.g. 1/0 in a CASE branch that may never run).
 */
import type { Datum } from '@freshet/common';
import { castDatum, type EvalContext } from '@freshet/expr';
import { type Expr, transformExpr } from '../../planner/expr';
import type { PlanNode } from '../../planner/plan';
import { VOLATILE_FUNCTIONS } from '../../binder/synthetic';
import { mapNodeExprs, transformPlan } from './transform';

export function foldExpr(e: Expr, ctx: EvalContext): Expr {
  return transformExpr(e, (x) => {
    if (x.kind === 'subquery') return { ...x, plan: foldConstants(x.plan, ctx) };
    return foldOne(x, ctx);
  });
}

function isLit(e: Expr): e is Extract<Expr, { kind: 'literal' }> {
  return e.kind === 'literal';
}

function foldOne(x: Expr, ctx: EvalContext): Expr {
  try {
    switch (x.kind) {
      case 'call':
        if (VOLATILE_FUNCTIONS.has(x.fn.name) || !x.args.every(isLit)) return x;
        return { kind: 'literal', value: x.fn.eval(x.args.map((a) => (a as { value: Datum }).value), ctx), type: x.type };
      case 'cast':
        if (!isLit(x.arg)) return x;
        return { kind: 'literal', value: x.arg.value === null ? null : castDatum(x.arg.type, x.type, x.arg.value, ctx), type: x.type };
      case 'not':
        return isLit(x.arg) ? { kind: 'literal', value: x.arg.value === null ? null : !x.arg.value, type: x.type } : x;
      case 'and':
      case 'or': {
        const stop = x.kind === 'or';
        const rest: Expr[] = [];
        let sawNull = false;
        for (const a of x.args) {
          if (isLit(a)) {
            if (a.value === stop) return { kind: 'literal', value: stop, type: x.type };
            if (a.value === null) sawNull = true;
          } else rest.push(a);
        }
        if (rest.length === 0) return { kind: 'literal', value: sawNull ? null : !stop, type: x.type };
        if (!sawNull && rest.length === 1) return rest[0];
        if (sawNull) rest.push({ kind: 'literal', value: null, type: x.type });
        return rest.length === x.args.length ? x : { ...x, args: rest };
      }
      case 'is_null':
        return isLit(x.arg) ? { kind: 'literal', value: (x.arg.value === null) !== x.negated, type: x.type } : x;
      default:
        return x;
    }
  } catch {
    return x;
  }
}

export function foldConstants(plan: PlanNode, ctx: EvalContext): PlanNode {
  return transformPlan(plan, (p) => mapNodeExprs(p, (e) => foldExpr(e, ctx)));
}

