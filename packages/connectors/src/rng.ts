/**
 * A small, fast, seedable PRNG whose output matches Rust's `rand` 0.8 `SmallRng` on 64-bit
 * targets (Xoshiro256++ seeded through `SeedableRng::seed_from_u64`'s PCG32 expansion), and
 * the `rand` sampling rules the generators need (`gen_range` for u8/u32/u64 ranges, the
 * `f32` standard distribution, `choose`). Matching them bit for bit is what lets the nexmark
 * generator produce RisingWave's exact rows (the same names, prices and ids for the same
 * event number), which a benchmark comparing results against RisingWave relies on.
 *
 * 64-bit words are kept as two unsigned 32-bit halves (hi, lo) in plain numbers: BigInt
 * arithmetic is an order of magnitude slower, and a nexmark event draws ~100 words.
 */

const TWO32 = 0x1_0000_0000;
/** Ranges below this multiply a 32-bit word exactly in a double (2^21 × 2^32 = 2^53). */
const SMALL_RANGE = 0x20_0000;

/** rand_core's PCG32 constants (`seed_from_u64`), as 16-bit limbs, least significant first. */
const [M0, M1, M2, M3] = limbs16(6364136223846793005n);
const [I0, I1, I2, I3] = limbs16(11634580027462260723n);
const MASK64 = (1n << 64n) - 1n;
const INV16 = 1 / 65536;

function limbs16(v: bigint): number[] {
  return [0, 1, 2, 3].map((i) => Number((v >> BigInt(16 * i)) & 0xffffn));
}

const seedWords = new Uint32Array(8);
/** rand's rejection zone for a u8 range of 26 sampled through a u32. */
const LETTER_ZONE = 0xffffffff - ((0xffffffff - 26 + 1) % 26);

export class SmallRng {
  /**
   * Xoshiro256++ state s0..s3 as (hi, lo) unsigned 32-bit words: [s0h, s0l, s1h, s1l, …].
   * A typed array keeps the words unboxed (fields over 2^31 would be heap numbers).
   */
  private readonly s = new Uint32Array(10);

  /** High and low halves of the last `nextU64` (kept in the typed array: no boxing). */
  get hi(): number {
    return this.s[8];
  }
  get lo(): number {
    return this.s[9];
  }

  /** `SmallRng::seed_from_u64(seed)`. */
  constructor(seed: number | bigint = 0) {
    this.reseed(seed);
  }

  /** Re-seeds in place, as `SmallRng::seed_from_u64(seed)` (generators seed once per event). */
  reseed(seed: number | bigint): this {
    // The PCG state as 16-bit limbs p0..p3 (least significant first).
    let p0: number, p1: number, p2: number, p3: number;
    if (typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0) {
      p0 = seed % 65536;
      p1 = Math.floor(seed / 65536) % 65536;
      p2 = Math.floor(seed / 4294967296) % 65536;
      p3 = Math.floor(seed / 281474976710656) % 65536;
    } else {
      const v = BigInt.asUintN(64, BigInt(seed));
      p0 = Number(v & 0xffffn);
      p1 = Number((v >> 16n) & 0xffffn);
      p2 = Number((v >> 32n) & 0xffffn);
      p3 = Number((v >> 48n) & 0xffffn);
    }
    const words = seedWords;
    for (let i = 0; i < 8; i++) {
      // p = p * MUL + INC (mod 2^64), exact in doubles: limb products are < 2^32, sums < 2^35.
      // `& 0xffff` keeps the low 16 bits of any such integer; the carry divides exactly.
      let c = p0 * M0 + I0;
      const n0 = c & 0xffff;
      c = (c - n0) * INV16 + p0 * M1 + p1 * M0 + I1;
      const n1 = c & 0xffff;
      c = (c - n1) * INV16 + p0 * M2 + p1 * M1 + p2 * M0 + I2;
      const n2 = c & 0xffff;
      c = (c - n2) * INV16 + p0 * M3 + p1 * M2 + p2 * M1 + p3 * M0 + I3;
      p0 = n0;
      p1 = n1;
      p2 = n2;
      p3 = c & 0xffff;
      const hi = (p3 * 65536 + p2) >>> 0;
      const lo = (p1 * 65536 + p0) >>> 0;
      // xorshifted = (((state >> 18) ^ state) >> 27) as u32; rot = state >> 59
      const xh = (hi >>> 18) ^ hi;
      const xl = ((lo >>> 18) | (hi << 14)) ^ lo;
      const xorshifted = ((xl >>> 27) | (xh << 5)) >>> 0;
      const rot = hi >>> 27;
      words[i] = ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
    }
    // The 32 seed bytes are read back as four little-endian u64: word 2k is the low half.
    const s = this.s;
    for (let k = 0; k < 4; k++) {
      s[2 * k] = words[2 * k + 1];
      s[2 * k + 1] = words[2 * k];
    }
    // Xoshiro rejects the all-zero state (PCG never yields it for 8 words; kept for safety).
    if ((s[0] | s[1] | s[2] | s[3] | s[4] | s[5] | s[6] | s[7]) === 0) s[1] = 1;
    return this;
  }

