import { describe, expect, it } from 'vitest';
import { compareUtf8, errorMatches, hashRows, normalize, rowsMatch, sortRows } from './compare';
import { substitute } from './substitution';

describe('result comparison', () => {
  it('normalizes whitespace in values and expected lines', () => {
    expect(normalize('  a \t b  ')).toBe('a b');
    expect(rowsMatch([['1', 'hello  world']], ['1   hello world'])).toBe(true);
    expect(rowsMatch([['1', '2']], ['1 3'])).toBe(false);
    expect(rowsMatch([['1']], ['1', '2'])).toBe(false);
  });

  it('rowsort compares column by column as strings; valuesort flattens', () => {
    expect(sortRows([['10', 'a'], ['9', 'b'], ['10', 'A']], 'rowsort')).toEqual([['10', 'A'], ['10', 'a'], ['9', 'b']]);
    expect(sortRows([['b', 'a'], ['c', 'd']], 'valuesort')).toEqual([['a'], ['b'], ['c'], ['d']]);
    expect(sortRows([['b'], ['a']], undefined)).toEqual([['b'], ['a']]);
  });

  it('orders strings by UTF-8 bytes', () => {
    expect(compareUtf8('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
    expect(compareUtf8('a', 'b')).toBeLessThan(0);
    expect(compareUtf8('ab', 'a')).toBeGreaterThan(0);
  });

  it('hashes results above the threshold like sqllogictest', () => {
    const rows = [['1', '2'], ['3', '4']];
    expect(hashRows(rows, 2, 0)).toBe(rows);
    // md5("1\n2\n3\n4\n")
    expect(hashRows(rows, 2, 3)).toEqual([['4 values hashing to 302c28003d487124d97c242de94da856']]);
  });

  it('matches errors by regex anywhere, or exactly after trimming', () => {
    expect(errorMatches({ kind: 'regex', source: 'zero', regex: /zero/ }, 'db error: ERROR: division by zero')).toBe(true);
    expect(errorMatches({ kind: 'exact', text: 'a\nb' }, '  a\nb\n')).toBe(true);
    expect(errorMatches({ kind: 'exact', text: 'a' }, 'ab')).toBe(false);
    expect(errorMatches({ kind: 'any' }, 'x')).toBe(true);
  });
});

describe('substitution', () => {
  const vars = (n: string) => ({ HOME: '/root', __NOW__: '42' })[n];
  it('replaces $NAME, ${NAME}, ${NAME:default} and honours escapes', () => {
    expect(substitute('a $HOME ${__NOW__} ${NOPE:x} \\$HOME', vars)).toBe('a /root 42 x $HOME');
    expect(() => substitute('$NOPE', vars)).toThrow(/no such variable/);
  });
});
