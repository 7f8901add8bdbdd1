import { beforeEach, describe, expect, it } from 'vitest';
import { type DataType, SqlError, T, formatDatum } from '@freshet/common';
import { type Portal, bindParamsOf } from '@freshet/pgwire';
import { openTestFrontend } from '../query/testing';
import { FastPathPortal } from './fast-path-portal';
import type { FrontendSession } from './session';
import type { Frontend } from './session-manager';

let frontend: Frontend;
let session: FrontendSession;

beforeEach(async () => {
  frontend = (await openTestFrontend()).frontend;
  session = (await frontend.connect({ user: 'root', database: 'dev', params: {} })) as FrontendSession;
});

async function runPortals(portals: Portal[]): Promise<string[][]> {
  let rows: string[][] = [];
  for (const portal of portals) {
    const fields = portal.fields();
    const res = await portal.execute(0);
    portal.close();
    rows = fields ? res.rows.map((r) => r.map((d, i) => (d === null ? 'NULL' : formatDatum(fields[i].type, d, 'UTC')))) : [];
  }
  return rows;
}

/** Runs a simple query; returns its rows as text and whether the plan cache answered it. */
async function q(sql: string): Promise<{ rows: string[][]; cached: boolean }> {
  const portals = session.simpleQuery(sql);
  const cached = portals.length === 1 && portals[0] instanceof FastPathPortal;
  try {
    return { rows: await runPortals(portals), cached };
  } catch (e) {
    if (e instanceof SqlError) session.onError(e);
    throw e;
  }
}

async function rows(sql: string): Promise<string[][]> {
  return (await q(sql)).rows;
}

async function codeOf(sql: string): Promise<string> {
  try {
    await q(sql);
  } catch (e) {
    return (e as SqlError).code;
  }
  return 'no error';
}

async function extended(sql: string, paramTypes: (DataType | null)[], values: (string | null)[]): Promise<string[][]> {
  const stmt = session.prepare(sql, paramTypes);
  const portal = session.bind(stmt, bindParamsOf(values.map((v) => (v === null ? null : Buffer.from(v))), values.map(() => 0)));
  return runPortals([portal]);
}

