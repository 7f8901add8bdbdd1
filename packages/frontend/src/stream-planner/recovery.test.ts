/**
 * MV recovery from the durable state store: restart after a checkpoint restores MV state
 * (no backfill) and replays the DML committed after the checkpoint exactly once; MVs the
 * checkpoint does not cover are rebuilt; MVs dropped before the restart leave no state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DurableStateStore } from '@freshet/storage';
import { openTestDb } from '../query/testing';
import type { Frontend } from '../session/session-manager';

interface Node {
  frontend: Frontend;
  logs: string[];
  sql(text: string): Promise<string[][]>;
  close(): Promise<void>;
}

async function startNode(dataDir: string): Promise<Node> {
  const logs: string[] = [];
  const db = await openTestDb({ dataDir, frontend: { log: (m) => logs.push(m) } });
  return { frontend: db.frontend, logs, sql: db.query, close: db.close };
}

const MVS: Record<string, string> = {
  mv_agg: 'SELECT k, count(*) AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi, avg(v) AS a FROM t GROUP BY k',
  mv_join: 'SELECT t.id, t.v, d.name FROM t JOIN d ON t.k = d.k',
  mv_top: 'SELECT id, v FROM t ORDER BY v DESC, id LIMIT 3',
  mv_total: 'SELECT count(*) AS n, sum(s) AS s FROM mv_agg',
  mv_values: 'SELECT * FROM (VALUES (1, 2), (3, 4)) AS x(a, b)',
};

function sorted(rows: string[][]): string[] {
  return rows.map((r) => r.join('|')).sort();
}

/** Every MV equals its query run as a plain SELECT over the recovered tables. */
async function expectConsistent(node: Node): Promise<void> {
  for (const [name, query] of Object.entries(MVS)) {
    const mv = sorted(await node.sql(`SELECT * FROM ${name}`));
    const batch = sorted(await node.sql(query));
    expect(mv, name).toEqual(batch);
  }
}

