import { beforeEach, describe, expect, it } from 'vitest';
import { type DataType, SqlError, formatDatum } from '@freshet/common';
import { type Portal, bindParamsOf } from '@freshet/pgwire';
import { parseSql } from '@freshet/sql';
import { queryContext } from '../session/query-context';
import type { FrontendSession } from '../session/session';
import { withInsertFastPath } from './fast-path-insert';
import { prepareQuery } from './prepare';
import { openTestFrontend } from './testing';

let session: FrontendSession;

beforeEach(async () => {
  const { frontend } = await openTestFrontend();
  session = (await frontend.connect({ user: 'root', database: 'dev', params: {} })) as FrontendSession;
  await sql('CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR NOT NULL, amount NUMERIC, ts TIMESTAMPTZ, flag BOOLEAN)');
  await sql('CREATE TABLE g (id BIGINT PRIMARY KEY, name VARCHAR NOT NULL, amount NUMERIC, ts TIMESTAMPTZ, flag BOOLEAN)');
  await sql('CREATE TABLE e (user_id BIGINT, kind VARCHAR, ts TIMESTAMPTZ)');
});

async function run(portals: Portal[]): Promise<{ rows: string[][]; tag: string }> {
  let rows: string[][] = [];
  let tag = '';
  for (const portal of portals) {
    const fields = portal.fields();
    try {
      const res = await portal.execute(0);
      tag = res.tag;
      rows = fields ? res.rows.map((r) => r.map((d, i) => (d === null ? 'NULL' : formatDatum(fields[i].type, d, 'UTC')))) : [];
    } finally {
      portal.close();
    }
  }
  return { rows, tag };
}

const sql = (text: string) => run(session.simpleQuery(text));
const rows = async (text: string) => (await sql(text)).rows;

/** Parse + Bind (text parameters) + Execute, as a driver's prepared statement does. */
async function extended(text: string, values: (string | null)[], paramTypes: (DataType | null)[] = []) {
  const stmt = session.prepare(text, paramTypes);
  return run([session.bind(stmt, bindParamsOf(values.map((v) => (v === null ? null : Buffer.from(v))), values.map(() => 0)))]);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SqlError) {
      session.onError(e);
      return e.code;
    }
    throw e;
  }
  return 'no error';
}

/** Whether the statement gets the fast path (planned as the session would). */
function usesFastPath(text: string): boolean {
  const [stmt] = parseSql(text);
  if (stmt.kind !== 'pg') throw new Error('not a query');
  const ctx = queryContext(session);
  const prepared = prepareQuery(ctx, stmt.node, [], stmt.rw);
  return withInsertFastPath(prepared, ctx) !== prepared;
}

const ROWS: (string | null)[][] = [
  ['1', 'a', '1.50', '2024-01-01 00:00:00+00', 't'],
  ['2', 'b', null, '2024-01-01 00:00:00+00', null],
  ['3', 'c', '-0.001', null, 'f'],
  ['4', 'd', '99999999999999999999.5', '2024-01-01 00:00:00+00', 't'],
];

function valuesSql(table: string, nRows: number, width: number): string {
  const rs: string[] = [];
  for (let r = 0; r < nRows; r++) rs.push(`(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`);
  return `INSERT INTO ${table} VALUES ${rs.join(', ')}`;
}

