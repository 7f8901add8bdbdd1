/**
 * Mathematical functions. Rounding follows PostgreSQL: numeric rounds half away from
 * zero, float8 rounds half to even (rint) and keeps -0; round(numeric, n) never adds
 * scale (RisingWave's round_dp). Float inputs of integer types resolve to float8 or
 * numeric through the usual overload rules (round(4) is round(float8)).
 */
import { compareDatum, Decimal, SqlError, T, type DataType, type Datum } from '@freshet/common';
import { numericOutOfRange } from '../errors';
import { powDecimal, powFloat } from './arithmetic';
import { aliases, bound, fn, type ScalarDef } from './def';
import { checkInt64, checkNonZero, smallIntChecker } from './numeric-ops';

const F = T.Float64;
const D = T.Decimal;
const I = T.Int32;

/** rint(): round half to even, keeping the sign of zero. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  if (Math.abs(x - Math.trunc(x)) === 0.5) return 2 * Math.round(x / 2);
  return r === 0 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : r;
}

function roundDecimal(d: Decimal, digits: number): Decimal {
  if (!d.isFinite() || digits >= d.scale) return d;
  return d.round(digits);
}

function truncDecimal(d: Decimal, digits: number): Decimal {
  if (!d.isFinite() || digits >= d.scale) return d;
  return d.trunc(digits);
}

const invalidArg = (msg: string) => new SqlError('2201F', msg);
const logError = (x: number) =>
  new SqlError('2201E', x === 0 ? 'cannot take logarithm of zero' : 'cannot take logarithm of a negative number');

function checkedLog(f: (x: number) => number): (x: number) => number {
  return (x) => {
    if (x <= 0) throw logError(x);
    return f(x);
  };
}

function sqrt(x: number): number {
  if (x < 0) throw invalidArg('cannot take square root of a negative number');
  return Math.sqrt(x);
}

function exp(x: number): number {
  const r = Math.exp(x);
  if (!Number.isFinite(r) && Number.isFinite(x)) throw numericOutOfRange();
  return r;
}

/** A float8 function also offered on numeric (computed through float8, returned as numeric). */
function floatAndDecimal(names: string[], f: (x: number) => number): ScalarDef[] {
  return aliases(names, [
    fn('', [F], F, (a) => f(a[0] as number)),
    fn('', [D], D, (a) => {
      const d = a[0] as Decimal;
      if (d.isNaN()) return d;
      return Decimal.fromNumber(f(d.toNumber()));
    }),
  ]);
}

function trig(name: string, f: (x: number) => number, domain?: (x: number) => boolean): ScalarDef {
  return fn(name, [F], F, (a) => {
    const x = a[0] as number;
    if (domain && !Number.isNaN(x) && !domain(x)) throw new SqlError('22003', 'input is out of range');
    return f(x);
  });
}

const deg = (x: number) => (x * Math.PI) / 180;
/** sind/cosd exact at multiples of 30°, as PostgreSQL's are. */
function sind(x: number): number {
  const r = ((x % 360) + 360) % 360;
  const exact: Record<number, number> = { 0: 0, 30: 0.5, 90: 1, 150: 0.5, 180: 0, 210: -0.5, 270: -1, 330: -0.5 };
  return r in exact ? exact[r] : Math.sin(deg(x));
}
const cosd = (x: number) => sind(x + 90);

