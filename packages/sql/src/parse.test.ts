import { SqlError } from '@freshet/common';
import { loadModule, parseSync } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, parseSql } from './index';

beforeAll(async () => {
  await initParser();
  await loadModule();
});

function error(sql: string): SqlError {
  try {
    parseSql(sql);
  } catch (e) {
    expect(e).toBeInstanceOf(SqlError);
    return e as SqlError;
  }
  throw new Error(`expected an error for ${sql}`);
}

const nodeType = (s: { kind: string; node?: any }) => (s.kind === 'pg' ? Object.keys(s.node)[0] : s.kind);

describe('parseSql: PostgreSQL statements', () => {
  it('returns libpg-query nodes with text and location', () => {
    const [s] = parseSql('  SELECT a FROM t WHERE a > 1 ;  ');
    expect(s.kind).toBe('pg');
    expect(nodeType(s)).toBe('SelectStmt');
    expect(s.text).toBe('SELECT a FROM t WHERE a > 1');
    expect(s.location).toBe(2);
    expect((s as any).rw).toBeUndefined();
  });

  it('parses empty input and bare semicolons/comments to no statements', () => {
    expect(parseSql('')).toEqual([]);
    expect(parseSql(' ; ;; -- c\n /* x */ ')).toEqual([]);
  });

  it('maps node locations to offsets in the whole input', () => {
    const sql = 'select 1;\nselect x from tbl';
    const [, s] = parseSql(sql);
    const from = (s as any).node.SelectStmt.fromClause[0].RangeVar;
    expect(sql.slice(from.location, from.location + 3)).toBe('tbl');
    const col = (s as any).node.SelectStmt.targetList[0].ResTarget.val.ColumnRef;
    expect(sql[col.location]).toBe('x');
  });

  it('maps byte-offset locations to string offsets with non-ASCII text', () => {
    const sql = `select 'ééé😀', "ü" from tbl`;
    const [s] = parseSql(sql);
    const from = (s as any).node.SelectStmt.fromClause[0].RangeVar;
    expect(sql.slice(from.location, from.location + 3)).toBe('tbl');
  });

  it('maps locations back through front-pass rewrites', () => {
    const sql = 'create table t (a struct<x int, y varchar>, b int) append only with (k.a.b = 1)';
    const [s] = parseSql(sql);
    const elts = (s as any).node.CreateStmt.tableElts;
    expect(sql.slice(elts[1].ColumnDef.location, elts[1].ColumnDef.location + 5)).toBe('b int');
    // The placeholder type maps to where `struct<` starts.
    expect(sql.slice(elts[0].ColumnDef.typeName.location).startsWith('struct<')).toBe(true);
  });

  it('passes session and utility statements through', () => {
    const kinds = parseSql(
      "SET RW_IMPLICIT_FLUSH TO true; set x = 1; SHOW search_path; SHOW ALL; ALTER SYSTEM SET a = 'b'; " +
        'BEGIN; COMMIT; CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT 1; DROP MATERIALIZED VIEW mv CASCADE; ' +
        'EXPLAIN SELECT 1; EXPLAIN (VERBOSE) SELECT 1; CREATE INDEX i ON t (a) INCLUDE (b)',
    ).map(nodeType);
    expect(kinds).toEqual([
      'VariableSetStmt', 'VariableSetStmt', 'VariableShowStmt', 'VariableShowStmt', 'AlterSystemStmt',
      'TransactionStmt', 'TransactionStmt', 'CreateTableAsStmt', 'DropStmt', 'ExplainStmt', 'ExplainStmt', 'IndexStmt',
    ]);
  });
});