describe('INSERT … VALUES fast path', () => {
  it('applies to VALUES of parameters and literals only', () => {
    expect(usesFastPath('INSERT INTO t VALUES ($1, $2, $3, $4, $5), ($6, $7, $8, $9, $10)')).toBe(true);
    expect(usesFastPath("INSERT INTO t VALUES (1, 'x', 2.5, NULL, true)")).toBe(true);
    expect(usesFastPath('INSERT INTO e (user_id, kind) VALUES ($1, $2)')).toBe(true);
    expect(usesFastPath("INSERT INTO t VALUES (1, 'x', 2.5, now(), true)")).toBe(false);
    expect(usesFastPath("INSERT INTO t VALUES ($1 + 1, 'x', 2.5, NULL, true)")).toBe(false);
    expect(usesFastPath("INSERT INTO t VALUES (1, 'x', 2.5, NULL, true) RETURNING id")).toBe(false);
    expect(usesFastPath('INSERT INTO t SELECT * FROM g')).toBe(false);
  });

  it('writes exactly the rows the general path writes', async () => {
    const flat = ROWS.flat();
    expect(await extended(valuesSql('t', ROWS.length, 5), flat)).toEqual({ rows: [], tag: 'INSERT 0 4' });
    // The general path: the same statement with RETURNING (which the fast path leaves alone).
    const general = `${valuesSql('g', ROWS.length, 5)} RETURNING id`;
    expect(usesFastPath(general)).toBe(false);
    expect(await extended(general, flat)).toEqual({ rows: [['1'], ['2'], ['3'], ['4']], tag: 'INSERT 0 4' });
    const t = await rows('SELECT * FROM t ORDER BY id');
    expect(t).toEqual(await rows('SELECT * FROM g ORDER BY id'));
    expect(t[1]).toEqual(['2', 'b', 'NULL', '2024-01-01 00:00:00+00:00', 'NULL']);
    expect(t[3][2]).toBe('99999999999999999999.5');
  });

  it('fills _row_id, repeats a duplicate key as an overwrite, and feeds materialized views', async () => {
    await sql('CREATE MATERIALIZED VIEW per_user AS SELECT user_id, count(*) AS n FROM e GROUP BY user_id');
    const ts = '2024-05-01 10:00:00+00';
    expect((await extended(valuesSql('e', 3, 3), ['1', 'click', ts, '2', 'view', ts, '1', 'view', ts])).tag).toBe('INSERT 0 3');
    expect((await extended(valuesSql('e', 3, 3), ['1', 'click', ts, '3', null, null, '1', 'view', ts])).tag).toBe('INSERT 0 3');
    await sql('FLUSH');
    expect(await rows('SELECT user_id, n FROM per_user ORDER BY user_id')).toEqual([['1', '4'], ['2', '1'], ['3', '1']]);
    expect(await rows('SELECT count(DISTINCT _row_id), count(*) FROM e')).toEqual([['6', '6']]);
    // Same primary key twice in one statement: the last row wins (overwrite), as in the general path.
    await extended('INSERT INTO t VALUES ($1, $2, NULL, NULL, NULL), ($3, $4, NULL, NULL, NULL)', ['7', 'first', '7', 'second']);
    expect(await rows('SELECT name FROM t WHERE id = 7')).toEqual([['second']]);
  });

  it('fails the whole statement with the SQLSTATE of the general path, committing nothing', async () => {
    const text = valuesSql('t', 2, 5);
    // NOT NULL violation in the second row.
    expect(await codeOf(extended(text, ['10', 'x', null, null, null, '11', null, null, null, null]))).toBe('23502');
    // NULL primary key.
    expect(await codeOf(extended(text, ['12', 'x', null, null, null, null, 'y', null, null, null]))).toBe('23502');
    // Bad parameter text is rejected at Bind.
    expect(await codeOf(extended(text, ['13', 'x', 'abc', null, null, '14', 'y', null, null, null]))).toBe('22P02');
    expect(await codeOf(extended(text, ['15', 'x', null, 'not a time', null, '16', 'y', null, null, null]))).toBe('22007');
    expect(await rows('SELECT count(*) FROM t')).toEqual([['0']]);
  });

  it('counts only inserted rows under ON CONFLICT DO NOTHING', async () => {
    await sql("INSERT INTO t VALUES (1, 'old', NULL, NULL, NULL)");
    const text = 'INSERT INTO t VALUES ($1, $2, NULL, NULL, NULL), ($3, $4, NULL, NULL, NULL) ON CONFLICT DO NOTHING';
    expect(usesFastPath(text.replace(/\$\d/g, '1'))).toBe(true);
    expect((await extended(text, ['1', 'new', '2', 'two'])).tag).toBe('INSERT 0 1');
    expect(await rows('SELECT id, name FROM t ORDER BY id')).toEqual([['1', 'old'], ['2', 'two']]);
  });

  it('sees its own earlier rows as conflicts (DO NOTHING, a DO UPDATE IF NOT NULL table), as the general path does', async () => {
    const cols = '(id BIGINT PRIMARY KEY, name VARCHAR, amount NUMERIC, ts TIMESTAMPTZ, flag BOOLEAN)';
    await sql(`CREATE TABLE tu ${cols} ON CONFLICT DO UPDATE IF NOT NULL`);
    await sql(`CREATE TABLE gu ${cols} ON CONFLICT DO UPDATE IF NOT NULL`);
    const three = (table: string, suffix = '') => `INSERT INTO ${table} VALUES ($1, $2, $3, NULL, NULL), ($4, $5, $6, NULL, NULL), ($7, $8, $9, NULL, NULL)${suffix}`;
    const vals = ['5', 'first', '1.5', '5', 'second', null, '6', 'six', null];
    for (const [fastTable, generalTable, action] of [
      ['t', 'g', ' ON CONFLICT DO NOTHING'],
      ['tu', 'gu', ''],
    ]) {
      expect(usesFastPath(three(fastTable, action).replace(/\$\d/g, '1'))).toBe(true);
      const fast = await extended(three(fastTable, action), vals);
      const general = await extended(three(generalTable, `${action} RETURNING id`), vals);
      expect(fast.tag).toBe(general.tag);
      expect(await rows(`SELECT * FROM ${fastTable} ORDER BY id`)).toEqual(await rows(`SELECT * FROM ${generalTable} ORDER BY id`));
    }
    expect(await rows('SELECT id, name, amount FROM t ORDER BY id')).toEqual([
      ['5', 'first', '1.5'],
      ['6', 'six', 'NULL'],
    ]);
    expect(await rows('SELECT id, name, amount FROM tu ORDER BY id')).toEqual([
      ['5', 'second', '1.5'],
      ['6', 'six', 'NULL'],
    ]);
  });
});

