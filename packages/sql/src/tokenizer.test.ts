import { describe, expect, it } from 'vitest';
import { tokenize } from './tokenizer';

const kinds = (s: string) => tokenize(s).map((t) => `${t.type}:${s.slice(t.start, t.end)}`);

describe('tokenize', () => {
  it('splits words, numbers, operators and punctuation', () => {
    expect(kinds('SELECT a.b, 1.5e3, .5, 10::int FROM t WHERE x<>y')).toEqual([
      'word:SELECT', 'word:a', 'punct:.', 'word:b', 'punct:,', 'number:1.5e3', 'punct:,', 'number:.5', 'punct:,',
      'number:10', 'punct:::', 'word:int', 'word:FROM', 'word:t', 'word:WHERE', 'word:x', 'op:<>', 'word:y',
    ]);
  });

  it('reads strings with doubled quotes and E-string escapes', () => {
    const t = tokenize(`'it''s' E'a\\'b;c' 'x'`);
    expect(t.map((x) => x.value)).toEqual(["it's", "a'b;c", 'x']);
    expect(t.every((x) => x.type === 'string')).toBe(true);
  });

  it('reads dollar-quoted bodies with and without tags, and parameters', () => {
    const s = `$$a;'b$$ $fn$ $$ ; $fn$ $1 $23`;
    const t = tokenize(s);
    expect(t.map((x) => [x.type, x.value])).toEqual([
      ['string', "a;'b"],
      ['string', ' $$ ; '],
      ['param', '1'],
      ['param', '23'],
    ]);
  });

  it('reads quoted identifiers with doubled quotes', () => {
    const t = tokenize(`"a""b" "Sel;ect"`);
    expect(t.map((x) => [x.type, x.value])).toEqual([
      ['qident', 'a"b'],
      ['qident', 'Sel;ect'],
    ]);
  });

  it('skips line comments and nested block comments', () => {
    expect(kinds('a -- x; y\n b /* c /* d; */ e; */ f')).toEqual(['word:a', 'word:b', 'word:f']);
  });

  it('ends operators at a comment start', () => {
    expect(kinds('a+--c\nb')).toEqual(['word:a', 'op:+', 'word:b']);
    expect(kinds('a*/*c*/b')).toEqual(['word:a', 'op:*', 'word:b']);
  });

  it('flags unterminated strings, identifiers and dollar bodies instead of throwing', () => {
    for (const s of [`'abc`, `"abc`, `$q$ abc`, `E'abc\\'`]) {
      const t = tokenize(s);
      expect(t).toHaveLength(1);
      expect(t[0].unterminated).toBe(true);
      expect(t[0].end).toBe(s.length);
    }
  });

  it('keeps UTF-16 offsets for non-ASCII text', () => {
    const s = `select 'é😀', "ü" from t`;
    const t = tokenize(s);
    expect(s.slice(t[1].start, t[1].end)).toBe(`'é😀'`);
    expect(t[3].value).toBe('ü');
  });
});

describe('tokenize: unterminated comments', () => {
  it('keeps an unterminated block comment as one final token', () => {
    const t = tokenize('select 1 /* a; b');
    expect(t.map((x) => x.value)).toEqual(['select', '1', '/*']);
    expect(t[2].unterminated).toBe(true);
  });
});
