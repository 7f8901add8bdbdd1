import { describe, expect, it } from 'vitest';
import { T } from '../types';
import { ByteWriter, latin1 } from './byte-writer';
import { decodeKey, encodeKey, encodeKeyString } from './key';
import { decodeRow, encodeRow, packRow, unpackRow } from './value';

describe('latin1 (short keys built in JS)', () => {
  it('equals Buffer latin1 decoding for every length, every byte value', () => {
    const buf = Buffer.alloc(64);
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < buf.length; i++) buf[i] = (round * 97 + i * 31) & 0xff;
      if (round === 0) buf.fill(0xff);
      if (round === 1) buf.fill(0);
      for (let n = 0; n <= buf.length; n++) expect(latin1(buf, n)).toBe(buf.toString('latin1', 0, n));
    }
  });

  it('ByteWriter.toLatin1 and encodeKeyString keep byte order and round-trip the key', () => {
    const w = new ByteWriter(4);
    for (let i = 0; i < 20; i++) w.u8(200 + i);
    expect(w.toLatin1()).toBe(Buffer.from(w.buf.subarray(0, w.len)).toString('latin1'));
    const ints = [-(2n ** 63n), -1n, 0n, 1n, 255n, 256n, 2n ** 63n - 1n];
    const keys = ints.map((v) => encodeKeyString([T.Int64], [v]));
    expect(keys.every((k) => k.length === 9)).toBe(true);
    expect([...keys].sort()).toEqual(keys);
    for (let i = 0; i < ints.length; i++) {
      expect(keys[i]).toBe(encodeKey([T.Int64], [ints[i]]).toString('latin1'));
      expect(decodeKey([T.Int64], Buffer.from(keys[i], 'latin1'))).toEqual([ints[i]]);
    }
    // Two 8-byte columns (18 bytes) and one int32 (5 bytes): the other specialised lengths.
    const pair = encodeKeyString([T.Timestamptz, T.Int64], [1.7e15, 42n]);
    expect(pair).toBe(encodeKey([T.Timestamptz, T.Int64], [1.7e15, 42n]).toString('latin1'));
    expect(pair.length).toBe(18);
    expect(encodeKeyString([T.Int32], [-5])).toBe(encodeKey([T.Int32], [-5]).toString('latin1'));
  });
});

describe('strings in the value codec (ASCII written by a JS loop)', () => {
  const cases = ['', 'a', 'click', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(200), 'héllo', 'ü'.repeat(40), '日本', 'emoji 😀', '\u0000\u007f', 'tab\there'];

  it('ByteWriter.latin1Chars writes an ASCII string as its UTF-8 bytes, and latin1 as latin1', () => {
    const w = new ByteWriter(2);
    for (const s of ['', 'click', '\u0000\u007f~', 'q'.repeat(300)]) {
      w.reset();
      w.u8(7);
      w.latin1Chars(s);
      expect(Buffer.from(w.buf.subarray(0, w.len))).toEqual(Buffer.concat([Buffer.from([7]), Buffer.from(s, 'utf8')]));
    }
    const key = '\u0000\u00ff\u0080s/';
    w.reset();
    w.latin1Chars(key);
    expect(Buffer.from(w.buf.subarray(0, w.len))).toEqual(Buffer.from(key, 'latin1'));
  });

  it('rows round-trip, and each string is stored as its UTF-8 bytes after the length', () => {
    for (const s of cases) {
      const row = [s, 1n, s, null];
      expect(decodeRow(encodeRow(row))).toEqual(row);
      expect(unpackRow(packRow(row))).toEqual(row);
      const bytes = encodeRow([s]);
      expect(bytes.subarray(bytes.length - Buffer.byteLength(s, 'utf8')).toString('utf8')).toBe(s);
    }
  });
});