  /** Advances the generator; the 64-bit output is left in `hi`/`lo`. */
  nextU64(): void {
    const s = this.s;
    const s0h = s[0], s0l = s[1], s1h = s[2], s1l = s[3], s2h = s[4], s2l = s[5], s3h = s[6], s3l = s[7];
    // result = rotl(s0 + s3, 23) + s0
    let sl = s0l + s3l;
    const sh = (s0h + s3h + (sl > 0xffffffff ? 1 : 0)) | 0;
    sl |= 0;
    const rh = (sh << 23) | (sl >>> 9);
    const rl = (sl << 23) | (sh >>> 9);
    const ol = (rl >>> 0) + s0l;
    s[8] = (rh >>> 0) + s0h + (ol > 0xffffffff ? 1 : 0);
    s[9] = ol;
    // t = s1 << 17; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 45)
    const th = (s1h << 17) | (s1l >>> 15);
    const tl = s1l << 17;
    const n2h = s2h ^ s0h, n2l = s2l ^ s0l;
    const n3h = s3h ^ s1h, n3l = s3l ^ s1l;
    s[2] = s1h ^ n2h;
    s[3] = s1l ^ n2l;
    s[0] = s0h ^ n3h;
    s[1] = s0l ^ n3l;
    s[4] = n2h ^ th;
    s[5] = n2l ^ tl;
    // rotl 45 = swap halves (32) then rotl 13
    s[6] = (n3l << 13) | (n3h >>> 19);
    s[7] = (n3h << 13) | (n3l >>> 19);
  }

  /**
   * `len` draws of `gen_range(b'a'..=b'z')` into `out` (char codes): the string generators'
   * hot loop, with the Xoshiro step inlined over locals. With `out` null the draws are made
   * and dropped: a generator skipping a string nobody reads keeps every later draw exact.
   */
  fillLetters(out: number[] | null, len: number): void {
    const s = this.s;
    let s0h = s[0], s0l = s[1], s1h = s[2], s1l = s[3], s2h = s[4], s2l = s[5], s3h = s[6], s3l = s[7];
    const zone = LETTER_ZONE;
    let i = 0;
    while (i < len) {
      let sl = (s0l >>> 0) + (s3l >>> 0);
      const sh = (s0h + s3h + (sl > 0xffffffff ? 1 : 0)) | 0;
      sl |= 0;
      const rh = (sh << 23) | (sl >>> 9);
      const rl = (sl << 23) | (sh >>> 9);
      const ol = (rl >>> 0) + (s0l >>> 0);
      const hi = ((rh >>> 0) + (s0h >>> 0) + (ol > 0xffffffff ? 1 : 0)) % TWO32;
      const th = (s1h << 17) | (s1l >>> 15);
      const tl = s1l << 17;
      const n2h = s2h ^ s0h, n2l = s2l ^ s0l;
      const n3h = s3h ^ s1h, n3l = s3l ^ s1l;
      s1h = s1h ^ n2h;
      s1l = s1l ^ n2l;
      s0h = s0h ^ n3h;
      s0l = s0l ^ n3l;
      s2h = n2h ^ th;
      s2l = n2l ^ tl;
      s3h = (n3l << 13) | (n3h >>> 19);
      s3l = (n3h << 13) | (n3l >>> 19);
      const m = hi * 26;
      const letter = Math.floor(m / TWO32);
      if (m - letter * TWO32 <= zone) {
        if (out !== null) out[i] = 97 + letter;
        i++;
      }
    }
    s[0] = s0h; s[1] = s0l; s[2] = s1h; s[3] = s1l; s[4] = s2h; s[5] = s2l; s[6] = s3h; s[7] = s3l;
  }

  /** `next_u32`: Xoshiro256++ uses the upper half of the 64-bit output. */
  nextU32(): number {
    this.nextU64();
    return this.hi;
  }

