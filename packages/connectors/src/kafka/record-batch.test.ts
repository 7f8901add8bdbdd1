/**
 * The record-batch decoder against kafkajs's own decoding of the same bytes: batches built
 * with kafkajs's encoder (uncompressed and gzip, keys, null values, repeated headers,
 * offsets past 2^32, a truncated tail), then flags kafkajs cannot write set in the header
 * (LogAppendTime, control batches) — both decoders ignore the CRC, so the patched batches
 * stay valid for each. Transactions: aborted ones are dropped as kafkajs's consumer drops
 * them (filterAbortedMessages). The other codecs (kafkajs has none): the same batch with its
 * records compressed by each (test-compressors.ts) decodes to the same messages; damaged
 * ones are skipped whole.
 */
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { SourceMessage } from '../format/types';
import { Codec } from './compression';
import { AbortTracker, CorruptBatch, decodeRecordSet, RecordBatchError } from './record-batch';
import { compressBatch, lz4Frame, rawSnappy, xerialSnappy, zstdCommand, zstdStored } from './test-compressors';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const decodeMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages');
const Decoder = require('kafkajs/src/protocol/decoder');
const { Types: Compression } = require('kafkajs/src/protocol/message/compression');
const filterAbortedMessages = require('kafkajs/src/consumer/filterAbortedMessages');
const Long = require('kafkajs/src/utils/long');

interface KjMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  isControlRecord: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

interface RecordSpec {
  key?: string | null;
  value?: string | null;
  headers?: Record<string, string | string[]>;
  timestampDelta?: number;
}

async function batch(firstOffset: number, records: RecordSpec[], opts: { gzip?: boolean; firstTimestamp?: number; transactional?: boolean; producerId?: number } = {}): Promise<Buffer> {
  const firstTimestamp = opts.firstTimestamp ?? 1_700_000_000_000;
  const encoded = await RecordBatch({
    compression: opts.gzip ? Compression.GZIP : Compression.None,
    firstOffset: Long.fromNumber(firstOffset),
    firstTimestamp,
    maxTimestamp: firstTimestamp + Math.max(0, ...records.map((r) => r.timestampDelta ?? 0)),
    lastOffsetDelta: records.length - 1,
    transactional: opts.transactional ?? false,
    producerId: Long.fromNumber(opts.producerId ?? -1),
    records: records.map((r, i) =>
      Record({
        offsetDelta: i,
        timestampDelta: r.timestampDelta ?? i,
        key: r.key === undefined || r.key === null ? null : Buffer.from(r.key),
        value: r.value === null ? null : Buffer.from(r.value ?? `v${firstOffset + i}`),
        headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.map((x) => Buffer.from(x)) : Buffer.from(v)])),
      }),
    ),
  });
  return Buffer.from(encoded.buffer);
}

/** Sets attribute bits kafkajs's encoder has no option for (8: LogAppendTime, 32: control). */
function withAttributes(b: Buffer, bits: number): Buffer {
  const c = Buffer.from(b);
  c.writeInt16BE(c.readInt16BE(21) | bits, 21);
  return c;
}

/** A control batch: one record whose key is (version 0, type 0 = abort / 1 = commit). */
async function marker(offset: number, producerId: number, commit: boolean): Promise<Buffer> {
  const key = String.fromCharCode(0, 0, 0, commit ? 1 : 0); // bytes 0–1 in UTF-8 are themselves
  const b = await batch(offset, [{ key, value: '\u0000\u0000\u0000\u0000\u0000\u0000' }], { transactional: true, producerId });
  return withAttributes(b, 0x20);
}

async function kafkajsDecode(records: Buffer): Promise<KjMessage[]> {
  const framed = Buffer.alloc(4 + records.length);
  framed.writeInt32BE(records.length, 0);
  records.copy(framed, 4);
  return decodeMessages(new Decoder(framed));
}

/** kafkajs's messages as SourceMessages (what reader.ts made of them before). */
function fromKafkajs(ms: KjMessage[], partition: number, fromOffset: number): SourceMessage[] {
  return ms
    .filter((m) => !m.isControlRecord && Number(m.offset) >= fromOffset)
    .map((m) => ({
      partition,
      offset: Number(m.offset),
      key: m.key,
      value: m.value,
      timestamp: Number(m.timestamp),
      headers: Object.entries(m.headers).flatMap(([key, v]) => (Array.isArray(v) ? v : [v]).map((value) => ({ key, value }))),
    }));
}

function ours(records: Buffer, partition: number, fromOffset: number, aborts: AbortTracker | null = null) {
  const out: SourceMessage[] = [];
  const r = decodeRecordSet(records, 0, records.length, partition, fromOffset, out, aborts);
  return { out, ...r };
}

const plain = (ms: SourceMessage[]) => ms.map((m) => ({ ...m, key: m.key?.toString('latin1') ?? null, value: m.value?.toString('latin1') ?? null, headers: m.headers.map((h) => [h.key, h.value?.toString() ?? null]) }));

