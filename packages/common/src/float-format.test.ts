import { describe, expect, it } from 'vitest';
import { formatFloat64, formatFloat64Slow } from './text-format';

describe('formatFloat64 fast path', () => {
  it('matches the general formatter across magnitudes and at the range edges', () => {
    const values = [1e-5, 9.999999999999999e-6, 1e-4, 0.1, 0.5, 1, 1.5, 123.456, 2 ** 53, 9999999999999998, 1e16, 1e15, 1e21, 0.30000000000000004];
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let i = 0; i < 20000; i++) values.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 44 - 22));
    for (const v of values) {
      expect(formatFloat64(v)).toBe(formatFloat64Slow(v));
      expect(formatFloat64(-v)).toBe(formatFloat64Slow(-v));
    }
  });
});
