import { describe, expect, it } from 'vitest';
import { Decimal, Interval, Jsonb, T, type DataType, type Datum } from '@freshet/common';
import { resolveAggregate } from './registry';

const dec = (s: string) => Decimal.parse(s);
const D = T.Decimal;

function run(name: string, types: DataType[], rows: Datum[][], distinct = false): Datum {
  const st = resolveAggregate(name, types, { distinct }).create();
  for (const r of rows) st.add(r);
  return st.result();
}

/** Adding extra rows then retracting them must give the same result as never adding them. */
function runWithRetraction(name: string, types: DataType[], rows: Datum[][], extra: Datum[][], distinct = false): Datum {
  const st = resolveAggregate(name, types, { distinct }).create();
  for (const r of extra) st.add(r);
  for (const r of rows) st.add(r);
  for (const r of extra) st.retract(r);
  return st.result();
}

const norm = (d: Datum) => (d instanceof Decimal ? d.toString() : d);

type Case = [string, DataType[], Datum[][], Datum, Datum[][]];
//           name, arg types, rows, expected, extra rows (added then retracted)
const cases: Case[] = [
  ['count', [], [[], [], []], 3n, [[], []]],
  ['count', [T.Int32], [[1], [null], [3]], 2n, [[7]]],
  ['count', [T.Int32], [], 0n, [[7]]],
  ['sum', [T.Int32], [[1], [2], [null]], 3n, [[10]]],
  ['sum', [T.Int32], [], null, [[10]]],
  ['sum', [T.Int32], [[null]], null, [[10]]],
  ['sum', [T.Int64], [[9223372036854775807n], [1n]], '9223372036854775808', [[5n]]],
  ['sum', [D], [[dec('1.5')], [dec('2.25')]], '3.75', [[dec('100')]]],
  ['sum', [T.Float64], [[1.5], [2.5]], 4, [[0.5]]],
  ['sum', [T.Interval], [[new Interval(0, 0, 10e6)], [new Interval(0, 0, 20e6)]], new Interval(0, 0, 30e6), [[new Interval(1, 0, 0)]]],
  ['avg', [T.Int32], [[1], [2]], '1.50', [[100]]], // rust_decimal's 3 / 2, as RisingWave prints it
  ['avg', [T.Float64], [[1], [2]], 1.5, [[100]]],
  ['avg', [D], [[dec('1')], [dec('2')], [dec('4')]], '2.3333333333333333333333333333', [[dec('9')]]],
  ['min', [T.Int32], [[3], [1], [null], [2]], 1, [[0], [-5]]],
  ['max', [T.Varchar], [['bar'], ['ba']], 'bar', [['zzz']]],
  ['max', [T.Int16], [], null, [[3]]],
  ['string_agg', [T.Varchar, T.Varchar], [['a', ','], [null, ','], ['b', '-']], 'a-b', [['x', ',']]],
  ['array_agg', [T.Int32], [[1], [null], [2]], [1, null, 2], [[9]]],
  ['array_agg', [T.Int32], [], null, [[9]]],
  ['bool_and', [T.Boolean], [[true], [null], [true]], true, [[false]]],
  ['bool_or', [T.Boolean], [[false], [false]], false, [[true]]],
  ['every', [T.Boolean], [], null, [[false]]],
  ['bit_and', [T.Int32], [[6], [3]], 2, [[0]]],
  ['bit_or', [T.Int64], [[6n], [-8n]], -2n, [[1n]]],
  ['bit_xor', [T.Int16], [[6], [3]], 5, [[1]]],
  ['var_pop', [T.Int32], [[1], [2], [3], [4]], '1.25', [[100]]],
  ['var_samp', [T.Int32], [[1], [2], [3], [4]], '1.6666666666666666666666666667', [[100]]],
  ['var_samp', [T.Int32], [[1]], null, [[100]]],
  ['stddev_pop', [T.Float64], [[2], [4], [4], [4], [5], [5], [7], [9]], 2, [[100]]],
  ['stddev_samp', [T.Int32], [[3], [5]], '1.4142135623730950488016887242', [[100]]],
  ['first_value', [T.Int32], [[1], [2]], 1, []],
  ['last_value', [T.Int32], [[1], [2]], 2, [[5]]],
  ['jsonb_agg', [T.Int32], [[1], [null]], new Jsonb([1, null]), [[3]]],
  ['jsonb_object_agg', [T.Varchar, T.Int32], [['a', 1], ['b', 2]], new Jsonb({ a: 1, b: 2 }), [['c', 3]]],
  ['approx_count_distinct', [T.Int32], [[1], [1], [2], [null]], 2n, [[3], [1]]],
  ['percentile_cont', [T.Float64, T.Float64], [[0.5, 1], [0.5, 2], [0.5, 4]], 2, [[0.5, 100]]],
  ['percentile_cont', [T.Float64, T.Float64], [[0.25, 1], [0.25, 2], [0.25, 3], [0.25, 4]], 1.75, [[0.25, 0]]],
  ['percentile_disc', [T.Float64, T.Int32], [[0.5, 1], [0.5, 2], [0.5, 4]], 2, [[0.5, 100]]],
  ['mode', [T.Int32], [[1], [2], [2], [3]], 2, [[3], [3], [3]]],
];

