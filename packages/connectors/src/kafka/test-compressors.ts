/**
 * Test fixtures: Kafka's codecs as producers write them, for the source's tests (imported
 * by *.test.ts only). Snappy in both framings (snappy-java's xerial stream, as Kafka's Java
 * client writes it, and a raw block, as librdkafka and Go clients do) with snappyjs's
 * compressor; LZ4 frames with lz4js's (a devDependency); zstd as frames of stored and RLE
 * blocks (valid zstd that needs no compressor: fzstd decompresses only), and through the
 * `zstd` command where it is installed.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const snappyjs = require('snappyjs') as { compress(b: Buffer): Buffer };
const lz4js = require('lz4js') as { compress(b: Uint8Array): Uint8Array };

const XERIAL_HEADER = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);

/** snappy-java's SnappyOutputStream: the header, then `[int32 length][raw snappy]` per chunk. */
export function xerialSnappy(data: Buffer, chunkBytes = 32 * 1024): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER];
  for (let at = 0; at < data.length; at += chunkBytes) {
    const block = snappyjs.compress(data.subarray(at, at + chunkBytes));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

export function rawSnappy(data: Buffer): Buffer {
  return snappyjs.compress(data);
}

export function lz4Frame(data: Buffer): Buffer {
  return Buffer.from(lz4js.compress(data));
}

/** A zstd frame of raw and RLE blocks (content size declared, no checksum). */
export function zstdStored(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(9);
  header.writeUInt32LE(0xfd2fb528, 0);
  header[4] = 0xa0; // frame content size in 4 bytes, single segment (no window descriptor)
  header.writeUInt32LE(data.length, 5);
  parts.push(header);
  let at = 0;
  do {
    // A run of one byte becomes an RLE block, anything else a raw block of up to 1000 bytes.
    let run = 1;
    while (at + run < data.length && data[at + run] === data[at] && run < 1000) run++;
    const rle = run >= 8;
    const size = rle ? run : Math.min(1000, data.length - at);
    const last = at + size >= data.length ? 1 : 0;
    const bh = Buffer.alloc(3);
    bh.writeUIntLE(last | ((rle ? 1 : 0) << 1) | (size << 3), 0, 3);
    parts.push(bh, rle ? data.subarray(at, at + 1) : data.subarray(at, at + size));
    at += size;
  } while (at < data.length);
  return Buffer.concat(parts);
}

/** Real zstd compression through the `zstd` command; null where it is not installed. */
export function zstdCommand(data: Buffer): Buffer | null {
  const r = spawnSync('zstd', ['-q', '-c', '-3'], { input: data, maxBuffer: 1 << 28 });
  return r.status === 0 ? r.stdout : null;
}

/** An uncompressed v2 record batch rewritten with its records compressed by `codec` (CRC left stale). */
export function compressBatch(batch: Buffer, codec: number, compress: (data: Buffer) => Buffer): Buffer {
  const body = compress(batch.subarray(61));
  const out = Buffer.concat([batch.subarray(0, 61), body]);
  out.writeInt32BE(61 - 12 + body.length, 8);
  out.writeInt16BE((out.readInt16BE(21) & ~7) | codec, 21);
  return out;
}
