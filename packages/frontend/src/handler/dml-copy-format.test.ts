import { describe, expect, it } from 'vitest';
import { SqlError } from '@freshet/common';
import { type CopyFormat, CopyReader, copyFormatOf, formatCopyLine } from './dml-copy-format';

const TEXT = copyFormatOf([]);
const CSV = copyFormatOf([{ DefElem: { defname: 'format', arg: { String: { sval: 'csv' } } } }]);
const withHeader = (f: CopyFormat): CopyFormat => ({ ...f, header: true });

/** Reads `payloads` (split as given) and returns [line, fields] per record. */
function read(fmt: CopyFormat, payloads: (string | Buffer)[]): [number, (string | null)[]][] {
  const out: [number, (string | null)[]][] = [];
  const r = new CopyReader(fmt, { record: (fields, line) => out.push([line, [...fields]]) });
  for (const p of payloads) r.push(typeof p === 'string' ? Buffer.from(p) : p);
  r.end();
  return out;
}

/** Every way of cutting `s` in two payloads gives the same records as one payload. */
function everySplit(fmt: CopyFormat, s: string) {
  const whole = read(fmt, [s]);
  const bytes = Buffer.from(s);
  for (let i = 1; i < bytes.length; i++) expect(read(fmt, [bytes.subarray(0, i), bytes.subarray(i)])).toEqual(whole);
  return whole;
}

describe('copyFormatOf', () => {
  it('defaults per format and the options', () => {
    expect(TEXT).toMatchObject({ csv: false, delimiter: '\t', nullText: '\\N', header: false });
    expect(CSV).toMatchObject({ csv: true, delimiter: ',', nullText: '', quote: '"', escape: '"' });
    const o = copyFormatOf([
      { DefElem: { defname: 'format', arg: { String: { sval: 'csv' } } } },
      { DefElem: { defname: 'header' } },
      { DefElem: { defname: 'delimiter', arg: { String: { sval: ';' } } } },
      { DefElem: { defname: 'null', arg: { String: { sval: 'NA' } } } },
      { DefElem: { defname: 'quote', arg: { String: { sval: "'" } } } },
    ]);
    expect(o).toMatchObject({ delimiter: ';', nullText: 'NA', header: true, quote: "'", escape: "'" });
  });

  it('rejects bad options with SQLSTATEs', () => {
    const code = (opts: Parameters<typeof copyFormatOf>[0]) => {
      try {
        copyFormatOf(opts);
      } catch (e) {
        return (e as SqlError).code;
      }
      return 'ok';
    };
    expect(code([{ DefElem: { defname: 'format', arg: { String: { sval: 'binary' } } } }])).toBe('0A000');
    expect(code([{ DefElem: { defname: 'format', arg: { String: { sval: 'xml' } } } }])).toBe('22023');
    expect(code([{ DefElem: { defname: 'delimiter', arg: { String: { sval: '::' } } } }])).toBe('0A000');
    expect(code([{ DefElem: { defname: 'quote', arg: { String: { sval: "'" } } } }])).toBe('0A000');
    expect(code([{ DefElem: { defname: 'header' } }, { DefElem: { defname: 'header' } }])).toBe('42601');
    expect(code([{ DefElem: { defname: 'force_quote', arg: { A_Star: {} } } }])).toBe('0A000');
  });
});

describe('CopyReader, text format', () => {
  it('fields, \\N, escapes (letters, octal, hex, escaped delimiter), CRLF, a last line without newline', () => {
    expect(everySplit(TEXT, '1\ta\\tb\\\\c\t\\N\r\n2\t\\101\\x42\\\tx\t\n3\tz\tlast')).toEqual([
      [1, ['1', 'a\tb\\c', null]],
      [2, ['2', 'AB\tx', '']],
      [3, ['3', 'z', 'last']],
    ]);
  });

  it('multi-byte characters split across payloads', () => {
    expect(everySplit(TEXT, 'ü€😀\t\\N\n')).toEqual([[1, ['ü€😀', null]]]);
  });

  it('the end marker \\. stops reading; a header line is skipped but counted', () => {
    expect(read(withHeader(TEXT), ['a\tb\n1\t2\n\\.\n3\t4\n'])).toEqual([[2, ['1', '2']]]);
  });

  it('a quoted-looking field is literal, and \\N only counts as NULL when it is the whole field', () => {
    expect(read(TEXT, ['"x"\t\\Nx\n'])).toEqual([[1, ['"x"', 'Nx']]]);
  });
});

describe('CopyReader, CSV', () => {
  it('quotes, doubled quotes, delimiters and line breaks inside quotes, NULL vs quoted empty', () => {
    expect(everySplit(CSV, '1,"a,b",\n2,"say ""hi""",""\n3,"two\nlines",x\r\n')).toEqual([
      [1, ['1', 'a,b', null]],
      [2, ['2', 'say "hi"', '']],
      [4, ['3', 'two\nlines', 'x']],
    ]);
  });

  it('a custom ESCAPE and the end marker', () => {
    const f = { ...CSV, escape: '\\' };
    expect(read(f, ['"a\\"b",c\n\\.\nmore\n'])).toEqual([[1, ['a"b', 'c']]]);
  });

  it('an unterminated quote at the end is 22P04', () => {
    expect(() => read(CSV, ['1,"open\n'])).toThrow(expect.objectContaining({ code: '22P04', message: 'unterminated CSV quoted field' }));
  });
});

describe('formatCopyLine', () => {
  it('text: escapes what the reader unescapes; NULL as \\N', () => {
    const line = formatCopyLine(TEXT, ['a\tb', null, 'back\\slash\nnl', '']);
    expect(line).toBe('a\\tb\t\\N\tback\\\\slash\\nnl\t');
    expect(read(TEXT, [`${line}\n`])).toEqual([[1, ['a\tb', null, 'back\\slash\nnl', '']]]);
  });

  it('csv: quotes only when needed; the empty string is quoted (it is not NULL)', () => {
    const line = formatCopyLine(CSV, ['plain', 'a,b', 'q"q', '', null, 'multi\nline']);
    expect(line).toBe('plain,"a,b","q""q","",,"multi\nline"');
    expect(read(CSV, [`${line}\n`])).toEqual([[2, ['plain', 'a,b', 'q"q', '', null, 'multi\nline']]]);
  });
});