describe('parseSql: syntax errors', () => {
  it('reports 42601 with PostgreSQL message and 1-based position', () => {
    const e = error('select a fromm t');
    expect(e.code).toBe('42601');
    expect(e.message).toBe('syntax error at or near "t"');
    expect(e.position).toBe(16);
  });

  it('reports end of input at length + 1', () => {
    const e = error('select * from t where');
    expect(e.message).toBe('syntax error at end of input');
    expect(e.position).toBe(22);
  });

  it('reports positions relative to the whole input in later statements', () => {
    const sql = 'select 1; select 2; selec 3';
    const e = error(sql);
    expect(e.message).toBe('syntax error at or near "selec"');
    expect(e.position).toBe(sql.indexOf('selec ') + 1);
  });

  it('reports `at or near ";"` like PostgreSQL when a statement ends early', () => {
    const sql = 'select * from; select 1';
    const e = error(sql);
    expect(e.message).toBe('syntax error at or near ";"');
    expect(e.position).toBe(14);
  });

  it('counts characters, not bytes or UTF-16 units, in positions', () => {
    const e = error(`select '😀é', from t`);
    expect(e.message).toBe('syntax error at or near "from"');
    expect(e.position).toBe(14);
  });

  it('maps positions through front-pass rewrites', () => {
    const sql = 'create table t (a struct<x int>, b int) append only; select * from t wher x';
    const e = error(sql);
    expect(e.position).toBe(sql.indexOf('x', sql.indexOf('wher')) + 1);
    const sql2 = 'create table t (a struct<x int>, b intt intt) append only';
    expect(error(sql2).position).toBe(sql2.indexOf('intt intt') + 6);
  });

  it('reports unterminated strings and comments', () => {
    expect(error("select 'abc").message).toBe(`unterminated quoted string at or near "'abc"`);
    expect(error('select 1 /* x').message).toMatch(/unterminated \/\* comment/);
    expect(error('select "abc').message).toMatch(/unterminated quoted identifier/);
  });

  it('reports errors in front-pass statements at the right token', () => {
    const sql = 'show create tablex t';
    expect(error(sql).position).toBe(13);
    const e = error('describe');
    expect(e.message).toBe('syntax error at end of input');
    expect(e.position).toBe(9);
    expect(error('flush now; select 1').message).toBe('syntax error at or near "now"');
    expect(error('create source s (a int) with (connector = )').message).toBe('syntax error at or near ")"');
    expect(error('drop sink if exists;').message).toBe('syntax error at or near ";"');
  });
});

describe('parseSql: statement splitting', () => {
  const texts = (sql: string) => parseSql(sql).map((s) => s.text);

  it('does not split inside strings, identifiers, dollar quotes or comments', () => {
    const sql = [
      `select 'a;b', 'it''s;'`,
      `select E'x\\';y'`,
      `select "we;ird" from t /* trailing; comment */`,
      `create function f() returns int language sql as $$ select 1; $$`,
      `select $tag$ ; $$ ; $tag$ /* a; /* nested; */ still; */`,
      `flush`,
    ].join(';\n');
    expect(texts(sql)).toEqual([
      `select 'a;b', 'it''s;'`,
      `select E'x\\';y'`,
      `select "we;ird" from t`,
      `create function f() returns int language sql as $$ select 1; $$`,
      `select $tag$ ; $$ ; $tag$`,
      `flush`,
    ]);
  });

  it('keeps BEGIN ATOMIC … END function bodies together', () => {
    const sql = 'create function f() returns int language sql begin atomic select 1; select case when true then 2 end; end; select 3';
    const stmts = parseSql(sql);
    expect(stmts.map(nodeType)).toEqual(['CreateFunctionStmt', 'SelectStmt']);
  });

  it('agrees with libpg-query on statement boundaries for PostgreSQL input', () => {
    const inputs = [
      `select 1; select 'a;''b' ; select $$;$$;`,
      `/* c; */ select 1 -- x;\n; insert into t values (1, ';'), (2, E'\\';');update t set a = 1`,
      `select 1;;;select 2`,
      `select "a;b" from t; select 'ü;é'; select 3`,
    ];
    for (const sql of inputs) {
      const ours = parseSql(sql).map((s) => s.location);
      const buf = Buffer.from(sql, 'utf8');
      const theirs = (parseSync(sql) as any).stmts.map((s: any) => {
        // libpg-query locations are byte offsets that include leading whitespace/comments.
        const start = Buffer.from(buf.subarray(0, s.stmt_location ?? 0)).toString('utf8').length;
        const rest = sql.slice(start);
        return start + (rest.length - rest.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*/, '').length);
      });
      expect(ours).toEqual(theirs);
    }
  });
});
