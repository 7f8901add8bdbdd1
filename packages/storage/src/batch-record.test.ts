import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRow } from '@freshet/common';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchRecord } from './batch-record';
import { Db, type DbOp, WSEQ_KEY } from './db';
import { objectBatches } from './object-store/format';

/** The ops of a record as the object store reads them back from a delta object. */
function decoded(record: Buffer): DbOp[] {
  const body = Buffer.concat([Buffer.from('FRSHOBJ1D'), record]);
  const batches = [...objectBatches({ key: 'd', kind: 'delta', size: body.length, sha256: '' }, body)];
  expect(batches).toHaveLength(1);
  return batches[0];
}

const text = (ops: DbOp[]) => ops.map((o) => (o.type === 'put' ? `put ${o.key.toString('latin1')}=${o.value.toString('hex')}` : `del ${o.key.toString('latin1')}`));

describe('BatchRecord', () => {
  it('encodes puts, deletes and state rows in the delta record format, in order', () => {
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

  it('writes every op to LevelDB and hands the listener the same record with the sequence number', async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-batch-'));
    const db = new Db(dir);
    await db.open();
    const records: [number, Buffer][] = [];
    db.setListener((wseq, record) => records.push([wseq, Buffer.from(record)]));
    await db.write([{ type: 'put', key: Buffer.from('a'), value: Buffer.from('1') }]);
    const rec = new BatchRecord();
    rec.putRow(Buffer.from('s/1/'), 'r', ['v']);
    rec.del(Buffer.from('a'));
    await db.write(rec);
    expect(await db.level.get(Buffer.from('a'))).toBeUndefined();
    expect((await db.level.get(Buffer.from('s/1/r')))?.equals(encodeRow(['v']))).toBe(true);
    expect(db.wseq).toBe(2);
    expect(records.map(([w]) => w)).toEqual([1, 2]);
    const last = decoded(records[1][1]);
    expect(text(last).slice(0, 2)).toEqual([`put s/1/r=${encodeRow(['v']).toString('hex')}`, 'del a']);
    expect(last[2].key.equals(WSEQ_KEY)).toBe(true);
    await db.close();
  });
});
