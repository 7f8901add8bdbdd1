import { describe, expect, it } from 'vitest';
import { BufferPool } from './buffer-pool';
import { ByteWriter } from './byte-writer';
import { decodeRow, encodeRow, packRow, writeRow } from './value';

describe('BufferPool', () => {
  it('lends new buffers in powers of two, at least 4 KiB', () => {
    const pool = new BufferPool();
    expect(pool.take(1).length).toBe(4096);
    expect(pool.take(4097).length).toBe(8192);
    expect(pool.take(1 << 20).length).toBe(1 << 20);
    expect(pool.idle).toEqual({ buffers: 0, bytes: 0 });
  });

  it('lends the shortest idle buffer that fits, and keeps a far longer one for a big borrower', () => {
    const pool = new BufferPool();
    const small = Buffer.allocUnsafeSlow(8192);
    const mid = Buffer.allocUnsafeSlow(65536);
    const big = Buffer.allocUnsafeSlow(16 << 20);
    pool.give(big);
    pool.give(small);
    pool.give(mid);
    expect(pool.idle).toEqual({ buffers: 3, bytes: 8192 + 65536 + (16 << 20) });
    expect(pool.take(5000)).toBe(small);
    expect(pool.take(5000)).toBe(mid); // 65,536 ≤ 8 × 5,000 + 256 KiB
    // Only the 16 MiB one is left: a 100-byte borrower gets a new buffer instead.
    const fresh = pool.take(100);
    expect(fresh).not.toBe(big);
    expect(fresh.length).toBe(4096);
    expect(pool.take(3 << 20)).toBe(big);
    expect(pool.idle).toEqual({ buffers: 0, bytes: 0 });
  });

  it('keeps at most perClass idle buffers per size class, so large ones do not push small ones out', () => {
    const pool = new BufferPool(2, 100 << 20);
    const small = [0, 1, 2].map(() => Buffer.allocUnsafeSlow(65536));
    const big = [0, 1, 2].map(() => Buffer.allocUnsafeSlow(16 << 20));
    for (const b of small) pool.give(b);
    for (const b of big) pool.give(b);
    // Two of each class: the third of each went to the GC, whatever came after it.
    expect(pool.idle).toEqual({ buffers: 4, bytes: 2 * 65536 + 2 * (16 << 20) });
    const lent = new Set([pool.take(40_000), pool.take(40_000)]);
    expect(lent).toEqual(new Set(small.slice(0, 2)));
    const fresh = pool.take(40_000);
    expect(fresh.length).toBe(65536); // a new one: neither big one is lent
    expect(big).not.toContain(fresh);
    expect(pool.idle.buffers).toBe(2);
  });

  it('lends a buffer of the class below when it is long enough', () => {
    const pool = new BufferPool();
    const odd = Buffer.allocUnsafeSlow(6000); // class 4096–8191
    pool.give(odd);
    expect(pool.take(6001)).not.toBe(odd);
    expect(pool.take(5000)).toBe(odd);
  });

  it('keeps at most maxBytes idle, dropping the shortest; never one above maxBytes', () => {
    const pool = new BufferPool(8, 100_000);
    const a = Buffer.allocUnsafeSlow(10_000);
    const b = Buffer.allocUnsafeSlow(20_000);
    const c = Buffer.allocUnsafeSlow(30_000);
    pool.give(a);
    pool.give(c);
    pool.give(b);
    expect(pool.idle).toEqual({ buffers: 3, bytes: 60_000 });
    pool.give(Buffer.allocUnsafeSlow(70_000));
    expect(pool.idle).toEqual({ buffers: 2, bytes: 100_000 }); // a and b went
    pool.give(Buffer.allocUnsafeSlow(100_001));
    pool.give(Buffer.alloc(0));
    expect(pool.idle).toEqual({ buffers: 2, bytes: 100_000 });
    expect(pool.take(25_000)).toBe(c);
    // A lower cap drops idle buffers at once, shortest first.
    pool.give(Buffer.allocUnsafeSlow(10_000));
    pool.setMaxBytes(75_000);
    expect(pool.idle).toEqual({ buffers: 1, bytes: 70_000 });
  });

  it('gives a borrower past 1 GiB a buffer of its own size, and never keeps one', () => {
    const pool = new BufferPool(8, 2 ** 31);
    pool.give(Buffer.allocUnsafeSlow(4096));
    const size = 2 ** 30 + 10; // rounded up, it would be 2 GiB
    const lent = pool.take(size);
    expect(lent.length).toBe(size);
    pool.give(lent);
    expect(pool.idle).toEqual({ buffers: 1, bytes: 4096 });
  });
});

describe('ByteWriter with a pool', () => {
  it('borrows a bigger buffer as it grows, keeps the bytes, and gives the outgrown one back', () => {
    const pool = new BufferPool();
    const first = pool.take(16);
    const w = new ByteWriter(first, pool);
    const bytes = Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff);
    for (const b of bytes) w.u8(b);
    expect(w.buf).not.toBe(first);
    expect([...w.buf.subarray(0, w.len)]).toEqual(bytes);
    // 4 KiB, then 8 KiB, then 16 KiB: the two outgrown ones are idle in the pool.
    expect(w.buf.length).toBe(16384);
    expect(pool.idle).toEqual({ buffers: 2, bytes: 4096 + 8192 });
    expect(pool.take(4000)).toBe(first);
  });

  it('detach hands the buffer over; later writes never touch it', () => {
    const w = new ByteWriter(64);
    w.u8(1);
    const b = w.detach();
    const before = Buffer.from(b);
    expect(w.len).toBe(0);
    for (let i = 0; i < 200; i++) w.u8(9);
    expect(b.equals(before)).toBe(true);
    expect(w.buf.subarray(0, w.len).every((x) => x === 9)).toBe(true);
  });
});

describe('writeRow', () => {
  it('appends a row and a packed row as the same bytes encodeRow makes', () => {
    const row = [1n, 'é text', 2.5, null, true, -7];
    const w = new ByteWriter(1);
    w.u8(0xaa);
    writeRow(w, row);
    writeRow(w, packRow(row));
    const one = encodeRow(row);
    expect(w.len).toBe(1 + 2 * one.length);
    expect(w.buf.subarray(1, 1 + one.length).equals(one)).toBe(true);
    expect(decodeRow(w.buf.subarray(1 + one.length, w.len))).toEqual(row);
  });
});
