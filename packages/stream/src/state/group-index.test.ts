/**
 * A prefix-read table (StoreTable.declarePrefixReads: its order kept group by group) answers
 * every range read exactly as a plain table given the same writes: each group's range, in
 * both directions, its first key, the committed view mid-epoch, and ranges across groups.
 * Groups grow past the array size, and NULL group keys change the prefix's length.
 */
import { type Datum, T, encodeKeyString } from '@freshet/common';
import { Prng } from '@freshet/testkit';
import { describe, expect, it } from 'vitest';
import { MemStateStore } from './mem-store';
import { GroupIndex } from './group-index';
import { StateTable, prefixEnd } from './state-table';

// (group BIGINT NULL, value TIMESTAMPTZ DESC): a MAX multiset's layout.
const types = [T.Int64, T.Timestamptz, T.Int64];
const groupTypes = [T.Int64];
const orders = [{}, { desc: true }];

function tables(store: MemStateStore): { plain: StateTable; grouped: StateTable } {
  const plain = new StateTable(store, { tableId: 1, types, pk: [0, 1], orders });
  const grouped = new StateTable(store, { tableId: 2, types, pk: [0, 1], orders }).declarePrefixReads(1);
  return { plain, grouped };
}

function groupKey(g: Datum): string {
  return encodeKeyString(groupTypes, [g]);
}

/** Every read a group's owner makes, and a scan across groups, from both tables. */
function readsAgree(store: MemStateStore, plain: StateTable, grouped: StateTable, groups: readonly Datum[]): void {
  for (const g of groups) {
    const k = groupKey(g);
    expect(grouped.keysWithPrefix(k)).toEqual(plain.keysWithPrefix(k));
    expect(grouped.firstKeyWithPrefix(k)).toEqual(plain.firstKeyWithPrefix(k));
    expect([...grouped.iterKeyPrefix(k, true)]).toEqual([...plain.iterKeyPrefix(k, true)]);
    expect([...grouped.iterPrefix([g])]).toEqual([...plain.iterPrefix([g])]);
  }
  expect([...grouped.scan()]).toEqual([...plain.scan()]);
  expect([...grouped.scanCommitted()]).toEqual([...plain.scanCommitted()]);
  // A range that is not one group's: from a group's first key on.
  const k = groupKey(groups[1]);
  const inGroup = (t: StateTable) => [...store.table(t.tableId).iter(`${k}\x01`, prefixEnd(k))];
  expect(inGroup(grouped)).toEqual(inGroup(plain));
}

describe('prefix-read state tables (GroupIndex)', () => {
  it('answer range reads as a plain table does, over random writes, deletes and epochs', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const rand = new Prng(seed);
      const store = new MemStateStore();
      const { plain, grouped } = tables(store);
      // Group 7 takes many values (past the array size); NULL is a group too.
      const groups: Datum[] = [null, 1n, 2n, 7n, -5n, 1n << 40n];
      const pick = () => (rand.bool() ? 7n : rand.pick(groups));
      let epoch = 1;
      for (let step = 0; step < 6000; step++) {
        const g = pick();
        const ts = rand.int(0, g === 7n ? 4000 : 50) * 1000;
        const existing = plain.get([g, ts]);
        const del = rand.bool(0.4);
        for (const t of [plain, grouped]) {
          if (existing !== undefined && del) t.delete([g, ts]);
          else if (existing !== undefined) t.update(existing, [g, ts, (existing[2] as bigint) + 1n]);
          else t.insert([g, ts, 1n]);
        }
        // Even seeds read first late, when group 7 is past the array size: the index is built big.
        if (step % 250 === 249 && (seed % 2 === 1 || step > 4000)) {
          // The committed view lags the working one here: reads of both are compared.
          readsAgree(store, plain, grouped, groups);
          plain.commit(epoch);
          grouped.commit(epoch);
          await store.commitEpoch(epoch++);
        }
      }
      readsAgree(store, plain, grouped, groups);
      expect(grouped.keysWithPrefix(groupKey(7n)).length).toBeGreaterThan(1024);
    }
  });

  it('read first, then written: the index built on the first read is kept up to date', async () => {
    const store = new MemStateStore();
    const { plain, grouped } = tables(store);
    for (const t of [plain, grouped]) for (let i = 0; i < 50; i++) t.insert([BigInt(i % 5), i * 1000, 1n]);
    readsAgree(store, plain, grouped, [0n, 1n, 2n]);
    for (const t of [plain, grouped]) {
      for (let i = 0; i < 50; i += 3) t.delete([BigInt(i % 5), i * 1000]);
      t.insert([9n, 5, 1n]);
    }
    readsAgree(store, plain, grouped, [0n, 1n, 9n]);
    // The group's newest value (largest time) is its first key: a MAX's answer.
    expect(grouped.firstKeyWithPrefix(groupKey(1n))).toBe(encodeKeyString([T.Int64, T.Timestamptz], [1n, 46_000], orders));
  });
});

describe('GroupIndex', () => {
  it('keeps a group of one key as the key, and moves between one key and several both ways', () => {
    const index = GroupIndex.of(() => 1, ['b2', 'a1']);
    const view = (p: string) => [index.first(p), index.keys(p), [...index.keysIn(p, false)], [...index.keysIn(p, true)]];
    expect(view('a')).toEqual(['a1', ['a1'], ['a1'], ['a1']]);
    index.insert('a0');
    index.insert('a0');
    expect(view('a')).toEqual(['a0', ['a0', 'a1'], ['a0', 'a1'], ['a1', 'a0']]);
    index.delete('a0');
    expect(view('a')).toEqual(['a1', ['a1'], ['a1'], ['a1']]);
    index.delete('a9');
    index.delete('a1');
    expect(view('a')).toEqual([undefined, [], [], []]);
    index.insert('a5');
    index.insert('a3');
    index.insert('a4');
    expect(index.keys('a')).toEqual(['a3', 'a4', 'a5']);
    expect(view('b')).toEqual(['b2', ['b2'], ['b2'], ['b2']]);
  });
});
