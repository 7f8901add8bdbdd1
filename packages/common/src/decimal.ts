/**
 * Exact decimal ("numeric"), matching RisingWave's semantics (rust_decimal underneath):
 * a 96-bit mantissa with a scale of 0..28, so at most 28-29 significant digits; scale is
 * preserved by +, - and * (1.10 * 2 = 2.20); division keeps as many digits as fit.
 * Plus NaN, Infinity and -Infinity, ordered -Infinity < finite < Infinity < NaN (PG).
 * The value is mantissa * 10^-scale. Instances are immutable.
 */
import { SqlError, SqlState } from './error';

export type DecimalSpecial = 0 | 'nan' | 'inf' | '-inf';

/** Largest 96-bit unsigned mantissa (rust_decimal's limit). */
const MAX_MANTISSA = (1n << 96n) - 1n;
export const DECIMAL_MAX_SCALE = 28;

const POW10: bigint[] = [];
for (let i = 0, p = 1n; i <= 80; i++, p *= 10n) POW10.push(p);
function pow10(n: number): bigint {
  return n < POW10.length ? POW10[n] : 10n ** BigInt(n);
}

/** floor(sqrt(n)) for n ≥ 0, by Newton's method from a float64 first guess. */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  for (;;) {
    const next = (x + n / x) >> 1n;
    if (next >= x - 1n && next <= x + 1n) {
      x = next;
      break;
    }
    x = next;
  }
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

type Rounding = 'half-away' | 'half-even' | 'trunc' | 'ceil' | 'floor';

/** n / d rounded as asked (d > 0). */
function divRound(n: bigint, d: bigint, mode: Rounding): bigint {
  const q = n / d; // truncates toward zero
  const r = n - q * d;
  if (r === 0n) return q;
  const neg = n < 0n;
  switch (mode) {
    case 'trunc':
      return q;
    case 'ceil':
      return neg ? q : q + 1n;
    case 'floor':
      return neg ? q - 1n : q;
    default: {
      const twice = abs(r) * 2n;
      let up = twice > d;
      if (twice === d) up = mode === 'half-away' || (q & 1n) !== 0n;
      return up ? (neg ? q - 1n : q + 1n) : q;
    }
  }
}

function outOfRange(): SqlError {
  return new SqlError(SqlState.NumericValueOutOfRange, 'Numeric out of range');
}

function divisionByZero(): SqlError {
  return new SqlError(SqlState.DivisionByZero, 'Division by zero');
}

/**
 * Brings (m, scale) within rust_decimal's limits: scale <= 28 and |m| <= 2^96-1, dropping
 * fractional digits (rounded) as needed. Throws 22003 if the integer part alone is too big.
 */
function fit(m: bigint, scale: number, mode: Rounding = 'half-away'): Decimal {
  if (scale < 0) {
    m *= pow10(-scale);
    scale = 0;
  }
  if (scale > DECIMAL_MAX_SCALE) {
    m = divRound(m, pow10(scale - DECIMAL_MAX_SCALE), mode);
    scale = DECIMAL_MAX_SCALE;
  }
  while (abs(m) > MAX_MANTISSA) {
    if (scale === 0) throw outOfRange();
    // Drop as many digits as the excess needs in one step, then fix up by one more.
    const excess = abs(m).toString().length - 29;
    const drop = Math.max(1, Math.min(scale, excess));
    m = divRound(m, pow10(drop), mode);
    scale -= drop;
  }
  return new Decimal(m, scale);
}

const NUMERIC_RE = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

export class Decimal {
  constructor(
    readonly mantissa: bigint,
    readonly scale: number,
    /** 0 for a finite value; otherwise 'nan' | 'inf' | '-inf' and mantissa/scale are 0. */
    readonly special: DecimalSpecial = 0,
  ) {}

  static readonly ZERO = new Decimal(0n, 0);
  static readonly ONE = new Decimal(1n, 0);
  static readonly NAN = new Decimal(0n, 0, 'nan');
  static readonly POSITIVE_INFINITY = new Decimal(0n, 0, 'inf');
  static readonly NEGATIVE_INFINITY = new Decimal(0n, 0, '-inf');
  static readonly MAX = new Decimal(MAX_MANTISSA, 0);
  static readonly MIN = new Decimal(-MAX_MANTISSA, 0);