describe('plan cache: simple protocol', () => {
  beforeEach(async () => {
    await rows("CREATE TABLE t (id bigint PRIMARY KEY, v varchar); INSERT INTO t VALUES (1, 'one'), (2, 'two'), (5000000000, 'big')");
  });

  it('answers repeated point lookups from one cached plan, each with its own key', async () => {
    expect(await q('SELECT * FROM t WHERE id = 1')).toEqual({ rows: [['1', 'one']], cached: true });
    const before = session.planCache.misses;
    expect(await q('SELECT * FROM t WHERE id = 2')).toEqual({ rows: [['2', 'two']], cached: true });
    expect(await q('SELECT v FROM t WHERE id = 3')).toEqual({ rows: [], cached: true });
    expect(await q('SELECT v FROM t WHERE id = 3')).toEqual({ rows: [], cached: true });
    expect(session.planCache.misses).toBe(before + 1); // only the new shape (SELECT v) missed
  });

  it('binds int4, int8 and string literals with the types the literal would have', async () => {
    expect(await rows('SELECT v FROM t WHERE id = 5000000000')).toEqual([['big']]);
    expect(await rows("SELECT v FROM t WHERE id = '2'")).toEqual([['two']]);
    expect(await rows('SELECT v FROM t WHERE 1 = id')).toEqual([['one']]);
    expect(await codeOf("SELECT v FROM t WHERE id = 'abc'")).toBe('22P02');
  });

  it('takes the normal path for statements that are not point lookups', async () => {
    expect(await q("SELECT v FROM t WHERE id = 1 AND v = 'one'")).toEqual({ rows: [['one']], cached: false });
    expect(await q("SELECT v FROM t WHERE v = 'two'")).toEqual({ rows: [['two']], cached: false });
    expect(await q('SELECT v FROM t WHERE id > 1 ORDER BY id')).toEqual({ rows: [['two'], ['big']], cached: false });
    expect(await q('SELECT v, 7 FROM t WHERE id = 1')).toEqual({ rows: [['one', '7']], cached: false });
    expect(await q('SELECT v FROM t WHERE id = -1')).toEqual({ rows: [], cached: false });
    expect(await q('SELECT 1')).toEqual({ rows: [['1']], cached: false });
  });

  it('sees a table dropped and re-created with other columns', async () => {
    expect(await rows('SELECT * FROM t WHERE id = 1')).toEqual([['1', 'one']]);
    await rows('DROP TABLE t; CREATE TABLE t (id bigint PRIMARY KEY, a int, b int); INSERT INTO t VALUES (1, 10, 20)');
    expect(await q('SELECT * FROM t WHERE id = 1')).toEqual({ rows: [['1', '10', '20']], cached: true });
    await rows('DROP TABLE t');
    expect(await codeOf('SELECT * FROM t WHERE id = 1')).toBe('42P01');
  });

  it('sees ALTER TABLE (new column, renamed column, renamed table)', async () => {
    expect(await rows('SELECT * FROM t WHERE id = 1')).toEqual([['1', 'one']]);
    await rows('ALTER TABLE t ADD COLUMN w int');
    expect(await rows('SELECT * FROM t WHERE id = 1')).toEqual([['1', 'one', 'NULL']]);
    await rows('ALTER TABLE t RENAME COLUMN v TO label');
    expect(await codeOf('SELECT v FROM t WHERE id = 1')).toBe('42703');
    expect(await rows('SELECT label FROM t WHERE id = 1')).toEqual([['one']]);
    await rows('ALTER TABLE t RENAME TO t_old');
    expect(await codeOf('SELECT label FROM t WHERE id = 1')).toBe('42P01');
    expect(await rows('SELECT label FROM t_old WHERE id = 1')).toEqual([['one']]);
  });

  it('follows search_path changes and tables that shadow the cached one', async () => {
    await rows("CREATE SCHEMA s; CREATE TABLE s.t (id bigint PRIMARY KEY, v varchar); INSERT INTO s.t VALUES (1, 'from s')");
    expect(await rows('SELECT v FROM t WHERE id = 1')).toEqual([['one']]);
    await rows('SET search_path TO s, public');
    expect(await rows('SELECT v FROM t WHERE id = 1')).toEqual([['from s']]);
    await rows('SET search_path TO public');
    expect(await rows('SELECT v FROM t WHERE id = 1')).toEqual([['one']]);
    // `$user` (root) comes first in the default path: a new root.t shadows public.t.
    await rows("SET search_path TO \"$user\", public; CREATE SCHEMA root; CREATE TABLE root.t (id bigint PRIMARY KEY, v varchar); INSERT INTO root.t VALUES (1, 'from root')");
    expect(await rows('SELECT v FROM t WHERE id = 1')).toEqual([['from root']]);
  });

  it('does not cache through a view, and follows the view being replaced', async () => {
    await rows('CREATE VIEW tv AS SELECT * FROM t');
    expect(await q('SELECT v FROM tv WHERE id = 2')).toEqual({ rows: [['two']], cached: false });
    await rows("DROP VIEW tv; CREATE VIEW tv AS SELECT id, upper(v) AS v FROM t");
    expect(await rows('SELECT v FROM tv WHERE id = 2')).toEqual([['TWO']]);
  });

  it('keeps rejecting statements in a failed transaction block', async () => {
    expect(await rows('SELECT v FROM t WHERE id = 1')).toEqual([['one']]);
    await rows('BEGIN');
    expect(await codeOf('SELECT * FROM missing')).toBe('42P01');
    expect(await codeOf('SELECT v FROM t WHERE id = 1')).toBe('25P02');
    await rows('ROLLBACK');
    expect(await rows('SELECT v FROM t WHERE id = 1')).toEqual([['one']]);
  });

  it('sees writes made after the plan was cached', async () => {
    expect(await rows('SELECT v FROM t WHERE id = 9')).toEqual([]);
    await rows("INSERT INTO t VALUES (9, 'nine')");
    expect(await rows('SELECT v FROM t WHERE id = 9')).toEqual([['nine']]);
    await rows("UPDATE t SET v = 'NINE' WHERE id = 9");
    expect(await rows('SELECT v FROM t WHERE id = 9')).toEqual([['NINE']]);
    await rows('DELETE FROM t WHERE id = 9');
    expect(await rows('SELECT v FROM t WHERE id = 9')).toEqual([]);
  });

  it('handles string and composite primary keys', async () => {
    await rows("CREATE TABLE kv (k varchar, n int, v int, PRIMARY KEY (k, n)); INSERT INTO kv VALUES ('it''s', 1, 10), ('a', 2, 20)");
    expect(await q("SELECT v FROM kv WHERE k = 'it''s' AND n = 1")).toEqual({ rows: [['10']], cached: true });
    expect(await q("SELECT v FROM kv WHERE n = 2 AND k = 'a'")).toEqual({ rows: [['20']], cached: true });
    expect(await q("SELECT v FROM kv WHERE k = 'a' AND n = 1")).toEqual({ rows: [], cached: true });
  });

  it('stays bounded', async () => {
    for (let i = 0; i < 300; i++) await rows(`SELECT v AS c${i} FROM t WHERE id = 1`);
    expect(session.planCache.size).toBeLessThanOrEqual(256);
  });
});

