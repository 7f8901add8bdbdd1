import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseFile, parseScript } from './parser';

const loc = { file: 't', line: 1, via: [] };

describe('parseScript', () => {
  it('parses statements, queries with sort modes and multi-line SQL', () => {
    const recs = parseScript(
      [
        '# comment',
        'statement ok',
        'create table t (v int)',
        '',
        'query IT rowsort',
        'select v,',
        '  w from t',
        '----',
        '1 a',
        '2 (empty)',
        '',
        'statement error division by zero',
        'select 1/0',
        '',
        'statement count 3',
        'insert into t values (1),(2),(3)',
        '',
      ].join('\n'),
    );
    expect(recs.map((r) => r.type)).toEqual(['statement', 'query', 'statement', 'statement']);
    const q = recs[1];
    expect(q.type === 'query' && q.sql).toBe('select v,\n  w from t');
    expect(q.type === 'query' && q.expect).toMatchObject({ kind: 'results', types: 'IT', sortMode: 'rowsort', results: ['1 a', '2 (empty)'] });
    const e = recs[2];
    expect(e.type === 'statement' && e.expect.kind === 'error' && e.expect.error.kind).toBe('regex');
    expect(recs[3].type === 'statement' && recs[3].expect).toEqual({ kind: 'count', count: 3 });
    expect(recs[1].loc.line).toBe(5);
  });

  it('reads a multi-line expected error ending at two empty lines', () => {
    const recs = parseScript(['statement error', 'select x', '----', 'db error: ERROR: a', '', 'Caused by:', '  b', '', '', 'statement ok', 'select 1'].join('\n'));
    expect(recs).toHaveLength(2);
    const r = recs[0];
    expect(r.type === 'statement' && r.expect).toEqual({ kind: 'error', error: { kind: 'exact', text: 'db error: ERROR: a\n\nCaused by:\n  b' } });
  });

  it('applies skipif/onlyif and connection to the next record only', () => {
    const recs = parseScript(['skipif freshet', 'connection other', 'statement ok', 'select 1', '', 'statement ok', 'select 2'].join('\n'));
    expect(recs[0]).toMatchObject({ conditions: [{ kind: 'skipif', label: 'freshet' }], connection: 'other' });
    expect(recs[1]).toMatchObject({ conditions: [], connection: undefined });
  });

  it('keeps whitespace-only lines inside SQL (only an empty line ends a record)', () => {
    const recs = parseScript('statement ok\nselect 1\n  \nfrom x\n');
    expect(recs[0].type === 'statement' && recs[0].sql).toBe('select 1\n  \nfrom x');
  });

  it('parses control, sleep, halt, hash-threshold and system records', () => {
    const recs = parseScript('control sortmode rowsort\ncontrol substitution on\nsleep 2s\nhash-threshold 8\nsystem ok\necho hi\n\nhalt\n');
    expect(recs.map((r) => r.type)).toEqual(['sortmode', 'substitution', 'sleep', 'hash-threshold', 'system', 'halt']);
  });

  it('rejects a statement ok with results and unknown record types', () => {
    expect(() => parseScript('statement ok\nselect 1\n----\n1\n')).toThrow(/use `query`/);
    expect(() => parseScript('frobnicate\n')).toThrow(/invalid line/);
  });

  it('reads `retry <n> backoff <duration>` after the sort mode or the statement kind', () => {
    const [q, s, plain] = parseScript('query TI retry 21 backoff 1s\nselect 1, 2\n----\n1 2\n\nstatement ok retry 3 backoff 500ms\nflush\n\nquery I rowsort\nselect 1\n----\n1\n');
    expect(q.type === 'query' && q.expect.kind === 'results' && q.expect.types === 'TI' && q.expect.sortMode === undefined).toBe(true);
    expect(q.type === 'query' && q.retry).toEqual({ attempts: 21, backoffMs: 1000 });
    expect(s.type === 'statement' && s.retry).toEqual({ attempts: 3, backoffMs: 500 });
    expect(plain.type === 'query' && plain.retry).toBeUndefined();
  });

  it('translates Rust inline regex flags', () => {
    const r = parseScript('statement error (?i)DIVISION\nselect 1/0\n')[0];
    expect(r.type === 'statement' && r.expect.kind === 'error' && r.expect.error.kind === 'regex' && r.expect.error.regex.test('division')).toBe(true);
  });
});

describe('parseFile', () => {
  it('inlines includes relative to the including file, glob matches sorted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slt-parse-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'main.slt'), 'include sub/*.slt.part\n\ninclude ./missing.slt.part\n\nstatement ok\nselect 3\n');
    writeFileSync(join(dir, 'sub', 'b.slt.part'), 'statement ok\nselect 2\n');
    writeFileSync(join(dir, 'sub', 'a.slt.part'), 'statement ok\nselect 1\n');
    const recs = parseFile(join(dir, 'main.slt'));
    const sqls = recs.flatMap((r) => (r.type === 'statement' ? [r.sql] : []));
    expect(sqls).toEqual(['select 1', 'select 2', 'select 3']);
    expect(recs.find((r) => r.type === 'include-missing')).toBeDefined();
    expect(recs[0].loc.via[0]).toMatch(/main\.slt:1$/);
  });
});

describe('parseDuration', () => {
  it('accepts humantime units', () => {
    expect(parseDuration('2s', loc)).toBe(2000);
    expect(parseDuration('150ms', loc)).toBe(150);
    expect(parseDuration('1m30s', loc)).toBe(90_000);
    expect(() => parseDuration('soon', loc)).toThrow();
  });
});
