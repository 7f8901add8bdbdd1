import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DataType, T } from '@freshet/common';
import { initParser, parseSql } from '@freshet/sql';
import { openStorage, type StorageEngine } from '@freshet/storage';
import { Catalog } from '../../catalog/catalog';
import { type DdlContext, executeDdl } from './index';

let catalog: Catalog;
let storage: StorageEngine;
let notices: string[];
let ctx: DdlContext;
/** Test stand-in for the binder: known query texts → output columns. */
const QUERIES: Record<string, { name: string; type: DataType }[]> = {
  'SELECT 1': [{ name: '?column?', type: T.Int32 }],
  'SELECT 1, 2': [
    { name: '?column?', type: T.Int32 },
    { name: '?column?', type: T.Int32 },
  ],
  'SELECT * FROM t': [
    { name: 'a', type: T.Int32 },
    { name: 'b', type: T.Varchar },
  ],
  'SELECT a FROM v': [{ name: 'a', type: T.Int32 }],
  'WITH t AS (SELECT 1 AS a) SELECT a FROM t': [{ name: 'a', type: T.Int32 }],
};

beforeAll(async () => {
  await initParser();
});

beforeEach(async () => {
  storage = openStorage();
  catalog = new Catalog(storage);
  catalog.load(await storage.open());
  notices = [];
  ctx = {
    catalog,
    storage,
    database: 'dev',
    searchPath: ['$user', 'public'],
    user: 'root',
    notice: (m) => notices.push(m),
    describeQuery: (sql) => {
      const cols = QUERIES[sql];
      if (!cols) throw new Error(`test binder: unknown query ${sql}`);
      return cols;
    },
  };
});

async function run(sql: string, c: DdlContext = ctx): Promise<string> {
  const [stmt] = parseSql(sql);
  return executeDdl(c, stmt);
}