  /**
   * `gen_range(low..high)` for types sampled through a u32 (u8, u16, i32, u32; `choose`'s
   * index): Lemire's widening multiply with rand's rejection zone.
   */
  rangeU32(low: number, high: number, smallType = false): number {
    const range = high - low;
    if (range <= 0) throw new RangeError('empty range');
    // u8/u16 use an exact zone (a modulus); wider types the `range << leading_zeros` approximation.
    const zone = smallType ? 0xffffffff - ((0xffffffff - range + 1) % range) : ((range << Math.clz32(range)) >>> 0) - 1;
    if (range < 0x200000) {
      // v × range < 2^53: exact in a double, no split needed (every string character).
      for (;;) {
        const m = this.nextU32() * range;
        const hi = Math.floor(m / TWO32);
        if (m - hi * TWO32 <= zone) return low + hi;
      }
    }
    for (;;) {
      const [hi, lo] = mul32x32(this.nextU32(), range);
      if (lo <= zone) return low + hi;
    }
  }

  /** `gen_range(low..=high)` over u8 (`b'a'..=b'z'`). */
  rangeU8Inclusive(low: number, high: number): number {
    return this.rangeU32(low, high + 1, true);
  }

  /**
   * `gen_range(low..high)` for u64 / usize with `high - low < 2^32` (every range the
   * generators use): the same widening multiply over a 64-bit draw.
   */
  rangeU64(low: number, high: number): number {
    const range = high - low;
    if (range <= 0) throw new RangeError('empty range');
    if (range >= TWO32) return low + this.rangeU64Big(range);
    // zone = (range << leading_zeros64(range)) - 1, as (zh, zl); range < 2^32 so lz ≥ 32.
    // (range << (32 + clz32(range))) - 1: high word = range << clz32, low word 0, minus one borrows.
    const zoneHi = ((range << Math.clz32(range)) >>> 0) - 1;
    const zoneLo = 0xffffffff;
    if (range < SMALL_RANGE) {
      // Each half × range < 2^53: exact doubles, no 16-bit split (every range nexmark draws).
      for (;;) {
        this.nextU64();
        const a = this.lo * range;
        const aHi = Math.floor(a / TWO32);
        const b = this.hi * range;
        const bHi = Math.floor(b / TWO32);
        const mid = b - bHi * TWO32 + aHi; // < 2^33
        const carry = mid >= TWO32 ? 1 : 0;
        // The low 64 bits of the product are (mid mod 2^32, a mod 2^32); zoneLo is all ones.
        if (mid - carry * TWO32 <= zoneHi) return low + bHi + carry;
      }
    }
    for (;;) {
      this.nextU64();
      const vh = this.hi;
      const vl = this.lo;
      // v * range = (vh * 2^32 + vl) * range; low 64 bits → (ph, pl), high 64 bits → carry.
      const a = mul32x32(vl, range); // [a1, a0]
      const b = mul32x32(vh, range); // [b1, b0]
      const mid = b[1] + a[0];
      const pl = a[1];
      const ph = mid >>> 0;
      const hi64 = b[0] + (mid >= TWO32 ? 1 : 0);
      if (ph < zoneHi || (ph === zoneHi && pl <= zoneLo)) return low + hi64;
    }
  }

  private rangeU64Big(range: number): number {
    const r = BigInt(range);
    const lz = 64n - BigInt(r.toString(2).length);
    const zone = ((r << lz) & MASK64) - 1n;
    for (;;) {
      this.nextU64();
      const v = (BigInt(this.hi) << 32n) | BigInt(this.lo);
      const m = v * r;
      if ((m & MASK64) <= zone) return Number(m >> 64n);
    }
  }

  /** `gen::<f32>()`: 24 random bits scaled into [0, 1). */
  nextF32(): number {
    return (this.nextU32() >>> 8) * (1 / 16777216);
  }

  /** `slice.choose(rng)`: an index drawn through the u32 path. */
  choose<T>(items: readonly T[]): T {
    return items[this.rangeU32(0, items.length)];
  }
}

/** Exact a × b for unsigned 32-bit a, b as [high 32 bits, low 32 bits]. */
function mul32x32(a: number, b: number): [number, number] {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const hh = ah * bh;
  // middle = lh + hl (< 2^33), split across the two words.
  const mid = lh + hl;
  const midLo = (mid % 65536) * 65536;
  const lo = ll + midLo;
  const carry = lo >= TWO32 ? 1 : 0;
  const hi = hh + Math.floor(mid / 65536) + carry;
  return [hi >>> 0, lo >>> 0];
}
