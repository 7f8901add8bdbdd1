/**
 * Under the durable store (MemStateStore.trackPublished) each publish records its entries,
 * once each, with their values as of the published epoch, until the next checkpoint takes
 * them. With checkpoints far apart that must not grow with every write, and a take must
 * give every key's value as of the committed epoch even when later epochs, written but not
 * yet committed, have changed it.
 */
import { describe, expect, it } from 'vitest';
import { MemStateStore } from './mem-store';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * What a checkpoint would write of one table from takePublished, key → committed row (null:
 * deleted), applied in order as LevelDB's batch applies them: a key deleted (its entry
 * dropped) and written again is reported twice, the later one winning.
 */
function taken(store: MemStateStore, id: number): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const p of store.takePublished()) if (p.tableId === id) for (let i = 0; i < p.keys.length; i++) out.set(p.keys[i], p.rows[i]);
  return out;
}

const key = (i: number) => `k${String(i).padStart(6, '0')}`;

describe('published logs between checkpoints', () => {
  it('stay within about twice the table when keys are rewritten in every epoch, and take the same keys and values', async () => {
    const store = new MemStateStore();
    store.trackPublished();
    const t = store.table(1);
    const r = rng(3);
    const last = new Map<string, unknown>();
    let epoch = 0;
    let most = 0;
    // 300 epochs over 1,000 keys, 500 writes each: 150,000 published entries unmerged.
    for (let e = 0; e < 300; e++) {
      epoch++;
      for (let w = 0; w < 500; w++) {
        const k = key(Math.floor(r() * 1000));
        const row = r() < 0.1 ? null : [e, w];
        t.write(epoch, k, row);
        last.set(k, row);
      }
      await store.commitEpoch(epoch);
      most = Math.max(most, (t as unknown as { publishedEntries: number }).publishedEntries);
    }
    expect(most).toBeLessThanOrEqual((1 << 16) + 500);
    expect(taken(store, 1)).toEqual(last);
  });

  it('drop deletes below a segmented table’s low water, which a checkpoint skips anyway', async () => {
    const store = new MemStateStore();
    store.trackPublished();
    const t = store.table(2);
    t.declareSegmented();
    let epoch = 0;
    // A window: each epoch adds 1,000 new keys and expires those 10 epochs old.
    for (let e = 0; e < 200; e++) {
      epoch++;
      for (let i = 0; i < 1000; i++) t.write(epoch, key(e * 1000 + i), [e, i]);
      if (e >= 10) {
        for (let i = 0; i < 1000; i++) t.write(epoch, key((e - 10) * 1000 + i), null);
        t.expireBelow(epoch, key((e - 9) * 1000));
      }
      await store.commitEpoch(epoch);
    }
    const published = (t as unknown as { publishedEntries: number }).publishedEntries;
    // 390,000 entries unmerged; the live 10,000 rows and the deletes since the last merge.
    expect(published).toBeLessThanOrEqual((1 << 16) + 2000);
    const got = taken(store, 2);
    for (let i = 190_000; i < 200_000; i++) expect(got.get(key(i))).toEqual([Math.floor(i / 1000), i % 1000]);
    for (const [k, v] of got) if (k < key(190_000)) expect(v).toBeNull();
  });

  it('take each key as of the committed epoch while later epochs are written ahead of the commits', async () => {
    const store = new MemStateStore();
    store.trackPublished();
    const t = store.table(3);
    const r = rng(9);
    // The reference: each epoch's writes; the expected take is every key written in an
    // epoch since the last take, with its value at the end of the committed epoch.
    const writes: { epoch: number; key: string; row: unknown }[] = [];
    let committed = 0;
    let lastTake = 0;
    let written = 0;
    const valueAt = (k: string, epoch: number) => {
      let v: unknown;
      for (const w of writes) if (w.key === k && w.epoch <= epoch) v = w.row;
      return v ?? null;
    };
    for (let step = 0; step < 400; step++) {
      const u = r();
      if (u < 0.6 || written === committed) {
        // Write ahead: the next epoch or the one after the last written (commits lag up to 3).
        const epoch = Math.min(committed + 3, Math.max(written, committed + 1) + (r() < 0.3 ? 1 : 0));
        written = Math.max(written, epoch);
        for (let w = 0; w < 5; w++) {
          const k = key(Math.floor(r() * 40));
          const row = r() < 0.2 ? null : [epoch, step, w];
          t.write(epoch, k, row);
          // A delete of a key the store holds no entry for (never written, or deleted in a
          // published epoch) changes nothing and is not recorded; any other write is.
          const last = writes.findLast((x) => x.key === k);
          if (row !== null || (last !== undefined && (last.row !== null || last.epoch > committed))) writes.push({ epoch, key: k, row });
        }
      } else if (u < 0.9) {
        committed++;
        await store.commitEpoch(committed);
      } else {
        const want = new Map<string, unknown>();
        for (const w of writes) if (w.epoch > lastTake && w.epoch <= committed) want.set(w.key, valueAt(w.key, committed));
        expect(taken(store, 3)).toEqual(want);
        lastTake = committed;
      }
    }
  });

  it('take dense arrays of exactly the round’s entries whatever the size of the round before', async () => {
    // Each round's arrays are allocated at the last take's size and filled by index: a
    // smaller round must not hand out the rest of them (holes), a larger one must grow them,
    // and one past the allocation bound must still be whole.
    const store = new MemStateStore();
    store.trackPublished();
    const t = store.table(4);
    let epoch = 0;
    const lastRound = new Map<string, number>();
    for (const size of [5000, 10, 0, 3000, 140_000, 7, 2500]) {
      epoch++;
      for (let i = 0; i < size; i++) t.write(epoch, key(i), [epoch, i]);
      await store.commitEpoch(epoch);
      const [p] = store.takePublished().filter((x) => x.tableId === 4);
      if (size === 0) {
        expect(p === undefined || p.keys.length === 0).toBe(true);
        continue;
      }
      for (const arr of [p.keys, p.rows, p.prevRounds, p.handles!]) {
        expect(arr.length).toBe(size);
        // No holes: every slot was written.
        expect(Object.keys(arr).length).toBe(size);
      }
      for (let i = 0; i < size; i++) {
        expect(p.keys[i]).toBe(key(i));
        expect(p.rows[i]).toEqual([epoch, i]);
        expect(p.prevRounds[i]).toBe(lastRound.get(p.keys[i]) ?? 0);
      }
      for (const k of p.keys) lastRound.set(k, p.round);
    }
  });
});
