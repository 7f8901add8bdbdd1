/**
 * bool_and/bool_or/every and bit_and/bit_or/bit_xor. All keep counts rather than a
 * running value so that they can retract: bool_and is "no false seen", bit_and is
 * "every row had the bit", which counts per bit position answer after removals too.
 */
import { T, type DataType, type Datum } from '@freshet/common';
import type { AggState } from '../types';
import { agg, type AggDef } from './def';

class BoolState implements AggState {
  private trues = 0;
  private falses = 0;
  constructor(private readonly isAnd: boolean) {}
  add(args: Datum[]): void {
    if (args[0] === true) this.trues++;
    else if (args[0] === false) this.falses++;
  }
  retract(args: Datum[]): void {
    if (args[0] === true) this.trues--;
    else if (args[0] === false) this.falses--;
  }
  result(): Datum {
    if (this.trues + this.falses === 0) return null;
    return this.isAnd ? this.falses === 0 : this.trues > 0;
  }
}

type BitOp = 'and' | 'or' | 'xor';

class BitState implements AggState {
  private n = 0;
  private readonly ones: Int32Array;
  constructor(
    private readonly op: BitOp,
    private readonly bits: number,
  ) {
    this.ones = new Int32Array(bits);
  }
  private apply(v: Datum, delta: 1 | -1): void {
    if (v === null) return;
    this.n += delta;
    const b = BigInt.asUintN(this.bits, typeof v === 'bigint' ? v : BigInt(v as number));
    for (let i = 0; i < this.bits; i++) if ((b >> BigInt(i)) & 1n) this.ones[i] += delta;
  }
  add(args: Datum[]): void {
    this.apply(args[0], 1);
  }
  retract(args: Datum[]): void {
    this.apply(args[0], -1);
  }
  result(): Datum {
    if (this.n === 0) return null;
    let r = 0n;
    for (let i = 0; i < this.bits; i++) {
      const c = this.ones[i];
      const set = this.op === 'and' ? c === this.n : this.op === 'or' ? c > 0 : (c & 1) === 1;
      if (set) r |= 1n << BigInt(i);
    }
    const signed = BigInt.asIntN(this.bits, r);
    return this.bits === 64 ? signed : Number(signed);
  }
}

function bitDefs(op: BitOp): AggDef[] {
  const bitsOf = (t: DataType) => (t.kind === 'int16' ? 16 : t.kind === 'int32' ? 32 : 64);
  return [T.Int16, T.Int32, T.Int64].map((t) => agg(`bit_${op}`, [t], t, () => () => new BitState(op, bitsOf(t))));
}

export const boolBitAggregates: AggDef[] = [
  agg('bool_and', [T.Boolean], T.Boolean, () => () => new BoolState(true)),
  agg('every', [T.Boolean], T.Boolean, () => () => new BoolState(true)),
  agg('bool_or', [T.Boolean], T.Boolean, () => () => new BoolState(false)),
  ...bitDefs('and'),
  ...bitDefs('or'),
  ...bitDefs('xor'),
];
