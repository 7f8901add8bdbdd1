/**
 * A checkpoint records each MV's state layout (StateTableAllocator.layout), and recovery
 * restores an MV only into a graph of the same layout. When a newer version plans the same
 * query with other state tables — or the checkpoint comes from a version that recorded no
 * layout — the MV (and the MVs on it) are rebuilt by backfill instead of reading one
 * operator's rows as another's, and serve the right rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../query/testing';

const MVS: Record<string, string> = {
  mv_agg: 'SELECT k, count(*) AS n, max(v) AS hi FROM t GROUP BY k',
  mv_total: 'SELECT count(*) AS groups, sum(n) AS n FROM mv_agg',
  mv_plain: 'SELECT id, v FROM t WHERE v > 10',
};

const sorted = (rows: string[][]) => rows.map((r) => r.join('|')).sort();

/** Rewrites the checkpoint record's per-MV layouts in a closed data dir. */
async function editLayouts(dataDir: string, edit: (layouts: Record<string, string>, names: Map<string, string>) => Record<string, string> | undefined): Promise<void> {
  const db = new Level<string, string>(join(dataDir, 'state'), { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.open();
  try {
    const record = JSON.parse(await db.get('k/checkpoint'));
    const names = new Map<string, string>();
    for await (const [k, v] of db.iterator({ gte: 'm/', lt: 'm0' })) {
      const meta = JSON.parse(v) as { id?: number; name?: string };
      if (meta.id !== undefined && meta.name !== undefined) names.set(meta.name, String(meta.id));
      void k;
    }
    record.info.layouts = edit(record.info.layouts, names);
    await db.put('k/checkpoint', JSON.stringify(record));
  } finally {
    await db.close();
  }
}

describe('state layout check at recovery', () => {
  let dir = '';
  let db: TestDb | null = null;
  let logs: string[] = [];
  const open = async () => {
    logs = [];
    db = await openTestDb({ dataDir: dir, frontend: { log: (m) => logs.push(m) } });
    return db;
  };
  afterEach(async () => {
    await db?.close();
    db = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function prepare(): Promise<void> {
    dir = mkdtempSync(join(tmpdir(), 'freshet-state-layout-'));
    const node = await open();
    await node.query('CREATE TABLE t (id INT PRIMARY KEY, k INT, v INT)');
    await node.query(`INSERT INTO t SELECT i, i % 7, i FROM generate_series(1, 200) AS s(i)`);
    for (const [name, q] of Object.entries(MVS)) await node.query(`CREATE MATERIALIZED VIEW ${name} AS ${q}`);
    await node.query('FLUSH');
    await node.frontend.streaming.checkpoint();
    await node.close();
    db = null;
  }

  async function expectCorrect(node: TestDb): Promise<void> {
    await node.frontend.streaming.stateLoaded();
    await node.query('INSERT INTO t VALUES (1000, 3, 1000)');
    await node.query('DELETE FROM t WHERE id = 7');
    await node.query('FLUSH');
    for (const [name, q] of Object.entries(MVS)) expect(sorted(await node.query(`SELECT * FROM ${name}`)), name).toEqual(sorted(await node.query(q)));
  }

  it('rebuilds an MV whose recorded layout differs, and the MVs on it, and restores the rest', async () => {
    await prepare();
    await editLayouts(dir, (layouts, names) => ({ ...layouts, [names.get('mv_agg')!]: '0123456789abcdef' }));
    const node = await open();
    expect(logs.some((l) => /materialized view mv_agg is rebuilt by backfill instead of restored: .*different plan/.test(l))).toBe(true);
    expect(logs.find((l) => /^materialized views: \d+ restored/.test(l))).toMatch(/1 restored .*, 2 rebuilt by backfill/);
    await expectCorrect(node);
  });

  it('rebuilds every MV of a checkpoint that records no layouts (an older version)', async () => {
    await prepare();
    await editLayouts(dir, () => undefined);
    const node = await open();
    expect(logs.filter((l) => /is rebuilt by backfill instead of restored: the checkpoint \(from an older version\)/.test(l))).toHaveLength(2);
    expect(logs.find((l) => /^materialized views: \d+ restored/.test(l))).toMatch(/0 restored .*, 3 rebuilt by backfill/);
    await expectCorrect(node);
  });

  it('restores every MV when the layouts match', async () => {
    await prepare();
    const node = await open();
    expect(logs.find((l) => /^materialized views: \d+ restored/.test(l))).toMatch(/3 restored .*, 0 rebuilt by backfill/);
    await expectCorrect(node);
  });
});
