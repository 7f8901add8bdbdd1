import { describe, expect, it } from 'vitest';
import { T } from '../types';
import { Decimal } from '../decimal';
import { ByteReader, ByteWriter, latin1 } from './byte-writer';
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

/** LEB128 by BigInt arithmetic: the reference the writer's 32-bit fast path must equal. */
function leb128(n: number): Buffer {
  const out: number[] = [];
  let x = BigInt(n);
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return Buffer.from(out);
}

describe('uvarint (32-bit operations below 2^28, four groups split off above)', () => {
  const values: number[] = [];
  for (let k = 0; k <= 53; k++) for (const d of [-1, 0, 1]) if (2 ** k + d >= 0 && 2 ** k + d <= Number.MAX_SAFE_INTEGER) values.push(2 ** k + d);
  // µs timestamps and their zigzag, as rows hold them.
  for (let i = 0; i < 200; i++) values.push(1_795_494_108_000_000 + i * 7_919_003, 2 * 1_795_494_108_000_000 + i);

  it('writes LEB128 bytes at every power of two up to 2^53 − 1, and reads them back', () => {
    const w = new ByteWriter(2);
    for (const n of values) {
      w.reset();
      w.u8(0xaa);
      w.uvarint(n);
      expect(Buffer.from(w.buf.subarray(0, w.len)), String(n)).toEqual(Buffer.concat([Buffer.from([0xaa]), leb128(n)]));
      const r = new ByteReader(w.buf.subarray(1, w.len));
      expect(r.uvarint()).toBe(n);
    }
  });

  it('refuses an integer past 2^53 instead of writing past its reserve', () => {
    expect(() => new ByteWriter(16).uvarint(2 ** 60)).toThrow(/safe integer/);
  });
});

describe('strings under U+0800 in the value codec (two-byte UTF-8 written by a JS loop)', () => {
  it('stores each string as its UTF-8 bytes, every character up to U+0900 and lone surrogates', () => {
    const cases: string[] = ['\u07ff', '\u0800', 'a\u0800', '\ud800', 'x\udc00y', 'é'.repeat(63), 'é'.repeat(64)];
    for (let c = 0; c < 0x900; c += 7) cases.push(String.fromCharCode(c) + 'k' + String.fromCharCode(0x900 - c));
    // MIN/MAX keys: bytes 0–255 as characters.
    for (let i = 0; i < 64; i++) cases.push(Buffer.from(Array.from({ length: i }, (_, j) => (j * 37 + i) & 0xff)).toString('latin1'));
    for (const s of cases) {
      const bytes = encodeRow([s]);
      const utf8 = Buffer.from(s, 'utf8');
      expect(bytes.subarray(bytes.length - utf8.length), JSON.stringify(s)).toEqual(utf8);
      expect(bytes.length).toBe(2 + leb128(utf8.length).length + utf8.length);
      expect(decodeRow(bytes)).toEqual([Buffer.from(s, 'utf8').toString('utf8')]);
    }
  });
});

describe('decimal mantissas (float arithmetic below 2^53, hex above)', () => {
  /** The sign byte, length and big-endian bytes of |m| by its hex form, as the writer did for every value. */
  const byHex = (m: bigint): Buffer => {
    const neg = m < 0n;
    let hex = (neg ? -m : m).toString(16);
    if (hex.length % 2) hex = '0' + hex;
    const mag = hex === '00' ? Buffer.alloc(0) : Buffer.from(hex, 'hex');
    return Buffer.concat([Buffer.from([neg ? 1 : 0]), leb128(mag.length), mag]);
  };

  it('writes the same bytes as the hex form and reads the value back, at every byte boundary', () => {
    const ms: bigint[] = [0n, 1n, 255n, 256n, 41_670n];
    for (let k = 8; k <= 72; k += 8) for (const d of [-1n, 0n, 1n]) ms.push(2n ** BigInt(k) + d);
    ms.push(2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 48n - 1n, 2n ** 48n);
    for (const m of [...ms, ...ms.map((x) => -x)]) {
      const d = new Decimal(m, 2);
      const bytes = encodeRow([d]);
      // row count, TAG_DECIMAL, DEC_FINITE, scale, then the magnitude.
      expect(bytes.subarray(4), String(m)).toEqual(byHex(m));
      const back = decodeRow(bytes)[0] as Decimal;
      expect(back.mantissa, String(m)).toBe(m);
      expect(back.scale).toBe(2);
    }
  });
});
