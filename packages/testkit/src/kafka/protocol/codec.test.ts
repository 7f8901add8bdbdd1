import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c';
import { ProtocolError, Reader } from './reader';
import { decodeRecords, encodeRecordBatch, splitBatches } from './record-batch';
import { Writer } from './writer';

describe('Kafka protocol primitives', () => {
  it('computes CRC-32C (check value of "123456789")', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('round-trips classic and compact encodings, growing the buffer as it goes', () => {
    const w = new Writer(4);
    const varints = [0, 1, -1, 63, -64, 64, 300, -300, 2 ** 31 - 1, -(2 ** 31), 2 ** 40];
    w.int8(-5).int16(-300).int32(123456789).int64(-(2n ** 62n)).string('héllo').string(null).bytes(Buffer.from([1, 2])).bytes(null);
    for (const v of varints) w.varint(v);
    w.compactString('abc').compactString(null).compactArray([7, 8], (x, n) => x.int8(n)).emptyTaggedFields();
    const r = new Reader(Buffer.from(w.finish()));
    expect([r.int8(), r.int16(), r.int32(), r.int64(), r.string(), r.nullableString(), [...r.bytes()!], r.bytes()]).toEqual([-5, -300, 123456789, -(2n ** 62n), 'héllo', null, [1, 2], null]);
    expect(varints.map(() => r.varint())).toEqual(varints);
    expect([r.compactString(), r.compactString(), r.compactArray((x) => x.int8())]).toEqual(['abc', null, [7, 8]]);
    r.taggedFields();
    expect(r.remaining).toBe(0);
  });

  it('rejects reads past the frame and impossible array lengths', () => {
    expect(() => new Reader(Buffer.from([0, 1])).int32()).toThrow(ProtocolError);
    expect(() => new Reader(Buffer.from([0, 0, 0, 200, 1])).array((x) => x.int8())).toThrow(/exceeds frame/);
    expect(() => new Reader(Buffer.from([0, 10, 65])).string()).toThrow(ProtocolError);
  });

  it('encodes record batches that decode back (plain and gzip) and validates CRCs', () => {
    for (const gzip of [false, true]) {
      const batch = encodeRecordBatch(
        [
          { key: 'k', value: 'v', timestamp: 1000, headers: [{ key: 'h', value: 'x' }] },
          { key: null, value: null, timestamp: 1005 },
        ],
        { baseOffset: 40, gzip },
      );
      expect(splitBatches(Buffer.concat([batch, batch])).length).toBe(2);
      const recs = decodeRecords(batch);
      expect(recs.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null])).toEqual([
        [40, 1000, 'k', 'v'],
        [41, 1005, null, null],
      ]);
      expect(recs[0].headers.map((h) => [h.key, h.value!.toString()])).toEqual([['h', 'x']]);
      batch[30] ^= 1;
      expect(() => splitBatches(batch)).toThrow(/CRC/);
    }
  });
});
