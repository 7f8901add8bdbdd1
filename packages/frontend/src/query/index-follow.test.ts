/**
 * A secondary index on an MV follows the MV's changes (batch secondary-index.ts): lookups
 * through it stay equal to the same filter evaluated by a full scan while DML flows into
 * the table under the MV — rows moving between keys, groups appearing and disappearing.
 */
import { describe, expect, it } from 'vitest';
import { openTestDb } from './testing';

describe('an index on an MV under DML', () => {
  it('answers lookups equal to a full scan after every change', async () => {
    const db = await openTestDb();
    try {
      await db.query('CREATE TABLE ev (id INT PRIMARY KEY, session_id INT, user_id INT, dwell INT)');
      await db.query(
        'CREATE MATERIALIZED VIEW sessions AS SELECT session_id, user_id, count(*) AS pages, sum(dwell) AS dwell FROM ev GROUP BY session_id, user_id',
      );
      await db.query('CREATE INDEX sessions_by_user ON sessions (user_id)');
      const plan = (await db.query('EXPLAIN SELECT * FROM sessions WHERE user_id = 3')).map((r) => r[0]).join('\n');
      expect(plan).toContain('BatchIndexLookup');
      let seed = 7;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      let nextId = 1;
      for (let round = 0; round < 25; round++) {
        const values = Array.from({ length: 20 }, () => `(${nextId++}, ${rnd(15)}, ${rnd(6)}, ${rnd(100)})`);
        await db.query(`INSERT INTO ev VALUES ${values.join(', ')}`);
        await db.query(`UPDATE ev SET user_id = ${rnd(6)} WHERE id % 7 = ${rnd(7)}`);
        await db.query(`DELETE FROM ev WHERE id % 11 = ${rnd(11)}`);
        await db.query('FLUSH');
        for (let u = 0; u < 6; u++) {
          const viaIndex = (await db.query(`SELECT session_id, pages, dwell FROM sessions WHERE user_id = ${u} ORDER BY session_id`)).map((r) => r.join('|'));
          // `user_id + 0` is not a column: no index, a full scan.
          const viaScan = (await db.query(`SELECT session_id, pages, dwell FROM sessions WHERE user_id + 0 = ${u} ORDER BY session_id`)).map((r) => r.join('|'));
          expect(viaIndex, `round ${round}, user ${u}`).toEqual(viaScan);
        }
      }
    } finally {
      await db.close();
    }
  }, 60_000);
});