describe('aggregates', () => {
  it.each(cases)('%s %#', (name, types, rows, expected) => {
    expect(norm(run(name, types, rows))).toEqual(expected);
  });
  it.each(cases.filter((c) => c[4].length > 0))('%s %# retracts', (name, types, rows, expected, extra) => {
    expect(norm(runWithRetraction(name, types, rows, extra))).toEqual(expected);
  });

  it('min/max find the next extreme after retracting it', () => {
    const st = resolveAggregate('max', [T.Int32]).create();
    for (const v of [5, 9, 9, 7]) st.add([v]);
    st.retract([9]);
    expect(st.result()).toBe(9);
    st.retract([9]);
    expect(st.result()).toBe(7);
  });

  it('DISTINCT aggregates once per distinct value and stays retractable', () => {
    expect(run('count', [T.Int32], [[4], [3], [4], [3]], true)).toBe(2n);
    expect(run('string_agg', [T.Varchar, T.Varchar], [['a', ','], ['b', ','], ['a', ',']], true)).toBe('a,b');
    const st = resolveAggregate('sum', [T.Int32], { distinct: true }).create();
    for (const v of [1, 1, 2]) st.add([v]);
    st.retract([1]);
    expect(st.result()).toBe(3n);
    st.retract([1]);
    expect(st.result()).toBe(2n);
  });

  it('result types follow PostgreSQL', () => {
    const rt = (n: string, t: DataType[]) => resolveAggregate(n, t).returnType;
    expect(rt('sum', [T.Int16])).toBe(T.Int64);
    expect(rt('sum', [T.Int64])).toBe(T.Decimal);
    expect(rt('sum', [T.Float32])).toBe(T.Float32);
    expect(rt('avg', [T.Int32])).toBe(T.Decimal);
    expect(rt('avg', [T.Float32])).toBe(T.Float64);
    expect(rt('stddev', [T.Int32])).toBe(T.Decimal);
    expect(rt('count', [])).toBe(T.Int64);
    expect(rt('min', [T.Timestamptz])).toBe(T.Timestamptz);
    expect(resolveAggregate('string_agg', [T.Varchar, T.Varchar]).orderSensitive).toBe(true);
  });

  it('errors', () => {
    expect(() => run('sum', [D], Array.from({ length: 9 }, () => [dec('9000000000000000000000000000')]))).toThrow(
      expect.objectContaining({ code: '22003' }),
    );
    expect(() => resolveAggregate('sum', [T.Varchar])).toThrow(expect.objectContaining({ code: '42883' }));
    expect(() => run('sum', [T.Int64], [[9223372036854775807n]])).not.toThrow();
  });

  it('append-only min/max need no multiset', () => {
    const st = resolveAggregate('min', [T.Int32], { appendOnly: true }).create();
    st.add([3]);
    st.add([1]);
    expect(st.result()).toBe(1);
  });
});
