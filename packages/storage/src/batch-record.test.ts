import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bufferPool, encodeRow } from '@freshet/common';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchRecord } from './batch-record';
import { Db, type DbOp, WSEQ_KEY } from './db';

/** The ops of an encoded record, read back. */
function decoded(record: Buffer): DbOp[] {
  const ops: DbOp[] = [];
  BatchRecord.decode(record, (key, value) => ops.push(value === null ? { type: 'del', key } : { type: 'put', key, value }));
  return ops;
}

const text = (ops: DbOp[]) => ops.map((o) => (o.type === 'put' ? `put ${o.key.toString('latin1')}=${o.value.toString('hex')}` : `del ${o.key.toString('latin1')}`));

describe('BatchRecord', () => {
  it('encodes puts, deletes and state rows, in order', () => {
    const rec = new BatchRecord(16); // small: the buffer grows while rows are encoded
    const row = [1n, 'a long enough string value to make the buffer grow', 2.5, null, true];
    rec.put(Buffer.from('k/1'), Buffer.from([1, 2, 3]));
    rec.putRow(Buffer.from('s/7/'), 'key\u00ff\u0000', row);
    rec.del(Buffer.from('k/2'));
    rec.putRow(Buffer.from('s/7/'), 'gone', null);
    expect(rec.length).toBe(4);
    expect(text(decoded(rec.bytes()))).toEqual([
      'put k/1=010203',
      `put s/7/key\u00ff\u0000=${encodeRow(row).toString('hex')}`,
      'del k/2',
      'del s/7/gone',
    ]);
    const seen: string[] = [];
    rec.forEach({ put: (k, v) => seen.push(`put ${k.toString('latin1')}=${v.toString('hex')}`), del: (k) => seen.push(`del ${k.toString('latin1')}`) });
    expect(seen).toEqual(text(decoded(rec.bytes())));
  });

  it('replays its ops in slices, in order', async () => {
    const rec = new BatchRecord();
    for (let i = 0; i < 10; i++) rec.put(Buffer.from(`k${i}`), Buffer.from([i]));
    rec.del(Buffer.from('k3'));
    const seen: string[] = [];
    await rec.forEachSliced({ put: (k) => seen.push(`put ${k}`), del: (k) => seen.push(`del ${k}`) }, 3);
    expect(seen).toEqual([...Array.from({ length: 10 }, (_, i) => `put k${i}`), 'del k3']);
  });

  it('ends a slice early once it holds the byte budget', async () => {
    const rec = new BatchRecord();
    for (let i = 0; i < 10; i++) rec.put(Buffer.from(`k${i}`), Buffer.alloc(1000, i));
    // A turn counter the event loop advances between slices.
    let turn = 0;
    let done = false;
    const tick = () => {
      turn++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const turns: number[] = [];
    await rec.forEachSliced({ put: () => turns.push(turn), del: () => {} }, 100, 2500);
    done = true;
    const perSlice = [...new Set(turns)].map((t) => turns.filter((x) => x === t).length);
    // ~1,002 bytes an op: the third op crosses 2,500, so slices of 3 (the last holds 1).
    expect(perSlice).toEqual([3, 3, 3, 1]);
  });

  it('a pooled record gives its buffer back at recycle, and is left empty and usable', () => {
    const rec = BatchRecord.pooled(100);
    rec.put(Buffer.from('k'), Buffer.alloc(50, 1));
    const idle = bufferPool.idle.buffers;
    rec.recycle();
    expect(bufferPool.idle.buffers).toBe(idle + 1);
    expect(rec.length).toBe(0);
    // The buffer given back is the next borrower's: writing to the old record must not touch it.
    const lent = bufferPool.take(100);
    lent.fill(0xaa);
    rec.put(Buffer.from('again'), Buffer.alloc(300, 2));
    expect(lent.every((b) => b === 0xaa)).toBe(true);
    expect(text(decoded(rec.bytes()))).toEqual([`put again=${'02'.repeat(300)}`]);
    rec.recycle(); // no longer the pool's: nothing is given back
    expect(bufferPool.idle.buffers).toBe(idle);
  });

  it('a recycled record and the next pooled one never share their op marks', () => {
    const replayed = (rec: BatchRecord) => {
      const seen: string[] = [];
      rec.forEach({ put: (k) => seen.push(`put ${k.toString('latin1')}`), del: (k) => seen.push(`del ${k.toString('latin1')}`) });
      return seen;
    };
    const first = BatchRecord.pooled(64);
    for (let i = 0; i < 200; i++) first.put(Buffer.from(`a${i}`), Buffer.from('x')); // grows its marks
    first.recycle();
    const second = BatchRecord.pooled(64); // may get the first's marks
    second.put(Buffer.from('b0'), Buffer.from('y'));
    second.del(Buffer.from('b1'));
    // The recycled record, used again, must grow marks of its own.
    for (let i = 0; i < 5; i++) first.del(Buffer.from(`c${i}`));
    expect(replayed(second)).toEqual(['put b0', 'del b1']);
    expect(text(decoded(second.bytes()))).toEqual(['put b0=79', 'del b1']);
    expect(replayed(first)).toEqual(['del c0', 'del c1', 'del c2', 'del c3', 'del c4']);
    second.recycle();
  });

  it('clear removes every op and keeps the record usable', () => {
    const rec = new BatchRecord(16);
    rec.put(Buffer.from('a'), Buffer.from('1'));
    rec.clear();
    expect(rec.length).toBe(0);
    expect(rec.putBytes).toBe(0);
    rec.del(Buffer.from('b'));
    expect(text(decoded(rec.bytes()))).toEqual(['del b']);
  });

  it('replays only the ops since the last clear, after growing its marks, and writes lengths past 2^16', () => {
    const rec = new BatchRecord(16);
    const replayed = () => {
      const seen: string[] = [];
      rec.forEach({ put: (k, v) => seen.push(`put ${k.toString('latin1')}=${v.toString('hex')}`), del: (k) => seen.push(`del ${k.toString('latin1')}`) });
      return seen;
    };
    for (let i = 0; i < 1000; i++) {
      if (i % 3 === 0) rec.del(Buffer.from(`d${i}`));
      else rec.putRow(Buffer.from('s/1/'), `r${i}`, [BigInt(i)]);
    }
    expect(rec.length).toBe(1000);
    expect(replayed()).toEqual(text(decoded(rec.bytes())));
    rec.clear();
    const bigKey = 'k'.repeat(70_000);
    const bigRow = ['v'.repeat(300_000)];
    rec.putRow(Buffer.alloc(0), bigKey, bigRow);
    rec.put(Buffer.from('x'), Buffer.alloc(65_537, 7));
    rec.putRow(Buffer.alloc(0), 'gone', null);
    expect(rec.length).toBe(3);
    expect(replayed()).toEqual(text(decoded(rec.bytes())));
    expect(text(decoded(rec.bytes()))).toEqual([`put ${bigKey}=${encodeRow(bigRow).toString('hex')}`, `put x=${'07'.repeat(65_537)}`, 'del gone']);
  });

  it('appends another record after its own ops', () => {
    const a = new BatchRecord();
    a.del(Buffer.from('x'));
    const b = new BatchRecord();
    b.put(Buffer.from('y'), Buffer.from('1'));
    a.append(b);
    expect(text(decoded(a.bytes()))).toEqual(['del x', 'put y=31']);
  });
});

describe('Db.write with a record', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes every op to LevelDB, numbered by a sequence number put in the same batch', async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-batch-'));
    const db = new Db(dir);
    await db.open();
    await db.write([{ type: 'put', key: Buffer.from('a'), value: Buffer.from('1') }]);
    const rec = new BatchRecord();
    rec.putRow(Buffer.from('s/1/'), 'r', ['v']);
    rec.del(Buffer.from('a'));
    await db.write(rec);
    expect(await db.level.get(Buffer.from('a'))).toBeUndefined();
    expect((await db.level.get(Buffer.from('s/1/r')))?.equals(encodeRow(['v']))).toBe(true);
    expect(db.wseq).toBe(2);
    expect((await db.level.get(WSEQ_KEY))?.readBigUInt64BE(0)).toBe(2n);
    expect(db.writtenBytes).toBeGreaterThan(rec.byteLength);
    await db.close();
  });

  it('recycles pooled records once written, and no batch sees another reuse its buffer', async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-batch-'));
    const db = new Db(dir);
    await db.open();
    // Many writes in flight at once, each from the pool, with contents of its own: a buffer
    // lent again before LevelDB had its batch would show up as another batch's bytes.
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const rec = BatchRecord.pooled(64);
      for (let j = 0; j < 20; j++) rec.putRow(Buffer.from('s/9/'), `r${i}/${j}`, [BigInt(i), `value ${i}.${j}`.repeat(1 + (i % 7))]);
      writes.push(db.write(rec, { mayBeOvertaken: i % 3 === 0 }));
      expect(rec.length).toBe(20); // recycled only once written
    }
    await Promise.all(writes);
    expect(bufferPool.idle.buffers).toBeGreaterThan(0);
    for (let i = 0; i < 200; i++) {
      for (let j = 0; j < 20; j++) {
        const v = await db.level.get(Buffer.from(`s/9/r${i}/${j}`));
        expect(v?.equals(encodeRow([BigInt(i), `value ${i}.${j}`.repeat(1 + (i % 7))]))).toBe(true);
      }
    }
    await db.close();
  });
});
