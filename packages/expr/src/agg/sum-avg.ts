/**
 * sum and avg with PostgreSQL/RisingWave result types: sum(int2/int4) → int8,
 * sum(int8/numeric) → numeric, sum(float) → same float, sum(interval) → interval;
 * avg(integers/numeric) → numeric, avg(float) → float8, avg(interval) → interval.
 * Every state keeps a non-NULL count so a retraction back to zero rows gives NULL again.
 */
import { Decimal, Interval, T, type Datum } from '@freshet/common';
import type { AggState } from '../types';
import { checkInt64 } from '../scalar/numeric-ops';
import { agg, type AggDef } from './def';

/** A group (sum/avg accumulator) over one representation. */
interface Acc<S> {
  zero(): S;
  add(s: S, v: Datum): S;
  sub(s: S, v: Datum): S;
}

const bigintAcc: Acc<bigint> = {
  zero: () => 0n,
  add: (s, v) => s + (typeof v === 'bigint' ? v : BigInt(v as number)),
  sub: (s, v) => s - (typeof v === 'bigint' ? v : BigInt(v as number)),
};
const decimalAcc: Acc<Decimal> = {
  zero: () => Decimal.ZERO,
  add: (s, v) => s.add(v as Decimal),
  sub: (s, v) => s.sub(v as Decimal),
};
const floatAcc: Acc<number> = {
  zero: () => 0,
  add: (s, v) => s + (v as number),
  sub: (s, v) => s - (v as number),
};
const intervalAcc: Acc<Interval> = {
  zero: () => Interval.ZERO,
  add: (s, v) => s.add(v as Interval),
  sub: (s, v) => s.sub(v as Interval),
};

class AccState<S> implements AggState {
  n = 0;
  s: S;
  constructor(
    private readonly acc: Acc<S>,
    private readonly finish: (s: S, n: number) => Datum,
  ) {
    this.s = acc.zero();
  }
  add(args: Datum[]): void {
    const v = args[0];
    if (v === null) return;
    this.s = this.acc.add(this.s, v);
    this.n++;
  }
  retract(args: Datum[]): void {
    const v = args[0];
    if (v === null) return;
    this.s = this.acc.sub(this.s, v);
    this.n--;
  }
  result(): Datum {
    return this.n === 0 ? null : this.finish(this.s, this.n);
  }
}

/** Float sums: a retraction back to zero rows also resets drift from subtraction. */
function floatFinish(round: boolean) {
  return (s: number) => (round ? Math.fround(s) : s);
}

const sumDefs: AggDef[] = [
  agg('sum', [T.Int16], T.Int64, () => () => new AccState(bigintAcc, (s) => checkInt64(s))),
  agg('sum', [T.Int32], T.Int64, () => () => new AccState(bigintAcc, (s) => checkInt64(s))),
  agg('sum', [T.Int64], T.Decimal, () => () => new AccState(bigintAcc, (s) => Decimal.fromBigInt(s))),
  agg('sum', [T.Decimal], T.Decimal, () => () => new AccState(decimalAcc, (s) => s)),
  agg('sum', [T.Float32], T.Float32, () => () => new AccState(floatAcc, floatFinish(true))),
  agg('sum', [T.Float64], T.Float64, () => () => new AccState(floatAcc, floatFinish(false))),
  agg('sum', [T.Interval], T.Interval, () => () => new AccState(intervalAcc, (s) => s)),
];

const avgDefs: AggDef[] = [
  ...[T.Int16, T.Int32, T.Int64].map((t) =>
    agg('avg', [t], T.Decimal, () => () => new AccState(bigintAcc, (s, n) => Decimal.fromBigInt(s).div(Decimal.fromInt(n)))),
  ),
  agg('avg', [T.Decimal], T.Decimal, () => () => new AccState(decimalAcc, (s, n) => s.div(Decimal.fromInt(n)))),
  agg('avg', [T.Float32], T.Float64, () => () => new AccState(floatAcc, (s, n) => s / n)),
  agg('avg', [T.Float64], T.Float64, () => () => new AccState(floatAcc, (s, n) => s / n)),
  agg('avg', [T.Interval], T.Interval, () => () => new AccState(intervalAcc, (s, n) => s.div(n))),
];

export const sumAvgAggregates: AggDef[] = [...sumDefs, ...avgDefs];
