/**
 * Aggregate and window calls found while binding a select list / HAVING / ORDER BY.
 * Each call is bound over the FROM row and replaced by a placeholder; once every clause is
 * bound, the select binder builds the Agg/Window nodes and rewrites placeholders to columns.
 */
import { T } from '@freshet/common';
import { type Expr, exprKey } from '../planner/expr';
import type { AggCall, WindowCall } from '../planner/plan';

export class AggCollector {
  readonly calls: AggCall[] = [];
  private readonly byKey = new Map<string, number>();

  add(call: AggCall): Expr {
    const key = [
      call.fn.name,
      call.distinct,
      call.args.map(exprKey).join(','),
      call.orderBy.map((o) => `${exprKey(o.expr)}:${o.desc}:${o.nullsFirst}`).join(','),
      call.filter ? exprKey(call.filter) : '',
    ].join('|');
    let index = this.byKey.get(key);
    if (index === undefined) {
      index = this.calls.length;
      this.calls.push(call);
      this.byKey.set(key, index);
    }
    return { kind: 'placeholder', slot: 'agg', index, type: call.type };
  }

  /** GROUPING(args…) calls: their arguments, over the FROM row. */
  readonly groupings: Expr[][] = [];

  addGrouping(args: Expr[]): Expr {
    this.groupings.push(args);
    return { kind: 'placeholder', slot: 'grouping', index: this.groupings.length - 1, type: T.Int32 };
  }
}

export class WindowCollector {
  readonly calls: WindowCall[] = [];

  add(call: WindowCall): Expr {
    this.calls.push(call);
    return { kind: 'placeholder', slot: 'window', index: this.calls.length - 1, type: call.type };
  }
}