describe('MV recovery from checkpoints', () => {
  let dir: string;
  let node: Node;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-recovery-'));
    node = await startNode(dir);
    await node.sql('CREATE TABLE t (id INT PRIMARY KEY, k INT, v INT); CREATE TABLE d (k INT PRIMARY KEY, name VARCHAR)');
    await node.sql("INSERT INTO d VALUES (1, 'one'), (2, 'two'), (3, 'three')");
    await node.sql('INSERT INTO t SELECT g, g % 3, g * 7 % 11 FROM generate_series(1, 50) g');
    for (const [name, q] of Object.entries(MVS)) await node.sql(`CREATE MATERIALIZED VIEW ${name} AS ${q}`);
  });
  afterEach(async () => {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const store = () => node.frontend.streaming.durability!.store as DurableStateStore;

  it('restores state from the checkpoint and replays the DML after it exactly once', async () => {
    await node.frontend.streaming.checkpoint();
    store().checkpointFrequency = 1e9; // nothing after this point is checkpointed
    await node.sql('INSERT INTO t SELECT g, g % 4, g FROM generate_series(51, 60) g');
    await node.sql('UPDATE t SET v = v + 100 WHERE id % 5 = 0');
    await node.sql('DELETE FROM t WHERE id % 7 = 0');
    await node.sql("UPDATE d SET name = 'uno' WHERE k = 1");
    await node.sql('FLUSH');
    const before = await node.sql('SELECT * FROM mv_agg ORDER BY k');
    await node.close();

    node = await startNode(dir);
    expect(node.logs.find((l) => l.startsWith('materialized views:'))).toMatch(/5 restored from checkpoint epoch \d+ \(\d+ table changes replayed\), 0 rebuilt/);
    await node.sql('FLUSH');
    expect(await node.sql('SELECT * FROM mv_agg ORDER BY k')).toEqual(before);
    await expectConsistent(node);
    expect(await node.sql('SELECT * FROM mv_values ORDER BY a')).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    // Streaming carries on after recovery.
    await node.sql('INSERT INTO t VALUES (1000, 1, 1)');
    await node.sql('FLUSH');
    await expectConsistent(node);
  });

  it('restarts twice in a row without double counting, and rebuilds MVs created after the checkpoint', async () => {
    await node.frontend.streaming.checkpoint();
    store().checkpointFrequency = 1e9;
    await node.sql('CREATE MATERIALIZED VIEW mv_late AS SELECT k, count(*) AS n FROM t GROUP BY k');
    await node.sql('INSERT INTO t VALUES (100, 1, 1), (101, 2, 2)');
    await node.close();
    node = await startNode(dir);
    expect(node.logs.find((l) => l.startsWith('materialized views:'))).toMatch(/5 restored .* 1 rebuilt/);
    await node.sql('FLUSH');
    await expectConsistent(node);
    expect(await node.sql('SELECT * FROM mv_late ORDER BY k')).toEqual(await node.sql('SELECT k, count(*) FROM t GROUP BY k ORDER BY k'));
    await node.close();
    node = await startNode(dir);
    await node.sql('FLUSH');
    await expectConsistent(node);
  });

  it('serves restored MVs at once while their state loads, and rebuilds an MV on an MV after the load', async () => {
    await node.frontend.streaming.checkpoint();
    store().checkpointFrequency = 1e9;
    // On a restored MV, created after the checkpoint: rebuilt at restart by backfill from
    // mv_agg's snapshot, which needs mv_agg's state in memory.
    await node.sql('CREATE MATERIALIZED VIEW mv_on_mv AS SELECT count(*) AS groups, sum(n) AS n FROM mv_agg');
    await node.sql('INSERT INTO t VALUES (100, 1, 1)');
    await node.sql('FLUSH');
    const expected = await node.sql('SELECT * FROM mv_on_mv');
    expect(expected).toEqual([['3', '51']]);
    await node.close();
    node = await startNode(dir);
    // The restart does not wait for MV state to load, so the MV on an MV waits for it.
    expect(node.logs).toContain('materialized views: 1 rebuilt once the state restored from the checkpoint is loaded');
    // Lookups do not wait for the load (keys not in memory yet are read from LevelDB).
    const k1 = await node.sql('SELECT n, s FROM mv_agg WHERE k = 1');
    await node.frontend.streaming.stateLoaded();
    await node.sql('FLUSH');
    expect(await node.sql('SELECT n, s FROM mv_agg WHERE k = 1')).toEqual(k1);
    expect(await node.sql('SELECT * FROM mv_on_mv')).toEqual(expected);
    await expectConsistent(node);
    // And a new MV on an MV after the load.
    await node.sql('CREATE MATERIALIZED VIEW mv_on_mv2 AS SELECT k FROM mv_agg WHERE n > 1');
    expect(sorted(await node.sql('SELECT * FROM mv_on_mv2'))).toEqual(sorted(await node.sql('SELECT k FROM mv_agg WHERE n > 1')));
  });

  it('drops the state of an MV dropped after the checkpoint', async () => {
    await node.frontend.streaming.checkpoint();
    store().checkpointFrequency = 1e9;
    await node.sql('DROP MATERIALIZED VIEW mv_top');
    await node.close();
    node = await startNode(dir);
    expect(node.logs.some((l) => /discarded checkpointed state of \d+ state tables/.test(l))).toBe(true);
    await node.frontend.streaming.checkpoint();
    await node.close();
    node = await startNode(dir);
    expect(node.logs.some((l) => /discarded/.test(l))).toBe(false);
    delete MVS.mv_top;
    try {
      await expectConsistent(node);
    } finally {
      MVS.mv_top = 'SELECT id, v FROM t ORDER BY v DESC, id LIMIT 3';
    }
  });

  it('ALTER SYSTEM SET checkpoint_frequency / barrier_interval_ms: shown, applied, persisted; checkpoint status table', async () => {
    await node.sql('ALTER SYSTEM SET checkpoint_frequency = 3');
    await node.sql("ALTER SYSTEM SET barrier_interval_ms TO '25'");
    const params = async () => Object.fromEntries((await node.sql('SHOW PARAMETERS')).map((r) => [r[0], [r[1], r[2]]]));
    expect(await params()).toMatchObject({ checkpoint_frequency: ['3', 'true'], barrier_interval_ms: ['25', 'true'] });
    expect(store().checkpointFrequency).toBe(3);
    await expect(node.sql('ALTER SYSTEM SET checkpoint_frequency = 0')).rejects.toThrow(/checkpoint_frequency/);
    await expect(node.sql('ALTER SYSTEM SET no_such_param = 1')).rejects.toThrow(/unrecognized system parameter "no_such_param"/);
    const [[before]] = await node.sql('SELECT checkpoints_taken FROM rw_catalog.rw_checkpoint_status');
    await node.frontend.streaming.checkpoint();
    const [[after]] = await node.sql('SELECT checkpoints_taken FROM rw_catalog.rw_checkpoint_status');
    expect(Number(after)).toBeGreaterThan(Number(before));
    const [row] = await node.sql(
      'SELECT durable, committed_epoch >= checkpoint_epoch, checkpoint_at IS NOT NULL, checkpoint_frequency, barrier_interval_ms, last_error FROM rw_catalog.rw_checkpoint_status',
    );
    expect(row).toEqual(['t', 't', 't', '3', '25', 'NULL']);
    await node.frontend.storage.uploadCheckpoint();
    const [upload] = await node.sql('SELECT object_store, uploaded_at IS NOT NULL, uploaded_epoch >= 1, upload_error FROM rw_catalog.rw_checkpoint_status');
    expect(upload).toEqual([join(dir, 'checkpoints'), 't', 't', 'NULL']);
    const [[epoch]] = await node.sql('SELECT checkpoint_epoch FROM rw_catalog.rw_checkpoint_status');
    await node.close();
    node = await startNode(dir);
    expect(await params()).toMatchObject({ checkpoint_frequency: ['3', 'true'], barrier_interval_ms: ['25', 'true'] });
    const [[recovered]] = await node.sql('SELECT recovered_epoch FROM rw_catalog.rw_checkpoint_status');
    expect(Number(recovered)).toBeGreaterThanOrEqual(Number(epoch));
  });
});
