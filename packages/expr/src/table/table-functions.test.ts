import { describe, expect, it } from 'vitest';
import { Decimal, Interval, Jsonb, listOf, T, typeName, type DataType, type Datum } from '@freshet/common';
import { ctx } from '../test-util';
import { resolveTableFunction } from './registry';

const rows = (name: string, types: DataType[], args: Datum[]) => [...resolveTableFunction(name, types).eval(args, ctx)];

describe('set-returning functions', () => {
  it('generate_series over integers', () => {
    expect(rows('generate_series', [T.Int32, T.Int32], [1, 3])).toEqual([[1], [2], [3]]);
    expect(rows('generate_series', [T.Int32, T.Int32, T.Int32], [6, -6, -4])).toEqual([[6], [2], [-2], [-6]]);
    expect(rows('generate_series', [T.Int32, T.Int32], [1, 0])).toEqual([]);
    expect(rows('generate_series', [T.Int64, T.Int64, T.Int64], [1n, 5n, 2n])).toEqual([[1n], [3n], [5n]]);
    expect(rows('generate_series', [T.Int32, T.Int32], [null, 3])).toEqual([]);
    expect(rows('range', [T.Int32, T.Int32], [1, 3])).toEqual([[1], [2]]);
    expect(() => rows('generate_series', [T.Int32, T.Int32, T.Int32], [1, 3, 0])).toThrow(/step size cannot equal zero/);
  });
  it('generate_series resolves unknown literals to integer', () => {
    const f = resolveTableFunction('generate_series', [T.Int32, T.Int32, T.Unknown]);
    expect(f.argTypes.map(typeName)).toEqual(['integer', 'integer', 'integer']);
    expect(f.columnNames).toEqual(['generate_series']);
  });
  it('generate_series over numeric and timestamps', () => {
    const r = rows('generate_series', [T.Decimal, T.Decimal, T.Decimal], [Decimal.parse('0'), Decimal.parse('1'), Decimal.parse('0.5')]);
    expect(r.map((x) => String(x[0]))).toEqual(['0', '0.5', '1.0']);
    const hour = 3600e6;
    expect(rows('generate_series', [T.Timestamp, T.Timestamp, T.Interval], [0, 2 * hour, new Interval(0, 0, hour)])).toEqual([[0], [hour], [2 * hour]]);
  });
  it('unnest and subscripts', () => {
    const f = resolveTableFunction('unnest', [listOf(T.Varchar)]);
    expect(f.returnTypes).toEqual([T.Varchar]);
    expect([...f.eval([['a', null]], ctx)]).toEqual([['a'], [null]]);
    expect(rows('generate_subscripts', [listOf(T.Int32), T.Int32], [[5, 6], 1])).toEqual([[1], [2]]);
  });
  it('regexp_matches', () => {
    expect(rows('regexp_matches', [T.Varchar, T.Varchar, T.Varchar], ['a1b22', '(\\d+)', 'g'])).toEqual([[['1']], [['22']]]);
    expect(rows('regexp_matches', [T.Varchar, T.Varchar], ['a1b22', '\\d+'])).toEqual([[['1']]]);
  });
  it('jsonb expansion', () => {
    const j = new Jsonb({ a: 1, b: 'x' });
    expect(rows('jsonb_each', [T.Jsonb], [j])).toEqual([['a', new Jsonb(1)], ['b', new Jsonb('x')]]);
    expect(rows('jsonb_each_text', [T.Jsonb], [j])).toEqual([['a', '1'], ['b', 'x']]);
    expect(resolveTableFunction('jsonb_each', [T.Jsonb]).columnNames).toEqual(['key', 'value']);
    expect(rows('jsonb_object_keys', [T.Jsonb], [j])).toEqual([['a'], ['b']]);
    expect(rows('jsonb_array_elements_text', [T.Jsonb], [new Jsonb([1, 'x', null])])).toEqual([['1'], ['x'], [null]]);
    expect(() => rows('jsonb_array_elements', [T.Jsonb], [j])).toThrow(/cannot extract elements/);
  });
  it('unknown function', () => {
    expect(() => resolveTableFunction('nope', [])).toThrow(expect.objectContaining({ code: '42883' }));
  });
});
