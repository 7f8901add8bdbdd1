/**
 * A small seeded PRNG (mulberry32) for fuzz tests: the same seed gives the same cases, so a
 * failure printed with its seed reproduces exactly. `FRESHET_FUZZ_SEED` overrides the seed.
 */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** The seed from FRESHET_FUZZ_SEED, else `fallback`. */
  static fromEnv(fallback: number): Prng {
    const env = process.env.FRESHET_FUZZ_SEED;
    return new Prng(env !== undefined && env !== '' ? Number(env) : fallback);
  }

  /** Uniform in [0, 2^32). */
  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + (this.uint32() % (hi - lo));
  }

  bool(pTrue = 0.5): boolean {
    return this.uint32() / 2 ** 32 < pTrue;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length)];
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.uint32() & 0xff;
    return b;
  }

  /** Printable ASCII, for strings that should reach the SQL parser. */
  ascii(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.int(0x20, 0x7f));
    return s;
  }
}
