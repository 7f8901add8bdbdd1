/**
 * Exact decimal ("numeric"), matching RisingWave's semantics: up to 28 significant
 * digits, scale preserved (1.10 prints as 1.10), plus NaN, Infinity and -Infinity.
 * The value is mantissa * 10^-scale.
 */
export class Decimal {
  constructor(
    readonly mantissa: bigint,
    readonly scale: number,
    /** 0 for a finite value; otherwise 'nan' | 'inf' | '-inf' and mantissa/scale are 0. */
    readonly special: 0 | 'nan' | 'inf' | '-inf' = 0,
  ) {}
}