describe('Bind parameter decoding', () => {
  it('reuses repeated values of costly types without changing any value', async () => {
    const ts = ['2024-01-01 00:00:00+00', '2024-01-01 00:00:00+00', '2024-01-02 03:04:05.5+02', '2024-01-01 00:00:00+00'];
    const text = 'INSERT INTO t VALUES ($1, $2, $3, $4, NULL), ($5, $6, $7, $8, NULL), ($9, $10, $11, $12, NULL), ($13, $14, $15, $16, NULL)';
    await extended(text, [1, 2, 3, 4].flatMap((i) => [String(i), `n${i}`, i % 2 ? '1.5' : '2.25', ts[i - 1]]));
    expect(await rows('SELECT id, amount, ts FROM t ORDER BY id')).toEqual([
      ['1', '1.5', '2024-01-01 00:00:00+00:00'],
      ['2', '2.25', '2024-01-01 00:00:00+00:00'],
      ['3', '1.5', '2024-01-02 01:04:05.500+00:00'],
      ['4', '2.25', '2024-01-01 00:00:00+00:00'],
    ]);
  });

  it('parses under the session time zone at Bind', async () => {
    await sql("SET TIME ZONE 'Asia/Tokyo'");
    await extended('INSERT INTO t VALUES ($1, $2, NULL, $3, NULL), ($4, $5, NULL, $6, NULL)', ['1', 'a', '2024-01-01 09:00:00', '2', 'b', '2024-01-01 09:00:00']);
    await sql("SET TIME ZONE 'UTC'");
    expect(await rows('SELECT ts FROM t ORDER BY id')).toEqual([['2024-01-01 00:00:00+00:00'], ['2024-01-01 00:00:00+00:00']]);
  });
});

