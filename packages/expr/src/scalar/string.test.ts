import { describe, expect, it } from 'vitest';
import { listOf, T, type DataType, type Datum } from '@freshet/common';
import { call } from '../test-util';

const V = T.Varchar;
const I = T.Int32;

describe('string functions', () => {
  const cases: [string, DataType[], Datum[], Datum][] = [
    ['length', [V], ['héllo'], 5],
    ['length', [V], ['😀a'], 2],
    ['octet_length', [V], ['é'], 2],
    ['lower', [V], ['ABC'], 'abc'],
    ['upper', [V], ['abc'], 'ABC'],
    ['initcap', [V], ['hello wORLD-foo'], 'Hello World-Foo'],
    ['substr', [V, I], ['hello', 2], 'ello'],
    ['substr', [V, I, I], ['hello', 2, 3], 'ell'],
    ['substr', [V, I, I], ['hello', 0, 3], 'he'],
    ['substring', [V, I, I], ['+1-555', 1, 2], '+1'],
    ['substr', [V, I, I], ['😀bc', 2, 1], 'b'],
    ['position', [V, V], ['hello', 'll'], 3],
    ['strpos', [V, V], ['hello', 'z'], 0],
    ['replace', [V, V, V], ['abcabc', 'b', 'X'], 'aXcaXc'],
    ['btrim', [V], ['  a  '], 'a'],
    ['btrim', [V, V], ['xxaxx', 'x'], 'a'],
    ['ltrim', [V, V], ['xxaxx', 'x'], 'axx'],
    ['rtrim', [V], ['a  '], 'a'],
    ['lpad', [V, I], ['hi', 5], '   hi'],
    ['lpad', [V, I, V], ['hi', 5, 'xy'], 'xyxhi'],
    ['rpad', [V, I, V], ['hello', 3, 'x'], 'hel'],
    ['repeat', [V, I], ['ab', 3], 'ababab'],
    ['reverse', [V], ['abc'], 'cba'],
    ['split_part', [V, V, I], ['a,b,c', ',', 2], 'b'],
    ['split_part', [V, V, I], ['a,b,c', ',', -1], 'c'],
    ['split_part', [V, V, I], ['a,b,c', ',', 5], ''],
    ['left', [V, I], ['abcde', 2], 'ab'],
    ['left', [V, I], ['abcde', -2], 'abc'],
    ['right', [V, I], ['abcde', 2], 'de'],
    ['right', [V, I], ['abcde', -2], 'cde'],
    ['starts_with', [V, V], ['abc', 'ab'], true],
    ['md5', [V], ['abc'], '900150983cd24fb0d6963f7d28e17f72'],
    ['to_hex', [I], [255], 'ff'],
    ['to_hex', [I], [-1], 'ffffffff'],
    ['ascii', [V], ['A'], 65],
    ['chr', [I], [65], 'A'],
    ['translate', [V, V, V], ['12345', '143', 'ax'], 'a2x5'],
    ['overlay', [V, V, I, I], ['Txxxxas', 'hom', 2, 4], 'Thomas'],
    ['quote_ident', [V], ['Foo bar'], '"Foo bar"'],
    ['quote_ident', [V], ['foo'], 'foo'],
    ['quote_literal', [V], ["O'Reilly"], "'O''Reilly'"],
    ['concat', [V, I, V], ['a', null, 'c'], 'ac'],
    ['concat', [V, I, T.Boolean], ['a', 1, true], 'a1t'],
    ['concat_ws', [V, V, V, V], [',', 'a', null, 'b'], 'a,b'],
    ['concat_ws', [V, V], [null, 'a'], null],
    ['concat_op', [V, V], ['a', 'b'], 'ab'],
    ['concat_op', [V, I], ['a', 1], 'a1'],
    ['concat_op', [V, V], ['a', null], null],
    ['format', [V, V, V], ['Hello %s, %I', 'World', 'Tab le'], 'Hello World, "Tab le"'],
    ['format', [V, V], ['%L', null], 'NULL'],
    ['format', [V, I, V], ['%2$s %1$s', 1, 'x'], 'x 1'],
    ['format', [V, V, V], ['|%5s|%-5s|', 'ab', 'cd'], '|   ab|cd   |'],
    ['like', [V, V], ['hello', 'h%o'], true],
    ['like', [V, V], ['hello', 'h_llo'], true],
    ['like', [V, V], ['hello', 'H%'], false],
    ['ilike', [V, V], ['hello', 'H%'], true],
    ['not_like', [V, V], ['a.c', 'a_c'], false],
    ['like', [V, V], ['50%', '50\\%'], true],
    ['like', [V, V], ['a\nb', 'a%b'], true],
    ['regexp_match_op', [V, V], ['abc', '^a.c$'], true],
    ['regexp_match_op_ci', [V, V], ['ABC', 'abc'], true],
    ['regexp_not_match_op', [V, V], ['abc', 'x'], true],
    ['regexp_match', [V, V], ['foobarbequebaz', '(bar)(beque)'], ['bar', 'beque']],
    ['regexp_match', [V, V], ['foobar', 'o+'], ['oo']],
    ['regexp_match', [V, V], ['foobar', 'x'], null],
    ['regexp_replace', [V, V, V], ['Thomas', '.[mN]a.', 'M'], 'ThM'],
    ['regexp_replace', [V, V, V, V], ['aaa', 'a', 'b', 'g'], 'bbb'],
    ['regexp_replace', [V, V, V, V], ['abc', '(b)', '[\\1]', 'g'], 'a[b]c'],
    ['regexp_replace', [V, V, V, V], ['ABC', 'b', 'x', 'i'], 'AxC'],
    ['regexp_count', [V, V], ['ababab', 'ab'], 3],
    ['regexp_split_to_array', [V, V], ['hello world  x', '\\s+'], ['hello', 'world', 'x']],
    ['regexp_match_op', [V, V], ['ab12', '[[:digit:]]+'], true],
    ['regexp_match_op', [V, V], ['foo bar', '\\mbar'], true],
    ['string_to_array', [V, V], ['a,b,,c', ','], ['a', 'b', '', 'c']],
    ['string_to_array', [V, V, V], ['a,*,c', ',', '*'], ['a', null, 'c']],
    ['array_to_string', [listOf(V), V], [['a', null, 'c'], ','], 'a,c'],
    ['array_to_string', [listOf(I), V, V], [[1, null, 3], ',', '*'], '1,*,3'],
  ];
  it.each(cases)('%s %#', (name, types, args, expected) => {
    expect(call(name, types, args)).toEqual(expected);
  });

  it('errors', () => {
    expect(() => call('substr', [V, I, I], ['abc', 1, -1])).toThrow(/negative substring length/);
    expect(() => call('split_part', [V, V, I], ['a', ',', 0])).toThrow(expect.objectContaining({ code: '22023' }));
    expect(() => call('regexp_match_op', [V, V], ['a', '('])).toThrow(expect.objectContaining({ code: '2201B' }));
    expect(() => call('regexp_replace', [V, V, V, V], ['a', 'a', 'b', 'z'])).toThrow(/invalid regular expression option/);
  });
});
