/**
 * `agg(DISTINCT …)`: a multiset over the argument tuple in front of any aggregate. The
 * inner state sees a tuple when its first copy arrives and loses it when the last copy
 * is retracted, so DISTINCT stays retractable.
 */
import type { DataType, Datum } from '@freshet/common';
import type { AggState } from '../types';
import { tupleKey } from './multiset';

export class DistinctState implements AggState {
  private readonly counts = new Map<unknown, number>();
  constructor(
    private readonly types: DataType[],
    private readonly inner: AggState,
  ) {}
  add(args: Datum[]): void {
    const k = tupleKey(this.types, args);
    const n = this.counts.get(k) ?? 0;
    this.counts.set(k, n + 1);
    if (n === 0) this.inner.add(args);
  }
  retract(args: Datum[]): void {
    const k = tupleKey(this.types, args);
    const n = this.counts.get(k);
    if (n === undefined) return;
    if (n === 1) {
      this.counts.delete(k);
      this.inner.retract(args);
    } else this.counts.set(k, n - 1);
  }
  result(): Datum {
    return this.inner.result();
  }
}