function gcdBig(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function intFamilies(): ScalarDef[] {
  const out: ScalarDef[] = [];
  for (const t of [T.Int16, T.Int32]) {
    const check = smallIntChecker(t);
    out.push(
      fn('abs', [t], t, (a) => check(Math.abs(a[0] as number))),
      fn('mod', [t, t], t, (a) => {
        checkNonZero(a[1] as number);
        return (a[0] as number) % (a[1] as number) || 0;
      }),
      fn('sign', [t], t, (a) => Math.sign(a[0] as number) || 0),
    );
  }
  for (const t of [T.Int32, T.Int64]) {
    const toBig = t.kind === 'int64' ? (v: Datum) => v as bigint : (v: Datum) => BigInt(v as number);
    const back = t.kind === 'int64' ? (v: bigint) => checkInt64(v) : (v: bigint) => smallIntChecker(T.Int32)(Number(v));
    out.push(
      fn('gcd', [t, t], t, (a) => back(gcdBig(toBig(a[0]), toBig(a[1])))),
      fn('lcm', [t, t], t, (a) => {
        const x = toBig(a[0]);
        const y = toBig(a[1]);
        if (x === 0n || y === 0n) return back(0n);
        const l = (x / gcdBig(x, y)) * y;
        return back(l < 0n ? -l : l);
      }),
    );
  }
  out.push(
    fn('abs', [T.Int64], T.Int64, (a) => {
      const v = a[0] as bigint;
      return checkInt64(v < 0n ? -v : v);
    }),
    fn('mod', [T.Int64, T.Int64], T.Int64, (a) => {
      checkNonZero(a[1] as bigint);
      return (a[0] as bigint) % (a[1] as bigint);
    }),
    fn('sign', [T.Int64], T.Int64, (a) => {
      const v = a[0] as bigint;
      return v > 0n ? 1n : v < 0n ? -1n : 0n;
    }),
  );
  return out;
}

/** greatest/least: NULLs are ignored; NULL only if every argument is NULL. */
function extreme(name: string, sign: 1 | -1): ScalarDef {
  return bound(
    name,
    [],
    (t) => t[0],
    (types) => {
      const t: DataType = types[0];
      return (args) => {
        let best: Datum = null;
        for (const v of args) {
          if (v !== null && (best === null || sign * compareDatum(t, v, best) > 0)) best = v;
        }
        return best;
      };
    },
    { variadic: 'anyelement', minVariadic: 1, strict: false },
  );
}

export const mathFunctions: ScalarDef[] = [
  ...intFamilies(),
  fn('abs', [T.Float32], T.Float32, (a) => Math.abs(a[0] as number)),
  fn('abs', [F], F, (a) => Math.abs(a[0] as number)),
  fn('abs', [D], D, (a) => (a[0] as Decimal).abs()),
  ...aliases(['ceil', 'ceiling'], [
    fn('', [F], F, (a) => Math.ceil(a[0] as number)),
    fn('', [D], D, (a) => (a[0] as Decimal).ceil()),
  ]),
  fn('floor', [F], F, (a) => Math.floor(a[0] as number)),
  fn('floor', [D], D, (a) => (a[0] as Decimal).floor()),
  fn('round', [F], F, (a) => roundHalfEven(a[0] as number)),
  fn('round', [D], D, (a) => roundDecimal(a[0] as Decimal, 0)),
  fn('round', [D, I], D, (a) => roundDecimal(a[0] as Decimal, a[1] as number)),
  fn('trunc', [F], F, (a) => Math.trunc(a[0] as number)),
  fn('trunc', [D], D, (a) => truncDecimal(a[0] as Decimal, 0)),
  fn('trunc', [D, I], D, (a) => truncDecimal(a[0] as Decimal, a[1] as number)),
  fn('sign', [F], F, (a) => Math.sign(a[0] as number)),
  fn('sign', [D], D, (a) => {
    const d = a[0] as Decimal;
    return d.isNaN() ? d : Decimal.fromInt(d.sign());
  }),
  fn('mod', [D, D], D, (a) => (a[0] as Decimal).mod(a[1] as Decimal)),
  fn('scale', [D], I, (a) => ((a[0] as Decimal).isFinite() ? (a[0] as Decimal).scale : null)),
  fn('sqrt', [F], F, (a) => sqrt(a[0] as number)),
  fn('sqrt', [D], D, (a) => {
    const d = a[0] as Decimal;
    if (d.sign() < 0) throw invalidArg('cannot take square root of a negative number');
    return d.sqrt();
  }),
  fn('cbrt', [F], F, (a) => Math.cbrt(a[0] as number)),
  ...aliases(['power', 'pow'], [
    fn('', [F, F], F, (a) => powFloat(a[0] as number, a[1] as number)),
    fn('', [D, D], D, (a) => powDecimal(a[0] as Decimal, a[1] as Decimal)),
  ]),
  ...floatAndDecimal(['exp'], exp),
  ...floatAndDecimal(['ln'], checkedLog(Math.log)),
  ...floatAndDecimal(['log', 'log10'], checkedLog(Math.log10)),
  fn('log', [D, D], D, (a) => {
    const b = (a[0] as Decimal).toNumber();
    const x = (a[1] as Decimal).toNumber();
    if (b <= 0 || x <= 0) throw logError(Math.min(b, x));
    if (b === 1) throw new SqlError('22012', 'Division by zero');
    return Decimal.fromNumber(Math.log(x) / Math.log(b));
  }),
  fn('pi', [], F, () => Math.PI),
  fn('degrees', [F], F, (a) => ((a[0] as number) * 180) / Math.PI),
  fn('radians', [F], F, (a) => ((a[0] as number) * Math.PI) / 180),
  trig('sin', Math.sin),
  trig('cos', Math.cos),
  trig('tan', Math.tan),
  trig('cot', (x) => 1 / Math.tan(x)),
  trig('asin', Math.asin, (x) => x >= -1 && x <= 1),
  trig('acos', Math.acos, (x) => x >= -1 && x <= 1),
  trig('atan', Math.atan),
  fn('atan2', [F, F], F, (a) => Math.atan2(a[0] as number, a[1] as number)),
  trig('sinh', Math.sinh),
  trig('cosh', Math.cosh),
  trig('tanh', Math.tanh),
  trig('asinh', Math.asinh),
  trig('acosh', Math.acosh, (x) => x >= 1),
  trig('atanh', Math.atanh, (x) => x >= -1 && x <= 1),
  trig('sind', sind),
  trig('cosd', cosd),
  trig('tand', (x) => sind(x) / cosd(x)),
  trig('cotd', (x) => cosd(x) / sind(x)),
  trig('asind', (x) => (Math.asin(x) * 180) / Math.PI, (x) => x >= -1 && x <= 1),
  trig('acosd', (x) => (Math.acos(x) * 180) / Math.PI, (x) => x >= -1 && x <= 1),
  trig('atand', (x) => (Math.atan(x) * 180) / Math.PI),
  fn('atan2d', [F, F], F, (a) => (Math.atan2(a[0] as number, a[1] as number) * 180) / Math.PI),
  fn('random', [], F, () => Math.random()),
  extreme('greatest', 1),
  extreme('least', -1),
];
