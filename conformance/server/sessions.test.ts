/**
 * Sessions against a real running server: concurrent connections doing DDL and DML at the
 * same time, per-session settings, databases, and authentication (SCRAM-SHA-256 and MD5;
 * wrong passwords, unknown users and databases are FATAL with the PostgreSQL SQLSTATEs).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isError, RawPgClient, startFreshet, type FreshetServer } from '@freshet/testkit';
import { assertServerAlive } from './health';

let server: FreshetServer;
let admin: pg.Client;

async function connect(opts: { database?: string; user?: string; password?: string } = {}): Promise<pg.Client> {
  const c = new pg.Client({ host: server.host, port: server.port, user: opts.user ?? 'root', database: opts.database ?? 'dev', password: opts.password });
  c.on('error', () => {});
  await c.connect();
  return c;
}

async function withClient<T>(fn: (c: pg.Client) => Promise<T>, opts?: Parameters<typeof connect>[0]): Promise<T> {
  const c = await connect(opts);
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

const rows = async (c: pg.Client, sql: string, params?: unknown[]) => (await c.query({ text: sql, values: params, rowMode: 'array' })).rows;

/** The error a failed connection attempt raises (the FATAL ErrorResponse). */
async function connectError(opts: Parameters<typeof connect>[0]): Promise<{ code?: string; severity?: string; message: string }> {
  try {
    const c = await connect(opts);
    await c.end();
  } catch (e) {
    return e as { code?: string; severity?: string; message: string };
  }
  throw new Error(`connecting with ${JSON.stringify(opts)} unexpectedly succeeded`);
}

beforeAll(async () => {
  server = await startFreshet({ playground: true });
  admin = await connect();
});

afterEach(() => assertServerAlive(server));

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

