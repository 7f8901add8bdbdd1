/**
 * Test support for backfills read from disk (memory limit): DML run while a new MV backfills,
 * and queries of an MV rebuilt after a restart, which answer 55000 until it is complete.
 * Not used outside tests.
 */
import { expect } from 'vitest';
import type { TestDb } from '../query/testing';

/**
 * Inserts, deletes and updates rows of table `t` (keyed by `id`, with an INT column `v`) for
 * at least 20 rounds and while `mv` is still backfilling; returns the rounds run during the
 * backfill. `insert(i)`: the VALUES of round i's new row.
 */
export async function dmlDuringBackfill(db: TestDb, mv: string, insert: (i: number) => string): Promise<number> {
  const backfilling = () => db.frontend.streaming.backfillProgress().some((b) => b.name === mv);
  let during = 0;
  for (let i = 0; i < 20 || (backfilling() && i < 200); i++) {
    if (backfilling()) during++;
    await db.exec(`INSERT INTO t VALUES (${insert(i)})`);
    await db.exec(`DELETE FROM t WHERE id = ${200 + i}`);
    await db.exec(`UPDATE t SET v = v + 3 WHERE id = ${500 + i}`);
  }
  return during;
}

/** `sql`'s answer once the MV it reads is rebuilt after a restart (null: not within ~10 s). */
export async function queryOnceRebuilt(db: TestDb, sql: string): Promise<string[][] | null> {
  for (let i = 0; i < 200; i++) {
    try {
      return await db.query(sql);
    } catch (e) {
      expect((e as Error).message).toMatch(/is being rebuilt after the restart/);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return null;
}
