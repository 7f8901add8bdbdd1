/**
 * LevelDB does not flush its memtable at close or on its own: a batch bigger than the
 * memtable (a big checkpoint) stays in the write-ahead log until the next write, and a crash
 * replays all of it at the next open. `Db.write` flushes after such a batch when nothing else
 * is in flight; with other batches in flight it leaves the switch to their writes.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchRecord } from './batch-record';
import { Db } from './db';

/** A batch of 6 MiB: past the 4 MiB after which `Db.write` considers a flush. */
function bigBatch(): BatchRecord {
  const rec = new BatchRecord(7 << 20);
  const value = Buffer.alloc(6 << 10, 7);
  for (let i = 0; i < 1024; i++) rec.put(Buffer.from(`b/${String(i).padStart(5, '0')}`), value);
  return rec;
}

/** Bytes of LevelDB's write-ahead log files: what the next open would replay. */
function walBytes(db: Db): number {
  return readdirSync(db.location)
    .filter((f) => f.endsWith('.log'))
    .reduce((n, f) => n + statSync(join(db.location, f)).size, 0);
}

/** Waits until the log holds less than `bytes` (the memtable was flushed), failing after 10 s. */
async function logBelow(db: Db, bytes: number): Promise<void> {
  const until = Date.now() + 10_000;
  while (walBytes(db) >= bytes) {
    if (Date.now() > until) throw new Error(`the write-ahead log still holds ${walBytes(db)} bytes`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Db: the memtable after a batch bigger than it', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<Db> {
    dir = mkdtempSync(join(tmpdir(), 'freshet-db-flush-'));
    const db = new Db(dir);
    await db.open();
    return db;
  }

  it('is flushed when the batch was the only one in flight, so a crash would replay nothing of it', async () => {
    const db = await open();
    const flush = vi.spyOn(db, 'flushMemtable');
    await db.write(bigBatch());
    expect(flush).toHaveBeenCalledTimes(1);
    await logBelow(db, 1 << 20);
    await db.close();
  });

  it('is left to the next write when another batch is in flight, and that write switches memtables by itself', async () => {
    const db = await open();
    const flush = vi.spyOn(db, 'flushMemtable');
    const big = db.write(bigBatch());
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
