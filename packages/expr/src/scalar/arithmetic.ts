/**
 * Arithmetic operators on numbers (PostgreSQL semantics: same-type operands after
 * implicit casts, integer division truncates, overflow and division by zero are errors)
 * plus bitwise operators on integers. Date/time arithmetic lives in datetime-arith.ts
 * and decimal arithmetic in decimal-ops.ts.
 */
import { Decimal, SqlError, T, type DataType, type Datum } from '@freshet/common';
import { numericOutOfRange } from '../errors';
import { fn, type ScalarDef } from './def';
import { checkFloat, checkInt64, checkNonZero, floatRounder, smallIntChecker } from './numeric-ops';

const SMALL_INTS = [T.Int16, T.Int32];
const FLOATS = [T.Float32, T.Float64];

type NumOp = (a: number, b: number) => number;
type BigOp = (a: bigint, b: bigint) => bigint;

function smallIntOp(name: string, t: DataType, op: NumOp): ScalarDef {
  const check = smallIntChecker(t);
  return fn(name, [t, t], t, (a) => check(op(a[0] as number, a[1] as number)));
}

function floatOp(name: string, t: DataType, op: NumOp): ScalarDef {
  const round = floatRounder(t);
  return fn(name, [t, t], t, (a) => {
    const x = a[0] as number;
    const y = a[1] as number;
    return round(checkFloat(op(x, y), x, y));
  });
}

/**
 * PostgreSQL also has float4-float8 mixed operators (float48pl…); they are why
 * `smallint + real` resolves to double precision rather than real.
 */
function mixedFloatOps(name: string, op: NumOp): ScalarDef[] {
  const ev = (a: Datum[]) => {
    const x = a[0] as number;
    const y = a[1] as number;
    return checkFloat(op(x, y), x, y);
  };
  return [fn(name, [T.Float32, T.Float64], T.Float64, ev), fn(name, [T.Float64, T.Float32], T.Float64, ev)];
}

function int64Op(name: string, op: BigOp): ScalarDef {
  return fn(name, [T.Int64, T.Int64], T.Int64, (a) => checkInt64(op(a[0] as bigint, a[1] as bigint)));
}

const numDiv: NumOp = (a, b) => {
  checkNonZero(b);
  return Math.trunc(a / b);
};
const numMod: NumOp = (a, b) => {
  checkNonZero(b);
  const r = a % b;
  return r === 0 ? 0 : r; // no -0 for integers
};
const floatDiv: NumOp = (a, b) => {
  checkNonZero(b);
  return a / b;
};
const floatMod: NumOp = (a, b) => {
  checkNonZero(b);
  return a % b;
};

function numberFamily(): ScalarDef[] {
  const out: ScalarDef[] = [];
  for (const t of SMALL_INTS) {
    out.push(
      smallIntOp('add', t, (a, b) => a + b),
      smallIntOp('subtract', t, (a, b) => a - b),
      smallIntOp('multiply', t, (a, b) => a * b),
      smallIntOp('divide', t, numDiv),
      smallIntOp('modulus', t, numMod),
      fn('neg', [t], t, (a) => smallIntChecker(t)(-(a[0] as number) || 0)),
      fn('abs_op', [t], t, (a) => smallIntChecker(t)(Math.abs(a[0] as number))),
      smallIntOp('bitwise_and', t, (a, b) => a & b),
      smallIntOp('bitwise_or', t, (a, b) => a | b),
      smallIntOp('bitwise_xor', t, (a, b) => a ^ b),
      fn('bitwise_not', [t], t, (a) => ~(a[0] as number)),
      ...shifts(t),
    );
  }
  out.push(
    int64Op('add', (a, b) => a + b),
    int64Op('subtract', (a, b) => a - b),
    int64Op('multiply', (a, b) => a * b),
    int64Op('divide', (a, b) => {
      checkNonZero(b);
      return a / b;
    }),
    int64Op('modulus', (a, b) => {
      checkNonZero(b);
      return a % b;
    }),
    fn('neg', [T.Int64], T.Int64, (a) => checkInt64(-(a[0] as bigint))),
    fn('abs_op', [T.Int64], T.Int64, (a) => {
      const v = a[0] as bigint;
      return checkInt64(v < 0n ? -v : v);
    }),
    int64Op('bitwise_and', (a, b) => a & b),
    int64Op('bitwise_or', (a, b) => a | b),
    int64Op('bitwise_xor', (a, b) => a ^ b),
    fn('bitwise_not', [T.Int64], T.Int64, (a) => ~(a[0] as bigint)),
    ...shifts(T.Int64),
  );
  for (const t of FLOATS) {
    const round = floatRounder(t);
    out.push(
      floatOp('add', t, (a, b) => a + b),
      floatOp('subtract', t, (a, b) => a - b),
      floatOp('multiply', t, (a, b) => a * b),
      floatOp('divide', t, floatDiv),
      floatOp('modulus', t, floatMod),
      fn('neg', [t], t, (a) => round(-(a[0] as number))),
      fn('abs_op', [t], t, (a) => Math.abs(a[0] as number)),
    );
  }
  out.push(...decimalFamily());
  out.push(
    ...mixedFloatOps('add', (a, b) => a + b),
    ...mixedFloatOps('subtract', (a, b) => a - b),
    ...mixedFloatOps('multiply', (a, b) => a * b),
    ...mixedFloatOps('divide', floatDiv),
    fn('pow_op', [T.Float64, T.Float64], T.Float64, (a) => powFloat(a[0] as number, a[1] as number)),
  );
  return out;
}

