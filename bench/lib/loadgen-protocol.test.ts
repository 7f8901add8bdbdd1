import { describe, expect, it } from 'vitest';
import { inlineParams, paramValues, type QuerySpec } from './loadgen-protocol';

describe('load generator queries', () => {
  const spec: QuerySpec = { text: 'SELECT * FROM s WHERE session_id = $1 AND user_id = $2 OR x = $1', params: ['key', { modulo: 100 }], checkColumn: null, minRows: 1, maxRows: 1 };

  it('derives each parameter from the key', () => {
    expect(paramValues(spec, 1)).toEqual([1, 1]);
    expect(paramValues(spec, 100)).toEqual([100, 100]);
    expect(paramValues(spec, 101)).toEqual([101, 1]);
    expect(paramValues(spec, 250)).toEqual([250, 50]);
  });

  it('inlines every occurrence of a parameter for the simple protocol', () => {
    expect(inlineParams(spec.text, paramValues(spec, 250))).toBe('SELECT * FROM s WHERE session_id = 250 AND user_id = 50 OR x = 250');
    // $10 is parameter ten, not $1 followed by 0.
    expect(inlineParams('$1 $10', Array.from({ length: 10 }, (_, i) => i + 1))).toBe('1 10');
  });
});