describe('plan cache: extended protocol', () => {
  beforeEach(async () => {
    await rows("CREATE TABLE t (id bigint PRIMARY KEY, v varchar); INSERT INTO t VALUES (1, 'one'), (2, 'two')");
  });

  it('reuses the prepared command for the same text and parameter types', async () => {
    const a = session.prepare('SELECT v FROM t WHERE id = $1', [null]);
    const b = session.prepare('SELECT v FROM t WHERE id = $1', [null]);
    expect(b).toBe(a);
    const c = session.prepare('SELECT v FROM t WHERE id = $1', [T.Int32]);
    expect(c).not.toBe(a);
    expect(await extended('SELECT v FROM t WHERE id = $1', [T.Int32], ['2'])).toEqual([['two']]);
    expect(await extended('SELECT v FROM t WHERE id = $1', [null], ['1'])).toEqual([['one']]);
    expect(await extended('SELECT v FROM t WHERE id = $1', [null], [null])).toEqual([]);
  });

  it('re-prepares after DDL', async () => {
    const a = session.prepare('SELECT * FROM t WHERE id = $1', [null]);
    await rows('ALTER TABLE t ADD COLUMN w int');
    const b = session.prepare('SELECT * FROM t WHERE id = $1', [null]);
    expect(b).not.toBe(a);
    expect(b.describe().fields!.map((f) => f.name)).toEqual(['id', 'v', 'w']);
    expect(await extended('SELECT * FROM t WHERE id = $1', [null], ['2'])).toEqual([['2', 'two', 'NULL']]);
  });

  it('does not cache a lookup through a view, whose base table can change under it', async () => {
    await rows('ALTER TABLE t ADD COLUMN w int; CREATE VIEW tv AS SELECT id, w FROM t');
    const a = session.prepare('SELECT w FROM tv WHERE id = $1', [null]);
    expect(session.prepare('SELECT w FROM tv WHERE id = $1', [null])).not.toBe(a);
    await rows('UPDATE t SET w = 7 WHERE id = 2');
    expect(await extended('SELECT w FROM tv WHERE id = $1', [null], ['2'])).toEqual([['7']]);
  });

  it('does not cache statements that are not point lookups', async () => {
    const a = session.prepare('SELECT now() FROM t WHERE id = $1', [null]);
    expect(session.prepare('SELECT now() FROM t WHERE id = $1', [null])).not.toBe(a);
  });
});
