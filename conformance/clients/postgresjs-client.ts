/** The scenario (see scenario.ts) with postgres.js. */
import postgres from 'postgres';
import type { Conn } from './pg-client';
import { CANCEL_AFTER_MS, LONG_QUERY, expectEqual, expectSqlState, tableFor } from './scenario';


export async function runPostgresJsScenario(c: Conn): Promise<string[]> {
  const done: string[] = [];
  const t = tableFor('postgresjs');
  // One connection, so "the same connection still works" means exactly that.
  const sql = postgres({ host: c.host, port: c.port, user: c.user, database: c.database, max: 1, onnotice: () => {} });
  try {
    if (c.target === 'freshet') await sql`SET RW_IMPLICIT_FLUSH TO true`;
    await sql.unsafe(`DROP TABLE IF EXISTS ${t}`);
    await sql.unsafe(`CREATE TABLE ${t} (id int PRIMARY KEY, name varchar, score double precision)`);
    done.push('ddl');

    const ins = await sql.unsafe(`INSERT INTO ${t} VALUES (1, 'a', 1.5), (2, 'b', 2.5), (3, 'c', NULL)`);
    expectEqual(ins.count, 3, 'insert count');
    const upd = await sql.unsafe(`UPDATE ${t} SET score = 9 WHERE id = 3`);
    expectEqual(upd.count, 1, 'update count');
    done.push('dml');

    const id = 2;
    const rows = await sql`SELECT name, score FROM ${sql(t)} WHERE id = ${id}`;
    expectEqual([...rows], [{ name: 'b', score: 2.5 }], 'parameterised select');
    const [{ n }] = await sql`SELECT count(*)::int AS n FROM ${sql(t)} WHERE score > ${2.0}`;
    expectEqual(n, 2, 'count with parameter');
    done.push('param');

    await expectSqlState(sql`SELECT * FROM no_such_table_postgresjs`, '42P01', 'undefined table');
    const [{ one }] = await sql`SELECT 1 AS one`;
    expectEqual(one, 1, 'query after error');
    done.push('error');

    const long = sql.unsafe(LONG_QUERY);
    const running = long.execute();
    await new Promise((r) => setTimeout(r, CANCEL_AFTER_MS));
    long.cancel();
    await expectSqlState(running, '57014', 'cancelled query');
    const [{ answer }] = await sql`SELECT 42 AS answer`;
    expectEqual(answer, 42, 'query after cancel');
    done.push('cancel');

    await sql.unsafe(`DROP TABLE ${t}`);
    done.push('cleanup');
  } finally {
    await sql.end({ timeout: 2 });
  }
  return done;
}