describe('concurrent sessions', () => {
  it('eight connections doing DDL and DML at once do not disturb each other', async () => {
    await admin.query('CREATE TABLE shared (writer INT, seq INT, note VARCHAR)');
    const N = 8;
    const results = await Promise.all(
      Array.from({ length: N }, (_, w) =>
        withClient(async (c) => {
          const t = `own_${w}`;
          await c.query(`CREATE TABLE ${t} (id INT PRIMARY KEY, v INT)`);
          await c.query(`INSERT INTO ${t} SELECT g, g * ${w} FROM generate_series(1, 200) AS g`);
          for (let seq = 0; seq < 25; seq++) {
            await c.query('INSERT INTO shared VALUES ($1, $2, $3)', [w, seq, `w${w}`]);
            if (seq % 5 === 0) await c.query(`UPDATE ${t} SET v = v + 1 WHERE id <= $1`, [seq]);
          }
          await c.query(`DELETE FROM ${t} WHERE id > 150`);
          await c.query(`CREATE VIEW ${t}_v AS SELECT count(*) AS n, sum(v) AS s FROM ${t}`);
          await c.query('DELETE FROM shared WHERE writer = $1 AND seq >= 20', [w]);
          return rows(c, `SELECT n::INT, s::INT FROM ${t}_v`);
        }),
      ),
    );
    for (let w = 0; w < N; w++) {
      // ids 1..150 with v = id*w, plus one per UPDATE round (seq 0,5,10,15,20 → ids <= seq).
      const bumps = [0, 5, 10, 15, 20].reduce((acc, s) => acc + s, 0);
      expect(results[w], `writer ${w}`).toEqual([[150, w * ((150 * 151) / 2) + bumps]]);
    }
    expect(await rows(admin, 'SELECT writer, count(*)::INT, min(seq), max(seq) FROM shared GROUP BY writer ORDER BY writer')).toEqual(
      Array.from({ length: N }, (_, w) => [w, 20, 0, 19]),
    );
  });

  it('racing CREATE TABLE of one name: exactly one wins, the others get 42P07', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        withClient((c) => c.query(`CREATE TABLE contested (a INT, who INT DEFAULT ${i})`)).then(
          () => 'ok',
          (e: { code?: string }) => e.code,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'ok')).toEqual(Array(5).fill('42P07'));
    await admin.query('INSERT INTO contested (a) VALUES (1)');
    expect(await rows(admin, 'SELECT a FROM contested')).toEqual([[1]]);
  });

  it('tables dropped and re-created while other sessions query them give clean errors, never wrong rows', async () => {
    await admin.query('CREATE TABLE churn (a INT)');
    await admin.query('INSERT INTO churn VALUES (1), (2), (3)');
    let stop = false;
    const seen = new Set<string>();
    const readers = Array.from({ length: 4 }, () =>
      withClient(async (c) => {
        while (!stop) {
          try {
            const r = await rows(c, 'SELECT count(*)::INT, sum(a)::INT FROM churn');
            seen.add(JSON.stringify(r));
          } catch (e) {
            seen.add((e as { code?: string }).code ?? (e as Error).message);
          }
        }
      }),
    );
    await withClient(async (c) => {
      for (let i = 0; i < 30; i++) {
        await c.query('DROP TABLE churn');
        await c.query('CREATE TABLE churn (a INT)');
        await c.query('INSERT INTO churn VALUES (1), (2), (3)');
      }
    });
    stop = true;
    await Promise.all(readers);
    // Only the full table, a just-created empty one, or "not found" are possible.
    for (const s of seen) expect(['[[3,6]]', '[[0,null]]', '42P01']).toContain(s);
    expect(seen.has('[[3,6]]')).toBe(true);
  });

  it('SET is per session: time zone and search_path do not leak', async () => {
    await admin.query('CREATE SCHEMA side');
    await admin.query('CREATE TABLE side.only_here (x INT)');
    const a = await connect();
    const b = await connect();
    try {
      await a.query("SET TIME ZONE 'Asia/Tokyo'");
      await a.query('SET search_path TO side, public');
      expect(await rows(a, 'SHOW timezone')).toEqual([['Asia/Tokyo']]);
      expect(await rows(b, 'SHOW timezone')).toEqual([['UTC']]);
      expect(await rows(a, "SELECT '2024-01-01 00:00:00+00'::TIMESTAMPTZ::VARCHAR")).toEqual([['2024-01-01 09:00:00+09:00']]);
      expect(await rows(b, "SELECT '2024-01-01 00:00:00+00'::TIMESTAMPTZ::VARCHAR")).toEqual([['2024-01-01 00:00:00+00:00']]);
      expect(await rows(a, 'SELECT count(*)::INT FROM only_here')).toEqual([[0]]);
      await expect(b.query('SELECT count(*) FROM only_here')).rejects.toMatchObject({ code: '42P01' });
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('prepared statements are per session: the same name in two sessions is two statements', async () => {
    const a = await connect();
    const b = await connect();
    try {
      const qa = await a.query({ name: 'same', text: 'SELECT $1::INT + 1 AS r', values: [1] });
      const qb = await b.query({ name: 'same', text: "SELECT $1::VARCHAR || 'x' AS r", values: ['y'] });
      expect(qa.rows).toEqual([{ r: 2 }]);
      expect(qb.rows).toEqual([{ r: 'yx' }]);
      expect((await a.query({ name: 'same', text: 'SELECT $1::INT + 1 AS r', values: [41] })).rows).toEqual([{ r: 42 }]);
    } finally {
      await a.end();
      await b.end();
    }
  });
});

describe('databases', () => {
  it('CREATE DATABASE, then connect to it; its tables are separate from dev', async () => {
    await admin.query('CREATE DATABASE analytics');
    await withClient(
      async (c) => {
        expect(await rows(c, 'SELECT current_database()')).toEqual([['analytics']]);
        await c.query('CREATE TABLE events (id INT)');
        await c.query('INSERT INTO events VALUES (1), (2)');
        expect(await rows(c, 'SELECT count(*)::INT FROM events')).toEqual([[2]]);
      },
      { database: 'analytics' },
    );
    await expect(admin.query('SELECT * FROM events')).rejects.toMatchObject({ code: '42P01' });
    // A table of the same name in dev is a different table.
    await admin.query('CREATE TABLE events (id INT, extra VARCHAR)');
    expect(await rows(admin, 'SELECT count(*)::INT FROM events')).toEqual([[0]]);
    await admin.query('CREATE DATABASE analytics').then(
      () => expect.fail('duplicate CREATE DATABASE succeeded'),
      (e: { code?: string }) => expect(e.code).toBe('42P04'),
    );
  });

  it('connecting to an unknown database is FATAL 3D000', async () => {
    const e = await connectError({ database: 'no_such_db' });
    expect(e.code).toBe('3D000');
    expect(e.severity).toBe('FATAL');
    expect(e.message).toMatch(/no_such_db/);
  });

  it('a dropped database can no longer be connected to', async () => {
    await admin.query('CREATE DATABASE brief');
    await withClient((c) => c.query('SELECT 1'), { database: 'brief' });
    await admin.query('DROP DATABASE brief');
    expect((await connectError({ database: 'brief' })).code).toBe('3D000');
  });
});

/** The authentication request the server sends first for `user`. */
async function authRequestFor(user: string): Promise<string> {
  const c = await RawPgClient.connect(server.port);
  try {
    c.send(serialize.startup({ user, database: 'dev' }));
    const ms = await c.until((m) => m.name.startsWith('authentication') || isError(m));
    const last = ms[ms.length - 1] as { name: string; mechanisms?: string[] };
    return last.name === 'authenticationSASL' ? `SASL ${last.mechanisms?.join(',')}` : last.name;
  } finally {
    c.close();
  }
}

describe('authentication', () => {
  beforeAll(async () => {
    await admin.query("CREATE USER alice WITH PASSWORD 'correct horse'");
    // A password given already hashed is stored as is: only MD5 can verify it.
    const md5 = 'md5' + createHash('md5').update('battery staple' + 'bob').digest('hex');
    await admin.query(`CREATE USER bob WITH PASSWORD '${md5}'`);
    await admin.query('CREATE USER carol');
  });

  it('a user created WITH PASSWORD is asked for SCRAM-SHA-256, and the right password works', async () => {
    expect(await authRequestFor('alice')).toBe('SASL SCRAM-SHA-256');
    expect(await withClient((c) => rows(c, 'SELECT current_user, session_user'), { user: 'alice', password: 'correct horse' })).toEqual([['alice', 'alice']]);
  });

  it('a wrong password is FATAL 28P01', async () => {
    // (An empty password is refused by the pg client itself before SCRAM starts.)
    for (const password of ['wrong', 'correct horse ', 'CORRECT HORSE', 'x'.repeat(5000)]) {
      const e = await connectError({ user: 'alice', password });
      expect(e.code, password.slice(0, 20)).toBe('28P01');
      expect(e.severity).toBe('FATAL');
      expect(e.message).toMatch(/password authentication failed for user "alice"/);
    }
  });

  it('an MD5-hashed password is checked with the MD5 exchange', async () => {
    expect(await authRequestFor('bob')).toBe('authenticationMD5Password');
    expect(await withClient((c) => rows(c, 'SELECT current_user'), { user: 'bob', password: 'battery staple' })).toEqual([['bob']]);
    expect((await connectError({ user: 'bob', password: 'battery' })).code).toBe('28P01');
  });

  it('a user without a password logs in without one (trust)', async () => {
    expect(await authRequestFor('carol')).toBe('authenticationOk');
    expect(await withClient((c) => rows(c, 'SELECT current_user'), { user: 'carol' })).toEqual([['carol']]);
  });

  it('ALTER USER … PASSWORD takes effect for new connections; DROP USER locks the user out', async () => {
    await admin.query("CREATE USER dave WITH PASSWORD 'one'");
    await withClient((c) => c.query('SELECT 1'), { user: 'dave', password: 'one' });
    await admin.query("ALTER USER dave WITH PASSWORD 'two'");
    expect((await connectError({ user: 'dave', password: 'one' })).code).toBe('28P01');
    await withClient((c) => c.query('SELECT 1'), { user: 'dave', password: 'two' });
    await admin.query('DROP USER dave');
    const e = await connectError({ user: 'dave', password: 'two' });
    expect(e.code).toBe('28000');
    expect(e.severity).toBe('FATAL');
  });

  it('unknown users and NOLOGIN users are FATAL 28000', async () => {
    expect((await connectError({ user: 'mallory' })).code).toBe('28000');
    await admin.query('CREATE USER erin NOLOGIN');
    const e = await connectError({ user: 'erin' });
    expect(e.code).toBe('28000');
    expect(e.message).toMatch(/erin/);
  });

  it('a non-superuser cannot create users (42501) and its failed attempt leaves its session usable', async () => {
    await withClient(
      async (c) => {
        await expect(c.query("CREATE USER eve WITH PASSWORD 'x'")).rejects.toMatchObject({ code: '42501' });
        expect(await rows(c, 'SELECT 1')).toEqual([[1]]);
      },
      { user: 'alice', password: 'correct horse' },
    );
  });
});
