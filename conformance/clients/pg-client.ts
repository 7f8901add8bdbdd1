/** The scenario (see scenario.ts) with node-postgres. */
import pg from 'pg';
import { CANCEL_AFTER_MS, LONG_QUERY, expectEqual, expectSqlState, tableFor } from './scenario';
import { sendCancelRequest } from './raw-cancel';

export interface Conn {
  host: string;
  port: number;
  user: string;
  database: string;
  target: 'freshet' | 'postgres';
}


/** Returns the steps completed, in order; throws on the first deviation. */
export async function runPgScenario(c: Conn): Promise<string[]> {
  const done: string[] = [];
  const t = tableFor('pg');
  const client = new pg.Client({ host: c.host, port: c.port, user: c.user, database: c.database });
  await client.connect();
  try {
    if (c.target === 'freshet') await client.query('SET RW_IMPLICIT_FLUSH TO true');
    await client.query(`DROP TABLE IF EXISTS ${t}`);
    await client.query(`CREATE TABLE ${t} (id int PRIMARY KEY, name varchar, score double precision)`);
    done.push('ddl');

    const ins = await client.query(`INSERT INTO ${t} VALUES (1, 'a', 1.5), (2, 'b', 2.5), (3, 'c', NULL)`);
    expectEqual(ins.rowCount, 3, 'insert rowCount');
    expectEqual(ins.command, 'INSERT', 'insert command tag');
    const upd = await client.query(`UPDATE ${t} SET score = 9 WHERE id = 3`);
    expectEqual(upd.rowCount, 1, 'update rowCount');
    done.push('dml');

    // Extended protocol with bound parameters, typed results.
    const one = await client.query(`SELECT name, score FROM ${t} WHERE id = $1`, [2]);
    expectEqual(one.rows, [{ name: 'b', score: 2.5 }], 'parameterised select');
    const cnt = await client.query(`SELECT count(*) AS n FROM ${t} WHERE score > $1 AND name <> $2`, [2.0, 'zzz']);
    expectEqual(cnt.rows[0].n, '2', 'count with two parameters');
    const named = await client.query({ name: 'by_id', text: `SELECT id FROM ${t} WHERE id = $1`, values: [1] });
    const again = await client.query({ name: 'by_id', text: `SELECT id FROM ${t} WHERE id = $1`, values: [3] });
    expectEqual([named.rows[0].id, again.rows[0].id], [1, 3], 'prepared statement reuse');
    done.push('param');

    await expectSqlState(client.query('SELECT * FROM no_such_table_pg'), '42P01', 'undefined table');
    await expectSqlState(client.query('SELECT 1 / $1::int', [0]), '22012', 'division by zero (extended)');
    const ok = await client.query('SELECT 1 AS one');
    expectEqual(ok.rows, [{ one: 1 }], 'query after errors');
    done.push('error');

    // Expect the error before cancelling: the query can fail while the cancel socket is
    // still closing, and a rejection with no handler yet is reported as unhandled.
    const cancelled = expectSqlState(client.query(LONG_QUERY), '57014', 'cancelled query');
    await new Promise((r) => setTimeout(r, CANCEL_AFTER_MS));
    const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
    await sendCancelRequest(c.host, c.port, processID, secretKey);
    await cancelled;
    const after = await client.query('SELECT 42 AS answer');
    expectEqual(after.rows, [{ answer: 42 }], 'query after cancel');
    done.push('cancel');

    await client.query(`DROP TABLE ${t}`);
    done.push('cleanup');
  } finally {
    await client.end().catch(() => {});
  }
  return done;
}