  /** Parses numeric text (`1.5`, ` -2. `, `.5`, `1e-3`, `NaN`, `inf`, `-Infinity`); undefined if malformed. */
  static tryParse(text: string): Decimal | undefined {
    const s = text.trim();
    const m = NUMERIC_RE.exec(s);
    if (!m) {
      switch (s.toLowerCase()) {
        case 'nan':
          return Decimal.NAN;
        case 'inf':
        case '+inf':
        case 'infinity':
        case '+infinity':
          return Decimal.POSITIVE_INFINITY;
        case '-inf':
        case '-infinity':
          return Decimal.NEGATIVE_INFINITY;
      }
      return undefined;
    }
    const intPart = m[2];
    const frac = m[3] ?? '';
    if (intPart.length === 0 && frac.length === 0) return undefined;
    let exp = m[4] ? Number(m[4]) : 0;
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > 1000) {
      if (/^0*$/.test(intPart + frac)) return Decimal.ZERO;
      return exp < 0 ? new Decimal(0n, DECIMAL_MAX_SCALE) : undefined;
    }
    let mant = BigInt((intPart + frac) || '0');
    if (m[1] === '-') mant = -mant;
    let scale = frac.length - exp;
    exp = 0;
    return fit(mant, scale);
  }

  /** Parses numeric text; throws 22P02 on malformed input and 22003 when out of range. */
  static parse(text: string): Decimal {
    const d = Decimal.tryParse(text);
    if (d === undefined) {
      throw new SqlError(SqlState.InvalidTextRepresentation, `invalid input syntax for type numeric: "${text}"`);
    }
    return d;
  }

  static fromBigInt(n: bigint): Decimal {
    return fit(n, 0);
  }

  static fromInt(n: number | bigint): Decimal {
    return new Decimal(BigInt(n), 0);
  }

  /**
   * From a float via its shortest round-trip decimal text (so 0.1 becomes 0.1, not the
   * binary expansion), rounded to 28 fractional digits. `float32` uses float32's shortest form.
   */
  static fromNumber(n: number, float32 = false): Decimal {
    if (Number.isNaN(n)) return Decimal.NAN;
    if (n === Infinity) return Decimal.POSITIVE_INFINITY;
    if (n === -Infinity) return Decimal.NEGATIVE_INFINITY;
    if (Number.isInteger(n) && Number.isSafeInteger(n)) return new Decimal(BigInt(n), 0);
    const text = float32 ? shortestFloat32(n) : String(n);
    return Decimal.parse(text);
  }

  isNaN(): boolean {
    return this.special === 'nan';
  }
  isFinite(): boolean {
    return this.special === 0;
  }
  isInfinite(): boolean {
    return this.special === 'inf' || this.special === '-inf';
  }
  isZero(): boolean {
    return this.special === 0 && this.mantissa === 0n;
  }

  /** -1, 0 or 1; NaN for NaN. */
  sign(): number {
    switch (this.special) {
      case 'nan':
        return NaN;
      case 'inf':
        return 1;
      case '-inf':
        return -1;
      default:
        return this.mantissa > 0n ? 1 : this.mantissa < 0n ? -1 : 0;
    }
  }

  /** Mantissa rescaled to `scale` (>= this.scale). */
  private scaledTo(scale: number): bigint {
    return this.mantissa * pow10(scale - this.scale);
  }

  add(o: Decimal): Decimal {
    if (this.special !== 0 || o.special !== 0) return specialAdd(this, o);
    const s = Math.max(this.scale, o.scale);
    return fit(this.scaledTo(s) + o.scaledTo(s), s);
  }

  sub(o: Decimal): Decimal {
    return this.add(o.neg());
  }

  mul(o: Decimal): Decimal {
    if (this.special !== 0 || o.special !== 0) {
      if (this.isNaN() || o.isNaN()) return Decimal.NAN;
      const sign = this.sign() * o.sign();
      return sign > 0 ? Decimal.POSITIVE_INFINITY : sign < 0 ? Decimal.NEGATIVE_INFINITY : Decimal.NAN;
    }
    return fit(this.mantissa * o.mantissa, this.scale + o.scale);
  }

  /**
   * Division keeps the dividend's excess scale (scale a - scale b, at least 0) and extends it
   * while the quotient is inexact, up to 28 places or the 96-bit limit (rust_decimal).
   */
  div(o: Decimal): Decimal {
    if (this.special !== 0 || o.special !== 0) {
      if (this.isNaN() || o.isNaN()) return Decimal.NAN;
      if (o.isInfinite()) return this.isInfinite() ? Decimal.NAN : Decimal.ZERO;
      if (o.isZero()) throw divisionByZero();
      return this.sign() * o.sign() > 0 ? Decimal.POSITIVE_INFINITY : Decimal.NEGATIVE_INFINITY;
    }
    if (o.mantissa === 0n) throw divisionByZero();
    let n = this.mantissa;
    let d = o.mantissa;
    if (d < 0n) {
      n = -n;
      d = -d;
    }
    // value = n / d * 10^(o.scale - this.scale); at result scale s the mantissa is
    // n * 10^(s + o.scale - this.scale) / d.
    const mantissaAt = (s: number, mode: Rounding): [bigint, bigint] => {
      const e = s + o.scale - this.scale;
      if (e >= 0) {
        const num = n * pow10(e);
        const q = divRound(num, d, mode);
        return [q, num - (num / d) * d];
      }
      const den = d * pow10(-e);
      const q = divRound(n, den, mode);
      return [q, n - (n / den) * den];
    };
    const preferred = Math.max(0, this.scale - o.scale);
    const [q28, r28] = mantissaAt(DECIMAL_MAX_SCALE, 'trunc');
    if (r28 === 0n) {
      // Exact: strip trailing zeros down to the preferred scale.
      let q = q28;
      let s = DECIMAL_MAX_SCALE;
      while (s > preferred && q % 10n === 0n) {
        q /= 10n;
        s--;
      }
      return fit(q, s);
    }
    // Inexact: as many places as fit in 96 bits.
    let s = DECIMAL_MAX_SCALE;
    const digits = abs(q28).toString().length;
    if (digits > 29) s -= digits - 29;
    for (; s >= 0; s--) {
      const [q] = mantissaAt(s, 'half-away');
      if (abs(q) <= MAX_MANTISSA) return new Decimal(q, s);
    }
    throw outOfRange();
  }

  /** Remainder with the dividend's sign (truncated division), scale max(a, b). */
  mod(o: Decimal): Decimal {
    if (this.special !== 0 || o.special !== 0) {
      if (this.isNaN() || o.isNaN() || this.isInfinite()) return Decimal.NAN;
      return this; // finite % ±inf
    }
    if (o.mantissa === 0n) throw divisionByZero();
    const s = Math.max(this.scale, o.scale);
    return new Decimal(this.scaledTo(s) % o.scaledTo(s), s);
  }

  neg(): Decimal {
    switch (this.special) {
      case 'nan':
        return this;
      case 'inf':
        return Decimal.NEGATIVE_INFINITY;
      case '-inf':
        return Decimal.POSITIVE_INFINITY;
      default:
        return new Decimal(-this.mantissa, this.scale);
    }
  }

  abs(): Decimal {
    if (this.special === '-inf') return Decimal.POSITIVE_INFINITY;
    return this.mantissa < 0n ? new Decimal(-this.mantissa, this.scale) : this;
  }

  /** Total order as PostgreSQL sorts numerics: -Infinity < finite < Infinity < NaN. */
  compare(o: Decimal): number {
    if (this.special !== 0 || o.special !== 0) {
      const ra = specialRank(this);
      const rb = specialRank(o);
      if (ra !== rb || ra !== 1) return ra - rb;
    }
    if (this.scale === o.scale) return this.mantissa < o.mantissa ? -1 : this.mantissa > o.mantissa ? 1 : 0;
    const s = Math.max(this.scale, o.scale);
    const a = this.scaledTo(s);
    const b = o.scaledTo(s);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** Numeric equality, ignoring scale (1.10 = 1.1); NaN equals NaN (PG). */
  equals(o: Decimal): boolean {
    return this.compare(o) === 0;
  }

  private rescale(scale: number, mode: Rounding): Decimal {
    if (this.special !== 0) return this;
    // Like rust_decimal's round_dp, never adds places: round(42, 1) is 42 (RisingWave).
    if (scale >= this.scale) return this;
    // A 96-bit mantissa has at most 29 digits: rounding away 30 or more leaves zero (and
    // computing 10^2147483648 to find that out would exhaust memory).
    if (this.scale - scale > 29 && mode !== 'ceil' && mode !== 'floor') return new Decimal(0n, Math.max(scale, 0));
    if (scale >= 0) return new Decimal(divRound(this.mantissa, pow10(this.scale - scale), mode), scale);
    // Negative scale: round to tens, hundreds…; the result has scale 0.
    const q = divRound(this.mantissa, pow10(this.scale - scale), mode);
    return fit(q * pow10(-scale), 0);
  }

  /**
   * Square root to the full 28-digit precision (as RisingWave's numeric sqrt gives it), not
   * through float64, which would stop at 16 digits. NaN for NaN and negative input; callers
   * that must reject negatives check the sign first.
   */
  sqrt(): Decimal {
    if (this.isNaN() || this.sign() < 0) return Decimal.NAN;
    if (this.special !== 0) return this; // +Infinity
    // floor(sqrt(m / 10^s) * 10^k) = isqrt(m * 10^(2k - s)); two guard digits beyond the
    // 28 kept, then fit() rounds half away from zero (floor first never rounds the wrong way).
    const k = DECIMAL_MAX_SCALE + 2;
    return fit(isqrt(this.mantissa * pow10(2 * k - this.scale)), k).normalize();
  }

  /** Rounds half away from zero to `scale` places (may be negative); the scale only ever shrinks. */
  round(scale = 0): Decimal {
    return this.rescale(scale, 'half-away');
  }
  /** Rounds half to even (banker's), used by float-like conversions. */
  roundHalfEven(scale = 0): Decimal {
    return this.rescale(scale, 'half-even');
  }
  trunc(scale = 0): Decimal {
    return this.rescale(scale, 'trunc');
  }
  ceil(): Decimal {
    return this.rescale(0, 'ceil');
  }
  floor(): Decimal {
    return this.rescale(0, 'floor');
  }

  /** Drops trailing fractional zeros (1.10 → 1.1), the canonical form for hashing. */
  normalize(): Decimal {
    if (this.special !== 0 || this.scale === 0) return this;
    if (this.mantissa === 0n) return Decimal.ZERO;
    let m = this.mantissa;
    let s = this.scale;
    while (s > 0 && m % 10n === 0n) {
      m /= 10n;
      s--;
    }
    return s === this.scale ? this : new Decimal(m, s);
  }

  /** Nearest float64 (correctly rounded from the decimal text). */
  toNumber(): number {
    switch (this.special) {
      case 'nan':
        return NaN;
      case 'inf':
        return Infinity;
      case '-inf':
        return -Infinity;
      default:
        return this.scale === 0 ? Number(this.mantissa) : Number(this.toString());
    }
  }

  /**
   * Rounded half away from zero to an integer (PG numeric → int). Throws 22003 for
   * NaN/Infinity or when outside [min, max] (defaults to the int64 range).
   */
  toBigInt(min: bigint = -(1n << 63n), max: bigint = (1n << 63n) - 1n, typeLabel = 'bigint'): bigint {
    if (this.special !== 0) {
      throw new SqlError(SqlState.NumericValueOutOfRange, `cannot convert ${this.toString()} to ${typeLabel}`);
    }
    const v = this.scale === 0 ? this.mantissa : divRound(this.mantissa, pow10(this.scale), 'half-away');
    if (v < min || v > max) throw new SqlError(SqlState.NumericValueOutOfRange, `${typeLabel} out of range`);
    return v;
  }

  /** Text form: plain notation with the scale's digits (`1.10`, `-0.001`), or NaN/Infinity/-Infinity. */
  toString(): string {
    switch (this.special) {
      case 'nan':
        return 'NaN';
      case 'inf':
        return 'Infinity';
      case '-inf':
        return '-Infinity';
    }
    const neg = this.mantissa < 0n;
    let digits = abs(this.mantissa).toString();
    if (this.scale > 0) {
      if (digits.length <= this.scale) digits = '0'.repeat(this.scale - digits.length + 1) + digits;
      const cut = digits.length - this.scale;
      digits = `${digits.slice(0, cut)}.${digits.slice(cut)}`;
    }
    return neg ? `-${digits}` : digits;
  }
}

function specialRank(d: Decimal): number {
  switch (d.special) {
    case '-inf':
      return 0;
    case 'inf':
      return 2;
    case 'nan':
      return 3;
    default:
      return 1;
  }
}

function specialAdd(a: Decimal, b: Decimal): Decimal {
  if (a.isNaN() || b.isNaN()) return Decimal.NAN;
  if (a.isInfinite() && b.isInfinite()) return a.special === b.special ? a : Decimal.NAN;
  return a.isInfinite() ? a : b;
}

/** Shortest decimal text that reads back as the same float32 (like Rust's `{}` for f32). */
export function shortestFloat32(x: number): string {
  if (!Number.isFinite(x) || x === 0) return String(x);
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}