function decimalFamily(): ScalarDef[] {
  const D = T.Decimal;
  const op = (name: string, f: (a: Decimal, b: Decimal) => Decimal) =>
    fn(name, [D, D], D, (a) => f(a[0] as Decimal, a[1] as Decimal));
  return [
    op('add', (a, b) => a.add(b)),
    op('subtract', (a, b) => a.sub(b)),
    op('multiply', (a, b) => a.mul(b)),
    op('divide', (a, b) => a.div(b)),
    op('modulus', (a, b) => a.mod(b)),
    op('pow_op', powDecimal),
    fn('neg', [D], D, (a) => (a[0] as Decimal).neg()),
    fn('abs_op', [D], D, (a) => (a[0] as Decimal).abs()),
  ];
}

/** numeric ^ numeric: exact for small integer exponents, else through float8. */
export function powDecimal(a: Decimal, b: Decimal): Decimal {
  if (a.isFinite() && b.isFinite() && b.scale === 0 && b.mantissa >= 0n && b.mantissa <= 64n) {
    let r = Decimal.ONE;
    for (let i = 0n; i < b.mantissa; i++) r = r.mul(a);
    return r;
  }
  if (a.isZero() && b.sign() < 0) throw new SqlError('2201F', 'zero raised to a negative power is undefined');
  const v = powFloat(a.toNumber(), b.toNumber());
  if (!Number.isFinite(v)) throw numericOutOfRange();
  return Decimal.fromNumber(v);
}

/** `<<` / `>>` take an int32 shift count, as in PostgreSQL; counts wrap like C's do. */
function shifts(t: DataType): ScalarDef[] {
  if (t.kind === 'int64') {
    return [
      fn('shift_left', [t, T.Int32], t, (a) => BigInt.asIntN(64, (a[0] as bigint) << BigInt((a[1] as number) & 63))),
      fn('shift_right', [t, T.Int32], t, (a) => (a[0] as bigint) >> BigInt((a[1] as number) & 63)),
    ];
  }
  const bits = t.kind === 'int16' ? 16 : 32;
  const wrap = (v: number) => (bits === 16 ? (v << 16) >> 16 : v | 0);
  return [
    fn('shift_left', [t, T.Int32], t, (a) => wrap((a[0] as number) << ((a[1] as number) & (bits - 1)))),
    fn('shift_right', [t, T.Int32], t, (a) => (a[0] as number) >> ((a[1] as number) & (bits - 1))),
  ];
}

/** PostgreSQL's pow for float8: errors instead of returning NaN/inf for bad inputs. */
export function powFloat(x: number, y: number): number {
  if (x === 0 && y < 0) throw new SqlError('2201F', 'zero raised to a negative power is undefined');
  if (x < 0 && !Number.isInteger(y) && Number.isFinite(y)) {
    throw new SqlError('2201F', 'a negative number raised to a non-integer power yields a complex result');
  }
  return checkFloat(Math.pow(x, y), x, y);
}

export const arithmeticFunctions: ScalarDef[] = numberFamily();
