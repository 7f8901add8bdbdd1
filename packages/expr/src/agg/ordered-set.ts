/**
 * Ordered-set aggregates (`WITHIN GROUP (ORDER BY x)`) and approx_count_distinct.
 *
 * Calling convention for ordered-set aggregates: the direct argument (the fraction of
 * percentile_cont/percentile_disc) comes first and is the same on every row, followed by
 * the WITHIN GROUP sort value: `percentile_cont(0.5) WITHIN GROUP (ORDER BY x)` resolves as
 * `percentile_cont(float8, float8)` with rows `[0.5, x]`. `mode()` takes just `[x]`.
 * The states sort by themselves (ascending); for DESC the caller passes 1 - fraction.
 */
import { compareDatum, T, type DataType, type Datum } from '@freshet/common';
import type { AggState } from '../types';
import { invalidParameter } from '../errors';
import { agg, type AggDef } from './def';
import { Multiset, type Entry } from './multiset';

class SortedValues implements AggState {
  private readonly values: Multiset;
  private fraction: Datum = null;
  constructor(
    private readonly type: DataType,
    private readonly valueIndex: number,
    private readonly finish: (sorted: Datum[], fraction: number, entries: Entry[]) => Datum,
  ) {
    this.values = new Multiset(type);
  }
  add(args: Datum[]): void {
    if (this.valueIndex > 0) this.fraction = args[0];
    const v = args[this.valueIndex];
    if (v !== null) this.values.add(v);
  }
  retract(args: Datum[]): void {
    const v = args[this.valueIndex];
    if (v !== null) this.values.remove(v);
  }
  result(): Datum {
    if (this.values.size === 0) return null;
    const entries = [...this.values.entries.values()].sort((a, b) => compareDatum(this.type, a.value, b.value));
    const sorted: Datum[] = [];
    for (const e of entries) for (let i = 0; i < e.count; i++) sorted.push(e.value);
    let f = 0;
    if (this.valueIndex > 0) {
      if (this.fraction === null) return null;
      f = this.fraction as number;
      if (!(f >= 0 && f <= 1)) throw invalidParameter('percentile', `percentile value ${f} is not between 0 and 1`);
    }
    return this.finish(sorted, f, entries);
  }
}

function percentileCont(sorted: Datum[], f: number): Datum {
  const pos = f * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return lo === hi ? a : a + (pos - lo) * (b - a);
}

function percentileDisc(sorted: Datum[], f: number): Datum {
  const idx = Math.max(0, Math.ceil(f * sorted.length) - 1);
  return sorted[idx];
}

/** The most frequent value; ties go to the smallest (PostgreSQL's mode keeps the first in sort order). */
function mode(entries: Entry[]): Datum {
  let best = entries[0];
  for (const e of entries) if (e.count > best.count) best = e;
  return best.value;
}

class CountDistinct implements AggState {
  private readonly values: Multiset;
  constructor(type: DataType) {
    this.values = new Multiset(type);
  }
  add(args: Datum[]): void {
    if (args[0] !== null) this.values.add(args[0]);
  }
  retract(args: Datum[]): void {
    if (args[0] !== null) this.values.remove(args[0]);
  }
  result(): Datum {
    return BigInt(this.values.size);
  }
}

export const orderedSetAggregates: AggDef[] = [
  agg('percentile_cont', [T.Float64, T.Float64], T.Float64, (t) => () => new SortedValues(t[1], 1, percentileCont)),
  agg('percentile_disc', [T.Float64, 'anyelement'], (t) => t[1], (t) => () => new SortedValues(t[1], 1, percentileDisc)),
  agg('mode', ['anyelement'], (t) => t[0], (t) => () => new SortedValues(t[0], 0, (_s, _f, e) => mode(e))),
  agg('approx_count_distinct', ['any'], T.Int64, (t) => () => new CountDistinct(t[0])),
];