describe('decodeRecordSet', () => {
  it('decodes uncompressed and gzip batches as kafkajs does', async () => {
    const big = 2 ** 33 + 5; // offsets past 2^32
    const set = Buffer.concat([
      await batch(0, [{ key: 'k0', headers: { h: 'x', g: ['1', '2'] } }, { value: null }, { key: '', value: '' }, { timestampDelta: -5 }]),
      await batch(4, Array.from({ length: 50 }, (_, i) => ({ key: `key-${i}`, value: `{"user_id":${i},"event_type":"click"}`, timestampDelta: i * 1000 })), { gzip: true }),
      await batch(big, [{ key: 'ü', value: 'ünïcödé' }], { firstTimestamp: 1 }),
    ]);
    const mine = ours(set, 3, 0);
    expect(plain(mine.out)).toEqual(plain(fromKafkajs(await kafkajsDecode(set), 3, 0)));
    expect(mine.out).toHaveLength(55);
    expect(mine.nextOffset).toBe(big + 1);
    expect(mine.out[3].timestamp).toBe(1_700_000_000_000 - 5);
    expect(mine.out[0].headers.map((h) => h.key)).toEqual(['h', 'g', 'g']); // wire order
  });

  it('skips records before the fetch position, also inside a batch', async () => {
    const set = Buffer.concat([await batch(10, [{}, {}, {}]), await batch(13, [{}, {}], { gzip: true })]);
    const mine = ours(set, 0, 12);
    expect(mine.out.map((m) => m.offset)).toEqual([12, 13, 14]);
    expect(plain(mine.out)).toEqual(plain(fromKafkajs(await kafkajsDecode(set), 0, 12)));
  });

  it('stops before a batch cut off at the fetch byte limit; the next fetch starts there', async () => {
    const whole = Buffer.concat([await batch(0, [{}, {}]), await batch(2, [{}, {}])]);
    const cut = whole.subarray(0, whole.length - 7);
    const mine = ours(cut, 0, 0);
    expect(mine.out.map((m) => m.offset)).toEqual([0, 1]);
    expect(mine.nextOffset).toBe(2);
    expect(plain(mine.out)).toEqual(plain(fromKafkajs(await kafkajsDecode(cut), 0, 0)));
  });

  it('gives every record the batch max timestamp under LogAppendTime', async () => {
    const set = withAttributes(await batch(0, [{ timestampDelta: 0 }, { timestampDelta: 30 }, { timestampDelta: 10 }]), 0x08);
    const mine = ours(set, 0, 0);
    expect(mine.out.map((m) => m.timestamp)).toEqual([1_700_000_000_030, 1_700_000_000_030, 1_700_000_000_030]);
    expect(plain(mine.out)).toEqual(plain(fromKafkajs(await kafkajsDecode(set), 0, 0)));
  });

  it('skips control batches (transaction markers) but reads past them', async () => {
    const set = Buffer.concat([await batch(0, [{}, {}], { transactional: true, producerId: 7 }), await marker(2, 7, true), await batch(3, [{}])]);
    const mine = ours(set, 0, 0);
    expect(mine.out.map((m) => m.offset)).toEqual([0, 1, 3]);
    expect(plain(mine.out)).toEqual(plain(fromKafkajs(await kafkajsDecode(set), 0, 0)));
    // A marker alone at the end still moves the next fetch past it (no refetching it forever).
    expect(ours(await marker(9, 7, true), 0, 9)).toMatchObject({ count: 0, nextOffset: 10 });
  });

  it('drops aborted transactions under read_committed, as kafkajs does', async () => {
    const set = Buffer.concat([
      await batch(0, [{}, {}], { transactional: true, producerId: 7 }), // aborted
      await batch(2, [{}], { transactional: true, producerId: 8 }), // committed
      await marker(3, 7, false),
      await batch(4, [{}], { transactional: true, producerId: 7 }), // a later transaction of 7: committed
      await marker(5, 8, true),
      await marker(6, 7, true),
      await batch(7, [{}]),
    ]);
    const aborted = [{ producerId: '7', firstOffset: '0' }];
    const kj = filterAbortedMessages({ messages: await kafkajsDecode(set), abortedTransactions: aborted }) as KjMessage[];
    const tracker = new AbortTracker();
    tracker.add([{ producerId: 7n, firstOffset: 0 }]);
    const mine = ours(set, 0, 0, tracker);
    expect(mine.out.map((m) => m.offset)).toEqual([2, 4, 7]);
    expect(plain(mine.out)).toEqual(plain(fromKafkajs(kj, 0, 0)));
    expect(mine.nextOffset).toBe(8);
    expect(tracker.empty).toBe(true);
  });

  it('reads every Kafka codec: snappy in both framings, lz4 frames, zstd', async () => {
    const records = Array.from({ length: 300 }, (_, i) => ({ key: `key-${i}`, value: `{"user_id":${i},"event_type":"${'click'.repeat(1 + (i % 7))}"}`, headers: i % 50 === 0 ? { h: `x${i}` } : undefined }));
    const plainBatch = await batch(100, records);
    const expected = plain(ours(plainBatch, 1, 0).out);
    expect(expected).toHaveLength(300);
    const zstdReal = zstdCommand(plainBatch.subarray(61));
    const variants: [string, number, (b: Buffer) => Buffer][] = [
      ['snappy (xerial, 1 KiB chunks)', Codec.Snappy, (b) => xerialSnappy(b, 1024)],
      ['snappy (xerial, one chunk)', Codec.Snappy, (b) => xerialSnappy(b)],
      ['snappy (raw)', Codec.Snappy, rawSnappy],
      ['lz4', Codec.Lz4, lz4Frame],
      ['zstd (stored blocks)', Codec.Zstd, zstdStored],
      ...(zstdReal ? [['zstd (zstd -3)', Codec.Zstd, () => zstdReal] as [string, number, (b: Buffer) => Buffer]] : []),
    ];
    for (const [name, codec, compress] of variants) {
      const compressed = compressBatch(plainBatch, codec, compress);
      expect(compressed.length, name).toBeLessThan(plainBatch.length * (codec === Codec.Zstd && compress === zstdStored ? 1.1 : 0.5));
      const mine = ours(compressed, 1, 0);
      expect(plain(mine.out), name).toEqual(expected);
      expect([mine.corrupt, mine.nextOffset], name).toEqual([0, 400]);
      // From inside the batch: records before the position are dropped after decompressing.
      expect(ours(compressed, 1, 390).out.map((m) => m.offset), name).toEqual(Array.from({ length: 10 }, (_, i) => 390 + i));
    }
  });

  it('skips a corrupt compressed batch whole, standing in for it at its last offset, and reads on', async () => {
    const good = await batch(0, [{ value: 'a' }, { value: 'b' }]);
    const later = await batch(5, [{ value: 'c' }]);
    const damaged: [string, Buffer][] = [
      ['gzip, truncated', compressBatch(await batch(2, [{}, {}, {}]), Codec.Gzip, (b) => gzipSync(b).subarray(0, 20))],
      ['snappy, raw block garbage', compressBatch(await batch(2, [{}, {}, {}]), Codec.Snappy, () => Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]))],
      ['snappy, xerial chunk length past the end', compressBatch(await batch(2, [{}, {}, {}]), Codec.Snappy, (b) => { const x = xerialSnappy(b); x.writeInt32BE(1 << 30, 16); return x; })],
      ['lz4, truncated frame', compressBatch(await batch(2, [{}, {}, {}]), Codec.Lz4, (b) => lz4Frame(b).subarray(0, 12))],
      ['lz4, bad header checksum', compressBatch(await batch(2, [{}, {}, {}]), Codec.Lz4, (b) => { const x = lz4Frame(b); x[6] ^= 0xff; return x; })],
      ['zstd, not a frame', compressBatch(await batch(2, [{}, {}, {}]), Codec.Zstd, () => Buffer.from('not zstd at all'))],
      ['zstd, records shorter than the batch says', compressBatch(await batch(2, [{}, {}, {}]), Codec.Zstd, (b) => zstdStored(b.subarray(0, b.length - 3)))],
      ['codec 6 (none such)', compressBatch(await batch(2, [{}, {}, {}]), 6, (b) => b)],
      ['uncompressed, a record longer than the batch', (() => { const b = Buffer.from(good); b[61] = 0x7e; return b; })()],
    ];
    for (const [name, bad] of damaged) {
      const first = bad.readBigInt64BE(0) === 0n; // the last case damages the first batch itself
      const set = first ? Buffer.concat([bad, later]) : Buffer.concat([good, bad, later]);
      const mine = ours(set, 4, 0);
      expect(mine.corrupt, name).toBe(1);
      const stand = mine.out.find((m) => m instanceof CorruptBatch) as CorruptBatch;
      expect([stand.partition, stand.baseOffset, stand.offset, stand.key, stand.value], name).toEqual(first ? [4, 0, 1, null, null] : [4, 2, 4, null, null]);
      expect(stand.describe(), name).toBe(first ? 'corrupt record batch at partition 4 offsets 0..1' : 'corrupt record batch at partition 4 offsets 2..4');
      expect(stand.reason.length, name).toBeGreaterThan(0);
      // Nothing of the damaged batch gets out, the others do, and the next fetch starts after all.
      expect(mine.out.filter((m) => !(m instanceof CorruptBatch)).map((m) => m.value!.toString()), name).toEqual(first ? ['c'] : ['a', 'b', 'c']);
      expect(mine.nextOffset, name).toBe(6);
    }
  });

  it('still rejects legacy message formats (a broker before 0.11), naming them', async () => {
    const v1 = Buffer.from(await batch(0, [{}]));
    v1.writeInt8(1, 16);
    expect(() => ours(v1, 0, 0)).toThrow(RecordBatchError);
    expect(() => ours(v1, 0, 0)).toThrow(/message format v1 .* not supported/);
  });
});