async function fails(sql: string, code: string, message?: RegExp | string, c: DdlContext = ctx): Promise<void> {
  let err: any;
  try {
    await run(sql, c);
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${sql} to fail`).toBeDefined();
  expect(err.code).toBe(code);
  if (message) expect(err.message).toMatch(message);
}

const rel = (name: string, schema: string | null = null) => catalog.resolveRelation('dev', ['public'], schema, name)!;

describe('CREATE TABLE', () => {
  it('records columns, types, pk, defaults, generated columns and RisingWave options', async () => {
    expect(
      await run(
        "CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR NOT NULL DEFAULT 'x' || 'y', c BIGINT AS a + 1, d NUMERIC) ON CONFLICT IGNORE WITH (retention_seconds = 10)",
      ),
    ).toBe('CREATE_TABLE');
    const t = rel('t');
    expect(t.columns.map((c) => [c.name, c.type, c.hidden, c.notNull])).toEqual([
      ['a', T.Int32, false, false],
      ['b', T.Varchar, false, true],
      ['c', T.Int64, false, false],
      ['d', T.Decimal, false, false],
    ]);
    expect(t.columns[1].defaultExpr).toBe("'x' || 'y'");
    expect(t.columns[2].generatedExpr).toBe('a + 1');
    expect(t.pk).toEqual([0]);
    expect(t.onConflict).toBe('ignore');
    expect(t.withOptions).toEqual({ retention_seconds: '10' });
    expect(t.definition).toMatch(/^CREATE TABLE t/);
    expect(storage.table(t.id).size).toBe(0);
  });

  it('supports a multi-column primary key table constraint', async () => {
    await run('CREATE TABLE t (a INT, b VARCHAR, c INT, PRIMARY KEY (b, a))');
    expect(rel('t').pk).toEqual([1, 0]);
  });

  it('adds a hidden _row_id serial primary key when none is given', async () => {
    await run('CREATE TABLE t (a INT, b VARCHAR) APPEND ONLY');
    const t = rel('t');
    expect(t.columns.map((c) => [c.name, c.type, c.hidden])).toEqual([
      ['a', T.Int32, false],
      ['b', T.Varchar, false],
      ['_row_id', T.Serial, true],
    ]);
    expect(t.pk).toEqual([2]);
    expect(t.appendOnly).toBe(true);
  });

  it('reports RisingWave/PostgreSQL errors', async () => {
    await fails('CREATE TABLE t (a INT, a INT)', '42701', 'column "a" specified more than once');
    await run('CREATE TABLE t (a INT)');
    await fails('CREATE TABLE t (b INT)', '42P07', 'table with name t already exists');
    await fails('CREATE TABLE u (a INT UNIQUE)', '0A000');
    await fails('CREATE TABLE u (a INT, UNIQUE (a))', '0A000', /table constraint/);
    await fails('CREATE TABLE u (a INT CHECK (a > 0))', '0A000');
    await fails('CREATE TABLE u (a INT REFERENCES t (a))', '0A000');
    await fails('CREATE TABLE u (a INT PRIMARY KEY, b INT, PRIMARY KEY (b))', '42P16', 'multiple primary keys are not allowed');
    await fails('CREATE TABLE u (a INT PRIMARY KEY) APPEND ONLY', '42601', /append-only/);
    await fails('CREATE TABLE u (_row_id INT)', '42939');
    await fails('CREATE TABLE pg_catalog.u (a INT)', '42501', /System catalog modifications/);
    await fails('CREATE TABLE nope.u (a INT)', '3F000');
  });

  it('IF NOT EXISTS on an existing table is a NOTICE', async () => {
    await run('CREATE TABLE t (a INT)');
    expect(await run('CREATE TABLE IF NOT EXISTS t (a INT)')).toBe('CREATE_TABLE');
    expect(notices).toEqual(['relation "t" already exists, skipping']);
  });

  it('creates in the first existing schema of search_path; quoted names keep case', async () => {
    await run('CREATE SCHEMA root');
    await run('CREATE TABLE "MyT" (a INT)');
    expect(catalog.getRelation('dev', 'root', 'MyT')).toBeDefined();
  });
});

describe('DROP', () => {
  it('drops a table and its rows; IF EXISTS notices; missing is 42P01', async () => {
    await run('CREATE TABLE t (a INT PRIMARY KEY)');
    const id = rel('t').id;
    const b = storage.newBatch();
    b.put(id, [1]);
    await storage.commit(b);
    expect(await run('DROP TABLE t')).toBe('DROP_TABLE');
    expect(storage.hasTable(id)).toBe(false);
    expect(catalog.resolveRelation('dev', ['public'], null, 't')).toBeUndefined();
    await fails('DROP TABLE t', '42P01', 'table not found: t');
    expect(await run('DROP TABLE IF EXISTS t')).toBe('DROP_TABLE');
    expect(notices).toEqual(['table "t" does not exist, skipping']);
  });

  it('refuses to drop with dependents unless CASCADE, naming them', async () => {
    await run('CREATE TABLE t (a INT, b VARCHAR)');
    await run('CREATE VIEW v AS SELECT * FROM t');
    await run('CREATE VIEW w AS SELECT a FROM v');
    await fails('DROP TABLE t', '2BP01', /Permission denied.*view v/);
    await fails('DROP VIEW v', '2BP01', /Permission denied.*view w/);
    expect(await run('DROP TABLE t CASCADE')).toBe('DROP_TABLE');
    expect(catalog.listRelations('dev')).toEqual([]);
  });

  it('drops a table together with its indexes', async () => {
    await run('CREATE TABLE t (a INT, b VARCHAR)');
    await run('CREATE INDEX i ON t (a)');
    expect(await run('DROP TABLE t')).toBe('DROP_TABLE');
    expect(catalog.listRelations('dev')).toEqual([]);
  });

  it('checks the object kind', async () => {
    await run('CREATE TABLE t (a INT)');
    await fails('DROP VIEW t', '42809', '"t" is not a view');
    await fails('DROP INDEX t', '42809');
    await fails('DROP VIEW nope', '42P01', 'view not found: nope');
  });
});

describe('CREATE VIEW', () => {
  it('stores query text, output columns and dependencies', async () => {
    await run('CREATE TABLE t (a INT, b VARCHAR)');
    expect(await run('CREATE VIEW v (x) AS SELECT * FROM t')).toBe('CREATE_VIEW');
    const v = rel('v');
    expect(v.kind).toBe('view');
    expect(v.query).toBe('SELECT * FROM t');
    expect(v.columns.map((c) => [c.name, c.type])).toEqual([
      ['x', T.Int32],
      ['b', T.Varchar],
    ]);
    expect(v.dependsOn).toEqual([rel('t').id]);
  });

  it('rejects more column names than columns, and name clashes', async () => {
    await fails('CREATE VIEW v2 (a, b) AS SELECT 1', '42601');
    await run('CREATE VIEW v2 (a, b) AS SELECT 1, 2');
    await fails('CREATE VIEW v2 AS SELECT 1', '42P07', 'view with name v2 already exists');
  });

  it('does not count CTE names as dependencies', async () => {
    await run('CREATE TABLE t (a INT, b VARCHAR)');
    await run('CREATE VIEW v AS WITH t AS (SELECT 1 AS a) SELECT a FROM t');
    expect(rel('v').dependsOn).toEqual([]);
  });
});

describe('CREATE INDEX', () => {
  it('records keys, order and included columns (all by default, as RisingWave)', async () => {
    await run('CREATE TABLE t (a INT, b VARCHAR, c INT, PRIMARY KEY (c))');
    expect(await run('CREATE INDEX i ON t (b DESC, a)')).toBe('CREATE_INDEX');
    const i = rel('i');
    const t = rel('t');
    expect(i.kind).toBe('index');
    expect(i.index).toEqual({
      on: t.id,
      keys: [
        { column: 1, desc: true, nullsFirst: true },
        { column: 0, desc: false, nullsFirst: false },
      ],
      include: [2],
    });
    expect(i.columns.map((c) => c.name)).toEqual(['b', 'a', 'c']);
    expect(i.pk).toEqual([0, 1, 2]);
    await run('CREATE INDEX j ON t (a) INCLUDE (b)');
    expect(rel('j').index!.include).toEqual([1]);
    expect(rel('j').columns.map((c) => [c.name, c.hidden])).toEqual([
      ['a', false],
      ['b', false],
      ['c', true],
    ]);
    await fails('CREATE INDEX k ON t (nope)', '42703');
    await fails('CREATE INDEX k ON nope (a)', '42P01');
    expect(await run('DROP INDEX i')).toBe('DROP_INDEX');
  });
});

describe('users', () => {
  it('creates users with hashed passwords, alters and drops them', async () => {
    expect(await run("CREATE USER alice WITH PASSWORD 'secret' CREATEDB")).toBe('CREATE_USER');
    const a = catalog.getUser('alice')!;
    expect(a.superuser).toBe(false);
    expect(a.createDb).toBe(true);
    expect(a.canLogin).toBe(true);
    expect(a.scramVerifier).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(a.md5Hash).toMatch(/^md5[0-9a-f]{32}$/);
    expect(await run('ALTER USER alice WITH SUPERUSER NOLOGIN PASSWORD NULL')).toBe('UPDATE_USER');
    const a2 = catalog.getUser('alice')!;
    expect([a2.superuser, a2.canLogin, a2.scramVerifier, a2.md5Hash]).toEqual([true, false, undefined, undefined]);
    await fails('CREATE USER alice', '42710', 'user with name alice already exists');
    expect(await run('ALTER USER alice RENAME TO bob')).toBe('UPDATE_USER');
    expect(catalog.getUser('bob')).toBeDefined();
    expect(await run('DROP USER bob')).toBe('DROP_USER');
    await fails('DROP USER bob', '42704', 'user not found: bob');
    expect(await run('DROP USER IF EXISTS bob')).toBe('DROP_USER');
    await fails('DROP USER root', '55006');
  });

  it('requires a superuser to manage other users', async () => {
    await run('CREATE USER carol');
    const asCarol = { ...ctx, user: 'carol' };
    await fails('CREATE USER dave', '42501', undefined, asCarol);
    await fails('ALTER USER carol SUPERUSER', '42501', undefined, asCarol);
    expect(await run("ALTER USER carol PASSWORD 'x'", asCarol)).toBe('UPDATE_USER');
    expect(catalog.getUser('carol')!.scramVerifier).toBeDefined();
  });
});

describe('schemas and databases', () => {
  it('creates and drops schemas, with CASCADE for contents', async () => {
    expect(await run('CREATE SCHEMA s')).toBe('CREATE_SCHEMA');
    await fails('CREATE SCHEMA s', '42P06');
    expect(await run('CREATE SCHEMA IF NOT EXISTS s')).toBe('CREATE_SCHEMA');
    await run('CREATE TABLE s.t (a INT)');
    await fails('DROP SCHEMA s', '2BP01', /table t/);
    expect(await run('DROP SCHEMA s CASCADE')).toBe('DROP_SCHEMA');
    expect(catalog.getSchema('dev', 's')).toBeUndefined();
    expect(catalog.listRelations('dev')).toEqual([]);
    await fails('DROP SCHEMA s', '3F000', 'schema not found: s');
    await fails('DROP SCHEMA pg_catalog', '42501');
  });

  it('creates and drops databases but not the current one', async () => {
    expect(await run('CREATE DATABASE d2')).toBe('CREATE_DATABASE');
    expect(catalog.listSchemas('d2').map((s) => s.name)).toContain('public');
    await fails('CREATE DATABASE d2', '42P04');
    await fails('DROP DATABASE dev', '55006');
    expect(await run('DROP DATABASE d2')).toBe('DROP_DATABASE');
    await fails('DROP DATABASE d2', '3D000');
    expect(await run('DROP DATABASE IF EXISTS d2')).toBe('DROP_DATABASE');
  });
});

describe('ALTER TABLE', () => {
  it('adds and drops columns, rewriting stored rows', async () => {
    await run('CREATE TABLE t (a INT, b VARCHAR)');
    const id = rel('t').id;
    const b = storage.newBatch();
    b.put(id, [1, 'x', storage.nextRowId(id)]);
    await storage.commit(b);
    expect(await run('ALTER TABLE t ADD COLUMN c INT')).toBe('ALTER_TABLE');
    expect(rel('t').columns.map((c) => c.name)).toEqual(['a', 'b', 'c', '_row_id']);
    expect(rel('t').pk).toEqual([3]);
    expect([...storage.table(id).scan()]).toEqual([[1, 'x', null, 1n]]);
    await fails('ALTER TABLE t ADD COLUMN d INT DEFAULT 5', '0A000');
    await fails('ALTER TABLE t ADD COLUMN a INT', '42701');
    expect(await run('ALTER TABLE t DROP COLUMN b')).toBe('ALTER_TABLE');
    expect([...storage.table(id).scan()]).toEqual([[1, null, 1n]]);
    expect(rel('t').pk).toEqual([2]);
    await fails('ALTER TABLE t DROP COLUMN nope', '42703');
  });

  it('renames tables and columns', async () => {
    await run('CREATE TABLE t (a INT PRIMARY KEY)');
    await run('CREATE INDEX i ON t (a)');
    expect(await run('ALTER TABLE t RENAME TO u')).toBe('ALTER_TABLE');
    expect(rel('u')).toBeDefined();
    expect(await run('ALTER TABLE u RENAME COLUMN a TO z')).toBe('ALTER_TABLE');
    expect(rel('u').columns[0].name).toBe('z');
    expect(rel('i').columns[0].name).toBe('z');
  });
});
