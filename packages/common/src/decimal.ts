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

/** The largest x ≤ 9 with q * 10^x still within 96 bits (rust_decimal's find_scale). */
function digitsThatFit(q: bigint): number {
  let x = 9;
  while (x > 0 && q * pow10(x) > MAX_MANTISSA) x--;
  return x;
}

/** A quotient that overflowed 96 bits after its last scaling step: one digit less, rounded. */
function unscaleFromOverflow(q: bigint, scale: number, sticky: boolean): [bigint, number] {
  if (scale - 1 < 0) throw outOfRange();
  let n = q / 10n;
  const rem = q % 10n;
  if (rem > 5n || (rem === 5n && (sticky || (n & 1n) === 1n))) n += 1n;
  return [n, scale - 1];
}

/**
 * rust_decimal's `unscale` after an inexact first division step: strips 10^8 while the low
 * 32 bits are zero, then 10^4, 10^2 and 10 once each — not every trailing zero.
 */
function stripZerosLikeRustDecimal(q: bigint, scale: number): [bigint, number] {
  while ((q & 0xffffffffn) === 0n && scale >= 8 && q % 100000000n === 0n) {
    q /= 100000000n;
    scale -= 8;
  }
  if ((q & 0xfn) === 0n && scale >= 4 && q % 10000n === 0n) {
    q /= 10000n;
    scale -= 4;
  }
  if ((q & 0x3n) === 0n && scale >= 2 && q % 100n === 0n) {
    q /= 100n;
    scale -= 2;
  }
  if ((q & 0x1n) === 0n && scale >= 1 && q % 10n === 0n) {
    q /= 10n;
    scale -= 1;
  }
  return [q, scale];
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
   * Division as rust_decimal (and so RisingWave) computes it, scale included: the quotient
   * starts at scale a - b and, while a remainder is left, grows by up to 9 digits at a time
   * until the remainder is 0 or the 96-bit / 28-place limit is hit (then rounds half even).
   * If it had to grow, trailing zeros are then stripped in chunks of 8 (only while the low
   * 32 bits are 0), then 4, 2 and 1 — so 12443 / 2 = 6221.50 but 1.0 / 2 = 0.5 exactly as
   * RisingWave prints them.
   */
  div(o: Decimal): Decimal {
    if (this.special !== 0 || o.special !== 0) {
      if (this.isNaN() || o.isNaN()) return Decimal.NAN;
      if (o.isInfinite()) return this.isInfinite() ? Decimal.NAN : Decimal.ZERO;
      if (o.isZero()) throw divisionByZero();
      return this.sign() * o.sign() > 0 ? Decimal.POSITIVE_INFINITY : Decimal.NEGATIVE_INFINITY;
    }
    if (o.mantissa === 0n) throw divisionByZero();
    if (this.mantissa === 0n) return Decimal.ZERO;
    const negative = this.mantissa < 0n !== o.mantissa < 0n;
    const d = abs(o.mantissa);
    let scale = this.scale - o.scale;
    let q = abs(this.mantissa) / d;
    let r = abs(this.mantissa) % d;
    let unscale = false;
    for (;;) {
      let p: number;
      if (r === 0n) {
        if (scale >= 0) break;
        p = Math.min(9, -scale);
      } else {
        unscale = true;
        p = scale === DECIMAL_MAX_SCALE ? 0 : Math.min(9, DECIMAL_MAX_SCALE - scale, digitsThatFit(q));
        if (p + scale < 0) throw outOfRange();
        if (p === 0) {
          // No room for more digits: round the last one half-even.
          const twice = r * 2n;
          if (twice > d || (twice === d && (q & 1n) === 1n)) {
            q += 1n;
            if (q > MAX_MANTISSA) [q, scale] = unscaleFromOverflow(q, scale, true);
          }
          break;
        }
      }
      scale += p;
      q *= pow10(p);
      if (q > MAX_MANTISSA) throw outOfRange();
      const rs = r * pow10(p);
      q += rs / d;
      r = rs % d;
      if (q > MAX_MANTISSA) {
        [q, scale] = unscaleFromOverflow(q, scale, r !== 0n);
        break;
      }
    }
    if (unscale) [q, scale] = stripZerosLikeRustDecimal(q, scale);
    return new Decimal(negative ? -q : q, scale);
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
