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

/** Runs a simple query; returns its rows as text and whether a cached point-lookup plan answered it. */
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

  it('asks the catalog nothing on a hit while the catalog is unchanged, and re-checks after any change', async () => {
    const catalog = frontend.catalog;
    const resolve = catalog.resolveRelation.bind(catalog);
    let asked = 0;
    catalog.resolveRelation = (...args) => {
      asked++;
      return resolve(...args);
    };
    try {
      expect(await rows('SELECT v FROM t WHERE id = 1')).toEqual([['one']]);
      asked = 0;
      for (let k = 0; k < 5; k++) expect(await q('SELECT v FROM t WHERE id = 2')).toEqual({ rows: [['two']], cached: true });
      expect(asked).toBe(0);
      // A change to another relation bumps the generation: the next hit asks again, and still holds.
      const generation = catalog.generation;
      await rows('CREATE TABLE other (id int PRIMARY KEY)');
      expect(catalog.generation).not.toBe(generation);
      expect(await q('SELECT v FROM t WHERE id = 1')).toEqual({ rows: [['one']], cached: true });
      expect(asked).toBeGreaterThan(0);
      // A table that comes to shadow the cached one (a schema earlier on the path) is seen.
      await rows('SET search_path TO "$user", public');
      expect(await q('SELECT v FROM t WHERE id = 1')).toEqual({ rows: [['one']], cached: true });
      expect(await q('SELECT v FROM t WHERE id = 2')).toEqual({ rows: [['two']], cached: true });
      await rows("CREATE SCHEMA root; CREATE TABLE root.t (id bigint PRIMARY KEY, v varchar); INSERT INTO root.t VALUES (1, 'from root')");
      expect(await rows('SELECT v FROM t WHERE id = 1')).toEqual([['from root']]);
    } finally {
      catalog.resolveRelation = resolve;
    }
  });

  it('binds int4, int8 and string literals with the types the literal would have', async () => {
    expect(await rows('SELECT v FROM t WHERE id = 5000000000')).toEqual([['big']]);
    expect(await rows("SELECT v FROM t WHERE id = '2'")).toEqual([['two']]);
    expect(await rows('SELECT v FROM t WHERE 1 = id')).toEqual([['one']]);
    expect(await codeOf("SELECT v FROM t WHERE id = 'abc'")).toBe('22P02');
  });

  it('runs statements that are not point lookups through the executor', async () => {
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

  it('follows a view being replaced', async () => {
    await rows('CREATE VIEW tv AS SELECT * FROM t');
    expect(await rows('SELECT v FROM tv WHERE id = 2')).toEqual([['two']]);
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

  it('stays bounded, dropping the least recently used shape', async () => {
    for (let i = 0; i < 300; i++) {
      await rows(`SELECT v AS c${i} FROM t WHERE id = 1`);
      await rows('SELECT v AS kept FROM t WHERE id = 2'); // used all along: never the oldest
    }
    expect(session.planCache.size).toBeLessThanOrEqual(256);
    const misses = session.planCache.misses;
    expect(await rows('SELECT v AS kept FROM t WHERE id = 1')).toEqual([['one']]);
    expect(await rows('SELECT v AS c299 FROM t WHERE id = 1')).toEqual([['one']]);
    expect(session.planCache.misses).toBe(misses);
    expect(await rows('SELECT v AS c0 FROM t WHERE id = 1')).toEqual([['one']]);
    expect(session.planCache.misses).toBe(misses + 1);
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

  it('caches a lookup through a view, and re-prepares when its base table changes', async () => {
    await rows('ALTER TABLE t ADD COLUMN w int; CREATE VIEW tv AS SELECT id, w FROM t');
    const a = session.prepare('SELECT w FROM tv WHERE id = $1', [null]);
    expect(session.prepare('SELECT w FROM tv WHERE id = $1', [null])).toBe(a);
    await rows('UPDATE t SET w = 7 WHERE id = 2');
    expect(await extended('SELECT w FROM tv WHERE id = $1', [null], ['2'])).toEqual([['7']]);
    // The view's record is unchanged, but the table it reads is a new one.
    await rows('DROP VIEW tv; DROP TABLE t; CREATE TABLE t (id bigint PRIMARY KEY, w varchar); CREATE VIEW tv AS SELECT id, w FROM t');
    await rows("INSERT INTO t VALUES (2, 'seven')");
    expect(session.prepare('SELECT w FROM tv WHERE id = $1', [null])).not.toBe(a);
    expect(await extended('SELECT w FROM tv WHERE id = $1', [null], ['2'])).toEqual([['seven']]);
  });

  it('caches statements that are not point lookups, with now() evaluated per execution', async () => {
    const a = session.prepare('SELECT now()::varchar FROM t WHERE id = $1', [null]);
    expect(session.prepare('SELECT now()::varchar FROM t WHERE id = $1', [null])).toBe(a);
    const [[first]] = await extended('SELECT now()::varchar FROM t WHERE id = $1', [null], ['1']);
    await new Promise((r) => setTimeout(r, 5));
    const [[second]] = await extended('SELECT now()::varchar FROM t WHERE id = $1', [null], ['1']);
    expect(second > first).toBe(true);
  });

  it('keeps a Parse with string literals only when it is a point lookup', async () => {
    const a = session.prepare("SELECT v FROM t WHERE id = $1 AND v <> 'x'", [null]);
    expect(session.prepare("SELECT v FROM t WHERE id = $1 AND v <> 'x'", [null])).not.toBe(a);
    const b = session.prepare("SELECT v FROM t WHERE id = '1'", []);
    expect(session.prepare("SELECT v FROM t WHERE id = '1'", [])).toBe(b);
  });
});

/**
 * Seed 004's serving join (bench/lib/serving-model.ts) over plain tables of the same shape:
 * the plan reads two relations and a secondary index, so its cache entry must follow all of them.
 */
describe('plan cache: a join over two relations and an index', () => {
  const JOIN = (k: number | string) =>
    `SELECT u.declined, s.page_views FROM user_risk u LEFT JOIN session_activity s USING (user_id) WHERE u.user_id = ${k} ORDER BY s.page_views`;
  /** The same query through the normal path: a block comment makes the cache pass it by. */
  const uncached = (sql: string) => rows(`${sql} /* uncached */`);

  beforeEach(async () => {
    await rows(
      'CREATE TABLE user_risk (user_id bigint PRIMARY KEY, declined bigint); ' +
        'CREATE TABLE session_activity (session_id bigint, user_id bigint, page_views bigint, PRIMARY KEY (session_id, user_id)); ' +
        'CREATE INDEX session_activity_by_user ON session_activity (user_id)',
    );
    const users = Array.from({ length: 40 }, (_, i) => `(${i + 1}, ${i % 3})`).join(', ');
    // Users 1..30 have sessions (every third one two), 31..40 none.
    const sessions = Array.from({ length: 45 }, (_, i) => `(${i + 1}, ${(i % 30) + 1}, ${i * 7})`).join(', ');
    await rows(`INSERT INTO user_risk VALUES ${users}; INSERT INTO session_activity VALUES ${sessions}`);
  });

  it('plans once and answers every key as the uncached path does', async () => {
    const misses = session.planCache.misses;
    const served = session.planCache.served;
    for (let k = 0; k <= 42; k++) expect(await rows(JOIN(k))).toEqual(await uncached(JOIN(k)));
    expect(session.planCache.misses).toBe(misses + 1);
    expect(session.planCache.served).toBe(served + 43);
    expect(await rows(JOIN(2))).toEqual([['1', '7'], ['1', '217']]);
    expect(await rows(JOIN(35))).toEqual([['1', 'NULL']]);
  });

  it('follows DROP and CREATE of either relation and of the index', async () => {
    expect(await rows(JOIN(2))).toEqual([['1', '7'], ['1', '217']]);
    await rows('DROP INDEX session_activity_by_user');
    expect(await rows(JOIN(2))).toEqual([['1', '7'], ['1', '217']]);
    await rows('DROP TABLE session_activity');
    expect(await codeOf(JOIN(2))).toBe('42P01');
    await rows('CREATE TABLE session_activity (user_id bigint PRIMARY KEY, page_views bigint); INSERT INTO session_activity VALUES (2, 99)');
    expect(await rows(JOIN(2))).toEqual([['1', '99']]);
    await rows('DROP TABLE user_risk; CREATE TABLE user_risk (user_id bigint PRIMARY KEY, declined varchar); INSERT INTO user_risk VALUES (2, \'two\')');
    expect(await rows(JOIN(2))).toEqual([['two', '99']]);
  });

  it('re-plans when an index the plan could use is created', async () => {
    await rows('DROP INDEX session_activity_by_user');
    expect(await rows(JOIN(3))).toEqual([['2', '14'], ['2', '224']]);
    const misses = session.planCache.misses;
    await rows('CREATE INDEX sa_user ON session_activity (user_id)');
    expect(await rows(JOIN(3))).toEqual([['2', '14'], ['2', '224']]);
    expect(session.planCache.misses).toBe(misses + 1);
  });

  it('follows ALTER and RENAME of the second relation', async () => {
    expect(await rows(JOIN(4))).toEqual([['0', '21'], ['0', '231']]);
    await rows('ALTER TABLE session_activity RENAME COLUMN page_views TO views');
    expect(await codeOf(JOIN(4))).toBe('42703');
    await rows('ALTER TABLE session_activity RENAME COLUMN views TO page_views; ALTER TABLE session_activity ADD COLUMN extra int');
    expect(await rows(JOIN(4))).toEqual([['0', '21'], ['0', '231']]);
    await rows('ALTER TABLE session_activity RENAME TO sessions_old');
    expect(await codeOf(JOIN(4))).toBe('42P01');
    await rows('CREATE VIEW session_activity AS SELECT user_id, page_views * 2 AS page_views FROM sessions_old');
    expect(await rows(JOIN(4))).toEqual([['0', '42'], ['0', '462']]);
    // The view's record stays the same when the table under it changes: still a miss.
    await rows('DROP VIEW session_activity; ALTER TABLE sessions_old RENAME TO base; CREATE VIEW session_activity AS SELECT user_id, page_views FROM base');
    expect(await rows(JOIN(4))).toEqual([['0', '21'], ['0', '231']]);
    const misses = session.planCache.misses;
    await rows('ALTER TABLE base ADD COLUMN z int');
    expect(await rows(JOIN(4))).toEqual([['0', '21'], ['0', '231']]);
    expect(session.planCache.misses).toBe(misses + 1);
  });

  it('follows search_path to another schema holding the same names', async () => {
    await rows(
      'CREATE SCHEMA other; CREATE TABLE other.user_risk (user_id bigint PRIMARY KEY, declined bigint); ' +
        'CREATE TABLE other.session_activity (user_id bigint, page_views bigint); INSERT INTO other.user_risk VALUES (5, 50); INSERT INTO other.session_activity VALUES (5, 500)',
    );
    expect(await rows(JOIN(5))).toEqual([['1', '28'], ['1', '238']]);
    await rows('SET search_path TO other');
    expect(await rows(JOIN(5))).toEqual([['50', '500']]);
    await rows('SET search_path TO public');
    expect(await rows(JOIN(5))).toEqual([['1', '28'], ['1', '238']]);
  });

  it('sees rows written after the plan was cached', async () => {
    expect(await rows(JOIN(33))).toEqual([['2', 'NULL']]);
    await rows('INSERT INTO session_activity VALUES (100, 33, 1)');
    expect(await rows(JOIN(33))).toEqual([['2', '1']]);
  });

  it('keeps column positions: ORDER BY / GROUP BY n are not turned into parameters', async () => {
    const served = session.planCache.served;
    expect(await rows('SELECT user_id, page_views FROM session_activity WHERE user_id < 3 ORDER BY 2 DESC')).toEqual([
      ['2', '217'],
      ['1', '210'],
      ['2', '7'],
      ['1', '0'],
    ]);
    expect(await rows('SELECT user_id, count(*) FROM session_activity WHERE user_id <= 2 GROUP BY 1 ORDER BY 1')).toEqual([
      ['1', '2'],
      ['2', '2'],
    ]);
    expect(session.planCache.served).toBe(served);
  });

  it('does not cache plans that read session state or system catalogs', async () => {
    await rows("SET application_name = 'first'");
    expect(await rows("SELECT current_setting('application_name'), 1")).toEqual([['first', '1']]);
    await rows("SET application_name = 'second'");
    expect(await rows("SELECT current_setting('application_name'), 1")).toEqual([['second', '1']]);
    const served = session.planCache.served;
    // pg_backend_pid() reads the planning context's session information.
    expect(await rows('SELECT pg_backend_pid() > 0, 1')).toEqual([['t', '1']]);
    expect(await rows('SELECT pg_backend_pid() > 0, 1')).toEqual([['t', '1']]);
    expect(await rows("SELECT relname FROM pg_catalog.pg_class WHERE relname = 'user_risk' AND 1 = 1")).toEqual([['user_risk']]);
    expect(await rows("SELECT relname FROM pg_catalog.pg_class WHERE relname = 'user_risk' AND 1 = 1")).toEqual([['user_risk']]);
    expect(session.planCache.served).toBe(served);
  });

  it('extended protocol: reuses the prepared join and re-prepares after DDL on the second relation', async () => {
    const sql = 'SELECT u.declined, s.page_views FROM user_risk u LEFT JOIN session_activity s USING (user_id) WHERE u.user_id = $1 ORDER BY 2';
    const a = session.prepare(sql, [null]);
    expect(session.prepare(sql, [null])).toBe(a);
    for (const k of [1, 2, 31, 99]) expect(await extended(sql, [null], [String(k)])).toEqual(await uncached(JOIN(k)));
    await rows('ALTER TABLE session_activity ADD COLUMN extra int');
    expect(session.prepare(sql, [null])).not.toBe(a);
    expect(await extended(sql, [null], ['2'])).toEqual([['1', '7'], ['1', '217']]);
  });
});
