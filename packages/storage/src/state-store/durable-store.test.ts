import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Decimal, T, type Row } from '@freshet/common';
import { MemStateStore } from '@freshet/stream';
import { openStorage } from '../open';
import type { StorageEngine } from '../api';
import type { DurableStateStore } from './durable-store';
import { Db } from '../db';

/** Opens the data dir and its durable state store, as a server start does. */
async function start(dir: string): Promise<{ storage: StorageEngine; store: DurableStateStore }> {
  const storage = openStorage({ dataDir: dir });
  await storage.open();
  const store = storage.openStateStore(new MemStateStore())!;
  return { storage, store };
}

function rows(store: DurableStateStore, id: number): [string, Row][] {
  return [...store.table(id).iterCommitted()];
}

describe('durable state store', () => {
  let dir: string;
  let storage: StorageEngine;
  let store: DurableStateStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-state-'));
    ({ storage, store } = await start(dir));
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const restart = async () => {
    await storage.close();
    ({ storage, store } = await start(dir));
  };

  it('keeps each row as of its checkpoint\'s epoch while later epochs rewrite it during the checkpoint', async () => {
    store.checkpointFrequency = 1;
    const t = store.table(8);
    const n = 20_000; // enough that encoding it yields to the event loop on a slow machine
    for (let i = 0; i < n; i++) t.write(1, `k${String(i).padStart(6, '0')}`, [i, 'first']);
    const checkpoint = store.commitEpoch(1);
    // Epoch 2 rewrites every key while epoch 1's checkpoint may still be encoding or writing.
    await new Promise<void>((r) => setImmediate(r));
    for (let i = 0; i < n; i++) t.write(2, `k${String(i).padStart(6, '0')}`, [i, 'second']);
    store.checkpointFrequency = 1e9;
    await store.commitEpoch(2);
    await checkpoint;
    expect(store.lastCheckpoint?.epoch).toBe(1);
    await restart();
    expect(store.recovered?.epoch).toBe(1);
    const got = rows(store, 8);
    expect(got).toHaveLength(n);
    expect(got.every(([, r]) => r[1] === 'first')).toBe(true);
  });

  it('restarts without loading key-read tables first, serves them from LevelDB, and loads them in the background', async () => {
    store.checkpointFrequency = 1;
    const t = store.table(11);
    t.declarePointReads();
    const k = (i: number) => `k${String(i).padStart(5, '0')}`;
    for (let i = 0; i < 5000; i++) t.write(1, k(i), [i, 'v1']);
    await store.commitEpoch(1);
    await restart();
    const inner = store as unknown as { inner: MemStateStore };
    expect(inner.inner.isPartial(11)).toBe(true); // not loaded before serving
    const u = store.table(11);
    expect(u.get(k(42))).toEqual([42, 'v1']); // a cold read
    // Written and deleted while the load runs: memory is newer than LevelDB's copy.
    const e = store.committedEpoch + 1;
    u.write(e, k(7), [7, 'v2']);
    u.write(e, k(8), null);
    u.write(e, 'new', [-1, 'v2']);
    await store.commitEpoch(e);
    await store.loading;
    expect(inner.inner.isPartial(11)).toBe(false);
    const all = rows(store, 11); // a range read: the table is whole again
    expect(all).toHaveLength(5000);
    expect(all.find(([key]) => key === k(7))?.[1]).toEqual([7, 'v2']);
    expect(all.find(([key]) => key === k(8))).toBeUndefined();
    expect(all.find(([key]) => key === 'new')?.[1]).toEqual([-1, 'v2']);
    expect(all.filter(([, r]) => r[1] === 'v1')).toHaveLength(4998);
  });

  it('restores the last checkpoint: its rows, its epoch, nothing written after it', async () => {
    store.checkpointFrequency = 2;
    const t = store.table(7);
    t.write(1, 'a', [1, 'one', new Decimal(15n, 1)]);
    t.write(1, 'b', [2, 'two', null]);
    await store.commitEpoch(1); // not a checkpoint
    t.write(2, 'b', null);
    t.write(2, 'c', [3, 'three', 3n]);
    await store.commitEpoch(2); // checkpoint
    t.write(3, 'd', [4, 'lost', null]);
    await store.commitEpoch(3);
    expect(store.lastCheckpoint?.epoch).toBe(2);
    await restart();
    expect(store.recovered?.epoch).toBe(2);
    expect(store.committedEpoch).toBe(2);
    expect(rows(store, 7)).toEqual([
      ['a', [1, 'one', new Decimal(15n, 1)]],
      ['c', [3, 'three', 3n]],
    ]);
    // Epochs continue after the checkpoint.
    expect(() => store.table(7).write(2, 'x', [0])).toThrow(/already committed/);
    store.table(7).write(3, 'x', [0]);
  });

  it('a checkpoint holds each key as of its epoch, and later epochs go into the next one', async () => {
    store.checkpointFrequency = 1;
    const t = store.table(1);
    t.write(1, 'k', ['v1']);
    t.write(2, 'k', ['v2']); // epoch 2 written before epoch 1 commits
    await store.commitEpoch(1);
    await restart();
    expect(rows(store, 1)).toEqual([['k', ['v1']]]);
    store.checkpointFrequency = 1;
    store.table(1).write(2, 'k', ['v2']);
    await store.commitEpoch(2);
    await restart();
    expect(rows(store, 1)).toEqual([['k', ['v2']]]);
  });

  it('drops a table from disk at the next checkpoint; retainOnly drops unclaimed tables', async () => {
    store.checkpointFrequency = 1;
    store.table(1).write(1, 'a', [1]);
    store.table(2).write(1, 'b', [2]);
    store.table(3).write(1, 'c', [3]);
    await store.commitEpoch(1);
    store.dropTable(1);
    await store.commitEpoch(2);
    await restart();
    expect(rows(store, 1)).toEqual([]);
    expect(store.retainOnly(new Set([2]))).toEqual([3]);
    store.checkpointFrequency = 1;
    await store.commitEpoch(3);
    await restart();
    expect(rows(store, 2)).toEqual([['b', [2]]]);
    expect(rows(store, 3)).toEqual([]);
  });

  it('a checkpoint writes each key published since the last one once, as of its epoch, deletes included', async () => {
    store.checkpointFrequency = 3;
    const t = store.table(4);
    t.write(1, 'a', ['a1']);
    t.write(1, 'b', ['b1']);
    t.write(1, 'c', ['c1']);
    await store.commitEpoch(1);
    t.write(2, 'a', ['a2']);
    t.write(2, 'b', null); // deleted: its entry goes at publish, the key must still reach disk as a delete
    await store.commitEpoch(2);
    t.write(3, 'a', ['a3']);
    t.write(3, 'b', ['b3']); // recreated after the delete was published
    t.write(3, 'c', null);
    await store.commitEpoch(3); // checkpoint of epochs 1..3
    // a, b, c each once (b twice: its deleted entry, then the new one) and the checkpoint record.
    expect(store.lastCheckpointStats?.keys).toBeLessThanOrEqual(5);
    t.write(4, 'a', null);
    await store.commitEpoch(4);
    await store.commitEpoch(5);
    await store.commitEpoch(6); // checkpoint: only a changed
    expect(store.lastCheckpointStats?.keys).toBe(2);
    await restart();
    expect(rows(store, 4)).toEqual([['b', ['b3']]]);
  });

  it('a dropped table loses keys published but not yet checkpointed, and keys of uncommitted epochs', async () => {
    store.checkpointFrequency = 1;
    const t = store.table(5);
    t.write(1, 'a', [1]);
    t.write(1, 'b', [2]);
    await store.commitEpoch(1); // on disk: a, b
    store.checkpointFrequency = 100;
    t.write(2, 'a', null); // published, not checkpointed
    await store.commitEpoch(2);
    t.write(3, 'b', null); // not even committed
    store.dropTable(5);
    store.checkpointFrequency = 1;
    await store.commitEpoch(3);
    await restart();
    expect(rows(store, 5)).toEqual([]);
    expect(store.retainOnly(new Set())).toEqual([]); // nothing of table 5 was left on disk
  });

  it('keys of a failed checkpoint whose table is dropped meanwhile are deleted with the drop', async () => {
    store.checkpointFrequency = 1;
    store.table(6).write(1, 'a', [1]);
    await store.commitEpoch(1); // on disk: a
    store.onError = () => {};
    store.table(6).write(2, 'a', null);
    let fail!: (e: Error) => void;
    vi.spyOn(Db.prototype, 'write').mockReturnValueOnce(new Promise((_, reject) => (fail = reject)));
    const failing = store.commitEpoch(2); // takes 'a' (deleted: gone from the table at publish)
    store.dropTable(6);
    fail(new Error('No space left on device'));
    await failing;
    await store.commitEpoch(3);
    expect(store.lastError).toBeNull();
    await restart();
    expect(store.retainOnly(new Set())).toEqual([]);
  });

  it('records the change-log seq: recovery replays exactly the table changes after it', async () => {
    storage.createTable(10, { types: [T.Int32, T.Varchar], pk: [0] });
    const commit = async (f: (b: ReturnType<StorageEngine['newBatch']>) => void) => {
      const b = storage.newBatch();
      f(b);
      await storage.commit(b);
    };
    await commit((b) => b.put(10, [1, 'a']));
    store.checkpointFrequency = 1;
    store.setCheckpointSource(() => ({ seq: storage.appliedSeq, info: { jobs: [5] } }));
    await store.commitEpoch(1); // covers the first insert
    const covered = storage.appliedSeq;
    await commit((b) => b.put(10, [2, 'b']));
    await commit((b) => {
      b.put(10, [1, 'a2']);
      b.delete(10, [2]);
    });
    await restart();
    storage.createTable(10, { types: [T.Int32, T.Varchar], pk: [0] });
    expect(store.recovered).toMatchObject({ epoch: 1, seq: covered, info: { jobs: [5] } });
    const replay = [...storage.changesAfter(store.recovered!.seq)].map((m) => m.get(10));
    expect(replay).toEqual([
      [{ old: undefined, row: [2, 'b'] }],
      [
        { old: [1, 'a'], row: [1, 'a2'] },
        { old: [2, 'b'], row: undefined },
      ],
    ]);
    expect(storage.appliedSeq).toBe(covered + 2);
    // A checkpoint covering them prunes them from the log.
    store.checkpointFrequency = 1;
    store.setCheckpointSource(() => ({ seq: storage.appliedSeq, info: null }));
    await store.commitEpoch(2);
    await restart();
    expect([...storage.changesAfter(0)]).toEqual([]);
    expect(store.recovered?.seq).toBe(covered + 2);
  });

  it('requestCheckpoint forces the next commit to be a checkpoint', async () => {
    store.checkpointFrequency = 1000;
    store.table(1).write(1, 'a', [1]);
    const done = store.requestCheckpoint();
    await store.commitEpoch(1);
    expect((await done)?.epoch).toBe(1);
    await restart();
    expect(rows(store, 1)).toEqual([['a', [1]]]);
  });

  it('checkpoints by wall-clock time when barriers come late, and by count alone without an interval', async () => {
    store.checkpointFrequency = 1000;
    const t = store.table(1);
    let epoch = 0;
    const commitSlowly = async (n: number) => {
      for (let i = 0; i < n; i++) {
        t.write(++epoch, `k${epoch}`, [epoch]);
        await store.commitEpoch(epoch);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    // No interval: 12 slow epochs are far from 1,000 barriers, so none.
    await commitSlowly(12);
    expect(store.checkpointsTaken).toBe(0);
    // A 50 ms interval: a checkpoint at the first commit 50 ms after the last one started.
    store.checkpointIntervalMs = 50;
    await commitSlowly(12);
    expect(store.checkpointsTaken).toBeGreaterThanOrEqual(1);
    expect(store.checkpointsTaken).toBeLessThanOrEqual(3);
    await restart();
    // What is durable is a checkpoint's epoch: some of the keys written, up to it.
    const keys = rows(store, 1).map(([k]) => k);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys).toContain('k1');
  });

  it('a failed checkpoint (disk full) is reported and retried at the next commit; nothing is lost', async () => {
    store.checkpointFrequency = 1;
    const errors: string[] = [];
    store.onError = (m) => errors.push(m);
    store.table(1).write(1, 'a', [1]);
    vi.spyOn(Db.prototype, 'write').mockRejectedValueOnce(new Error('No space left on device'));
    await store.commitEpoch(1); // resolves: failures are reported, not thrown
    expect(store.lastError).toMatch(/checkpoint of epoch 1 failed: No space left on device/);
    expect(errors).toHaveLength(1);
    store.table(1).write(2, 'b', [2]);
    await store.commitEpoch(2);
    expect(store.lastError).toBeNull();
    await restart();
    expect(rows(store, 1)).toEqual([
      ['a', [1]],
      ['b', [2]],
    ]);
  });
});
