/** count(*) (zero arguments: every row) and count(x) (non-NULL rows); never NULL. */
import { T, type Datum } from '@freshet/common';
import type { AggState } from '../types';
import { agg, type AggDef } from './def';

class CountState implements AggState {
  private n = 0;
  constructor(private readonly star: boolean) {}
  add(args: Datum[]): void {
    if (this.star || args[0] !== null) this.n++;
  }
  retract(args: Datum[]): void {
    if (this.star || args[0] !== null) this.n--;
  }
  result(): Datum {
    return BigInt(this.n);
  }
}

export const countAggregates: AggDef[] = [
  agg('count', [], T.Int64, () => () => new CountState(true)),
  agg('count', ['any'], T.Int64, () => () => new CountState(false)),
];
