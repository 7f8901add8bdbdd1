import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchRecord } from './batch-record';
import { Db } from './db';

/** Every batch also writes this key with its own name: its value at the end names the batch LevelDB applied last. */
const LAST = Buffer.from('o/last');

/** A batch of `n` puts `<prefix><i>` (enough ops to be handed to LevelDB over several turns of the event loop). */
function bigBatch(prefix: string, n: number): BatchRecord {
  const rec = new BatchRecord(n * 24);
  for (let i = 0; i < n; i++) rec.put(Buffer.from(`${prefix}${String(i).padStart(6, '0')}`), Buffer.from('v'));
  rec.put(LAST, Buffer.from(prefix));
  return rec;
}

const small = (key: string) => [
  { type: 'put' as const, key: Buffer.from(key), value: Buffer.from('1') },
  { type: 'put' as const, key: LAST, value: Buffer.from(key.slice(0, 2)) },
];

describe('Db.write order', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<Db> {
    dir = mkdtempSync(join(tmpdir(), 'freshet-db-order-'));
    const db = new Db(dir);
    await db.open();
    return db;
  }

  /** The prefix of the batch LevelDB applied last. */
  const appliedLast = async (db: Db) => (await db.level.get(LAST))?.toString();

  it('lets a batch issued later go first while a batch that may be overtaken is still being filled', async () => {
    const db = await open();
    const done: string[] = [];
    const big = db.write(bigBatch('s/', 40_000), { mayBeOvertaken: true }).then(() => done.push('big'));
    const dml = db.write(small('t/1')).then(() => done.push('dml'));
    await Promise.all([big, dml]);
    expect(done).toEqual(['dml', 'big']);
    expect(await appliedLast(db)).toBe('s/');
    expect(db.wseq).toBe(2);
    expect((await db.level.get(Buffer.from('s/039999')))?.toString()).toBe('v');
    await db.close();
  });

  it('keeps call order otherwise: a later batch waits for an earlier one being filled', async () => {
    const db = await open();
    const done: string[] = [];
    const big = db.write(bigBatch('s/', 40_000)).then(() => done.push('big'));
    const dml = db.write(small('t/1')).then(() => done.push('dml'));
    await Promise.all([big, dml]);
    expect(done).toEqual(['big', 'dml']);
    expect(await appliedLast(db)).toBe('t/');
    await db.close();
  });

  it('never lets a batch that may be overtaken go before batches issued earlier', async () => {
    const db = await open();
    const done: string[] = [];
    const first = db.write(bigBatch('t/', 40_000)).then(() => done.push('first'));
    const ckpt = db.write(small('s/1'), { mayBeOvertaken: true }).then(() => done.push('ckpt'));
    await Promise.all([first, ckpt]);
    expect(done).toEqual(['first', 'ckpt']);
    expect(await appliedLast(db)).toBe('s/');
    await db.close();
  });

  it('close waits for a batch still being filled, and its ops are durable', async () => {
    const db = await open();
    const big = db.write(bigBatch('s/', 40_000), { mayBeOvertaken: true });
    await db.close();
    await big;
    const again = new Db(dir);
    await again.open();
    expect(again.wseq).toBe(1);
    expect((await again.level.get(Buffer.from('s/012345')))?.toString()).toBe('v');
    await again.close();
  });
});

describe('Db.write of a record through reused buffers', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores every key and value exactly, whatever their lengths (keys and values of equal length, long values, deletes)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-db-reuse-'));
    const db = new Db(dir);
    await db.open();
    const expected = new Map<string, string | null>();
    const rec = new BatchRecord();
    for (let i = 0; i < 20_000; i++) {
      // 9-byte keys with 9-byte values (a key and a value of one op share a length), and
      // values of every length up to past the reused sizes.
      const key = `k/${String(i).padStart(7, '0')}`;
      const value = i % 3 === 0 ? `v${String(i).padStart(8, '0')}` : `${i}:`.repeat(1 + (i % 97)).slice(0, 1 + ((i * 7) % 400));
      rec.put(Buffer.from(key, 'latin1'), Buffer.from(value, 'latin1'));
      expected.set(key, value);
    }
    for (let i = 0; i < 20_000; i += 5) {
      const key = `k/${String(i).padStart(7, '0')}`;
      rec.del(Buffer.from(key, 'latin1'));
      expected.set(key, null);
    }
    await db.write(rec);
    const stored = new Map<string, string>();
    for await (const [k, v] of db.level.iterator({ gte: Buffer.from('k/'), lt: Buffer.from('k0') })) stored.set(k.toString('latin1'), v.toString('latin1'));
    for (const [k, v] of expected) expect(stored.get(k), k).toBe(v ?? undefined);
    expect(stored.size).toBe([...expected.values()].filter((v) => v !== null).length);
    await db.close();
  });

  it('an iterator reads as many entries as asked for per read, not 16 KiB of them (classic-level default)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-db-read-'));
    const db = new Db(dir);
    await db.open();
    const rec = new BatchRecord(6000 * 120);
    for (let i = 0; i < 6000; i++) rec.put(Buffer.from(`s/1/${String(i).padStart(6, '0')}`), Buffer.alloc(100, 1));
    await db.write(rec);
    const it = db.iterator({ gte: Buffer.from('s/'), lt: Buffer.from('s0') });
    try {
      expect((await it.nextv(5000)).length).toBe(5000); // ~550 KB: one read
      expect((await it.nextv(5000)).length).toBe(1000);
    } finally {
      await it.close();
    }
    await db.close();
  });
});
