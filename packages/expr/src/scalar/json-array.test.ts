import { describe, expect, it } from 'vitest';
import { Jsonb, listOf, T, type DataType, type Datum } from '@freshet/common';
import { resolveScalar } from '../registry';
import { call } from '../test-util';
import { jsonText } from './json-convert';

const J = T.Jsonb;
const V = T.Varchar;
const I = T.Int32;
const IA = listOf(I);
const j = (v: unknown) => new Jsonb(v);
const doc = j({ a: { b: [1, 2, { c: 'x' }] }, n: null, s: 'str' });

describe('jsonb', () => {
  const cases: [string, DataType[], Datum[], Datum][] = [
    ['jsonb_access', [J, V], [doc, 'a'], j({ b: [1, 2, { c: 'x' }] })],
    ['jsonb_access', [J, V], [doc, 'zz'], null],
    ['jsonb_access', [J, I], [j([1, 2, 3]), -1], j(3)],
    ['jsonb_access_str', [J, V], [doc, 's'], 'str'],
    ['jsonb_access_str', [J, V], [doc, 'n'], null],
    ['jsonb_access_str', [J, V], [doc, 'a'], '{"b": [1, 2, {"c": "x"}]}'],
    ['jsonb_extract_path', [J, listOf(V)], [doc, ['a', 'b', '2', 'c']], j('x')],
    ['jsonb_extract_path_text', [J, V, V], [doc, 'a', 'b'], '[1, 2, {"c": "x"}]'],
    ['jsonb_contains', [J, J], [j({ a: 1, b: [1, 2] }), j({ b: [2] })], true],
    ['jsonb_contains', [J, J], [j({ a: 1 }), j({ a: 2 })], false],
    ['jsonb_contained', [J, J], [j({ a: 1 }), j({ a: 1, b: 2 })], true],
    ['jsonb_exists', [J, V], [doc, 's'], true],
    ['jsonb_exists_any', [J, listOf(V)], [doc, ['q', 's']], true],
    ['jsonb_exists_all', [J, listOf(V)], [doc, ['q', 's']], false],
    ['jsonb_typeof', [J], [j([1])], 'array'],
    ['jsonb_array_length', [J], [j([1, 2, 3])], 3],
    ['jsonb_strip_nulls', [J], [j({ a: null, b: 1 })], j({ b: 1 })],
    ['concat_op', [J, J], [j({ a: 1 }), j({ b: 2 })], j({ a: 1, b: 2 })],
    ['subtract', [J, V], [j({ a: 1, b: 2 }), 'a'], j({ b: 2 })],
    ['jsonb_set', [J, listOf(V), J], [j({ a: [1, 2] }), ['a', '0'], j(9)], j({ a: [9, 2] })],
    ['jsonb_build_object', [V, I, V, T.Boolean], ['a', 1, 'b', null], j({ a: 1, b: null })],
    ['jsonb_build_array', [I, V], [1, 'x'], j([1, 'x'])],
    ['to_jsonb', [IA], [[1, null]], j([1, null])],
  ];
  it.each(cases)('%s %#', (name, types, args, expected) => {
    expect(call(name, types, args)).toEqual(expected);
  });
  it('prints like PostgreSQL', () => {
    expect(jsonText({ a: [1, 'x', null, true] })).toBe('{"a": [1, "x", null, true]}');
    expect(call('jsonb_pretty', [J], [j({ a: [1] })])).toBe('{\n    "a": [\n        1\n    ]\n}');
  });
});

describe('arrays', () => {
  const cases: [string, DataType[], Datum[], Datum][] = [
    ['array_access', [IA, I], [[1, 2, 3], 2], 2],
    ['array_access', [IA, I], [[1, 2, 3], 4], null],
    ['array_slice', [IA, I, I], [[1, 2, 3, 4], 2, 3], [2, 3]],
    ['array_slice', [IA, I, I], [[1, 2, 3, 4], null, 2], [1, 2]],
    ['array_length', [IA], [[1, 2]], 2],
    ['array_length', [IA], [[]], null],
    ['cardinality', [IA], [[]], 0],
    ['array_append', [IA, I], [[1], 2], [1, 2]],
    ['array_append', [IA, I], [null, 2], [2]],
    ['array_prepend', [I, IA], [0, [1]], [0, 1]],
    ['array_cat', [IA, IA], [[1], [2, 3]], [1, 2, 3]],
    ['concat_op', [IA, I], [[1], 2], [1, 2]],
    ['concat_op', [IA, IA], [[1], [2]], [1, 2]],
    ['array_position', [IA, I], [[5, 6, 7], 6], 2],
    ['array_position', [IA, I], [[5, null], null], 2],
    ['array_remove', [IA, I], [[1, 2, 1], 1], [2]],
    ['array_replace', [IA, I, I], [[1, 2, 1], 1, 9], [9, 2, 9]],
    ['array_distinct', [IA], [[1, 1, 2, null, null]], [1, 2, null]],
    ['array_sort', [IA], [[3, null, 1]], [1, 3, null]],
    ['array_contains', [IA, IA], [[1, 2, 3], [3, 1]], true],
    ['array_overlap', [IA, IA], [[1, 2], [3]], false],
    ['trim_array', [IA, I], [[1, 2, 3], 2], [1]],
    ['array_dims', [IA], [[1, 2]], '[1:2]'],
    ['array_max', [IA], [[1, 9, null]], 9],
  ];
  it.each(cases)('%s %#', (name, types, args, expected) => {
    expect(call(name, types, args)).toEqual(expected);
  });
  it('resolves || between arrays and elements', () => {
    expect(resolveScalar('concat_op', [IA, T.Int64]).returnType).toEqual(listOf(T.Int64));
    // PostgreSQL and RisingWave read an unknown literal next to an array as an array: '{2}' || int[].
    expect(resolveScalar('concat_op', [T.Unknown, IA]).argTypes).toEqual([IA, IA]);
  });
});
