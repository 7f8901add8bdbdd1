/**
 * stddev/variance family, computed the way RisingWave rewrites them:
 *   var_pop  = (Σx² − (Σx)²/n) / n
 *   var_samp = (Σx² − (Σx)²/n) / (n − 1)      (NULL when n ≤ 1)
 * over numeric for integer/numeric input (exact sums, numeric result) and over float8 for
 * float input. stddev is the square root. Sums retract exactly for numeric input.
 */
import { Decimal, T, type DataType, type Datum } from '@freshet/common';
import type { AggState } from '../types';
import { agg, type AggDef } from './def';

type Kind = 'var_pop' | 'var_samp' | 'stddev_pop' | 'stddev_samp';

function toDecimal(t: DataType, v: Datum): Decimal {
  if (t.kind === 'decimal') return v as Decimal;
  return Decimal.fromInt(v as number | bigint);
}

class DecimalVariance implements AggState {
  private n = 0;
  private sum = Decimal.ZERO;
  private sumSq = Decimal.ZERO;
  constructor(
    private readonly type: DataType,
    private readonly kind: Kind,
  ) {}
  add(args: Datum[]): void {
    if (args[0] === null) return;
    const x = toDecimal(this.type, args[0]);
    this.n++;
    this.sum = this.sum.add(x);
    this.sumSq = this.sumSq.add(x.mul(x));
  }
  retract(args: Datum[]): void {
    if (args[0] === null) return;
    const x = toDecimal(this.type, args[0]);
    this.n--;
    this.sum = this.sum.sub(x);
    this.sumSq = this.sumSq.sub(x.mul(x));
  }
  result(): Datum {
    const samp = this.kind.endsWith('samp');
    if (this.n === 0 || (samp && this.n === 1)) return null;
    const n = Decimal.fromInt(this.n);
    const num = this.sumSq.sub(this.sum.mul(this.sum).div(n));
    let v = num.div(samp ? Decimal.fromInt(this.n - 1) : n);
    if (v.sign() < 0) v = Decimal.ZERO; // rounding noise
    if (this.kind.startsWith('stddev')) return v.sqrt();
    return v;
  }
}

class FloatVariance implements AggState {
  private n = 0;
  private sum = 0;
  private sumSq = 0;
  constructor(private readonly kind: Kind) {}
  add(args: Datum[]): void {
    if (args[0] === null) return;
    const x = args[0] as number;
    this.n++;
    this.sum += x;
    this.sumSq += x * x;
  }
  retract(args: Datum[]): void {
    if (args[0] === null) return;
    const x = args[0] as number;
    this.n--;
    this.sum -= x;
    this.sumSq -= x * x;
  }
  result(): Datum {
    const samp = this.kind.endsWith('samp');
    if (this.n === 0 || (samp && this.n === 1)) return null;
    const num = Math.max(0, this.sumSq - (this.sum * this.sum) / this.n);
    const v = num / (samp ? this.n - 1 : this.n);
    return this.kind.startsWith('stddev') ? Math.sqrt(v) : v;
  }
}

const NAMES: [string, Kind][] = [
  ['var_pop', 'var_pop'],
  ['var_samp', 'var_samp'],
  ['variance', 'var_samp'],
  ['stddev_pop', 'stddev_pop'],
  ['stddev_samp', 'stddev_samp'],
  ['stddev', 'stddev_samp'],
];

export const varianceAggregates: AggDef[] = NAMES.flatMap(([name, kind]) => [
  ...[T.Int16, T.Int32, T.Int64, T.Decimal].map((t) => agg(name, [t], T.Decimal, () => () => new DecimalVariance(t, kind))),
  agg(name, [T.Float32], T.Float64, () => () => new FloatVariance(kind)),
  agg(name, [T.Float64], T.Float64, () => () => new FloatVariance(kind)),
]);
