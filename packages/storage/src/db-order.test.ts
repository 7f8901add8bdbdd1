import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A new data dir, removed after the test. */
function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-db-write-'));
  dirs.push(dir);
  return dir;
}

/** A Db open on `dataDir` (a new one unless given). */
async function open(dataDir = newDir()): Promise<Db> {
  const db = new Db(dataDir);
  await db.open();
  return db;
}

describe('Db.write order', () => {
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
    const dir = newDir();
    const db = await open(dir);
    const big = db.write(bigBatch('s/', 40_000), { mayBeOvertaken: true });
    await db.close();
    await big;
    const again = await open(dir);
    expect(again.wseq).toBe(1);
    expect((await again.level.get(Buffer.from('s/012345')))?.toString()).toBe('v');
    await again.close();
  });
});

describe('Db.write of a record through reused buffers', () => {
  it('stores every key and value exactly, whatever their lengths (keys and values of equal length, long values, deletes)', async () => {
    const db = await open();
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
    const db = await open();
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

/** A batch of 6 MiB: past the 4 MiB after which `Db.write` considers a flush. */
function sixMiBBatch(): BatchRecord {
  const rec = new BatchRecord(7 << 20);
  const value = Buffer.alloc(6 << 10, 7);
  for (let i = 0; i < 1024; i++) rec.put(Buffer.from(`b/${String(i).padStart(5, '0')}`), value);
  return rec;
}

/**
 * Bytes of LevelDB's write-ahead log files: what the next open would replay. LevelDB deletes
 * a log once its memtable is flushed, possibly between the listing and the stat: it then
 * holds nothing to replay.
 */
function walBytes(db: Db): number {
  return readdirSync(db.location)
    .filter((f) => f.endsWith('.log'))
    .reduce((n, f) => n + (statSync(join(db.location, f), { throwIfNoEntry: false })?.size ?? 0), 0);
}

/** Waits until the log holds less than `bytes` (the memtable was flushed), failing after 10 s. */
async function logBelow(db: Db, bytes: number): Promise<void> {
  const until = Date.now() + 10_000;
  while (walBytes(db) >= bytes) {
    if (Date.now() > until) throw new Error(`the write-ahead log still holds ${walBytes(db)} bytes`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * LevelDB does not flush its memtable at close, nor a full one before the next write: a batch
 * bigger than the memtable (a big checkpoint) stays in the write-ahead log until then, and a
 * crash replays all of it at the next open. `Db.write` flushes after such a batch when
 * nothing else is in flight; with other batches in flight it leaves the switch to their writes.
 */
describe('Db.write: the memtable after a batch bigger than it', () => {
  it('is flushed when the batch was the only one in flight, so a crash would replay nothing of it', async () => {
    const db = await open();
    const flush = vi.spyOn(db, 'flushMemtable');
    await db.write(sixMiBBatch());
    expect(flush).toHaveBeenCalledTimes(1);
    await logBelow(db, 1 << 20);
    await db.close();
  });

  it('is left to the next write when another batch is in flight, and that write switches memtables by itself', async () => {
    const db = await open();
    const flush = vi.spyOn(db, 'flushMemtable');
    const big = db.write(sixMiBBatch());
    const next = db.write([{ type: 'put', key: Buffer.from('s/1'), value: Buffer.from('x') }]);
    await big;
    expect(flush).not.toHaveBeenCalled();
    await next;
    // The small write found the memtable over its size and switched it: the big batch's log goes once flushed.
    await logBelow(db, 1 << 20);
    // The small write was the only one in flight when it finished, but it was not big.
    expect(flush).not.toHaveBeenCalled();
    await db.close();
  });
});
