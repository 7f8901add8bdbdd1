/**
 * Kafka's record-batch compression codecs, decompression only (a source never compresses):
 * the batch attribute's low three bits name the codec, and the whole records section after
 * the batch header is one compressed blob.
 *
 * - gzip (1): node:zlib.
 * - snappy (2): two framings exist in the wild. Kafka's Java client writes snappy-java's
 *   "xerial" stream (an 8-byte magic `\x82SNAPPY\0`, two version ints, then length-prefixed
 *   raw snappy chunks); librdkafka, Sarama, franz-go and kafkajs-snappy write one raw snappy
 *   block. Both are read, told apart by the magic (as librdkafka does). Raw snappy: snappyjs.
 * - lz4 (3): the LZ4 frame format (lz4-frame.ts, strict: see there why not from npm).
 * - zstd (4): fzstd (pure JS, decompression only).
 *
 * Failures throw CompressionError naming the codec; the caller treats the batch as corrupt.
 * So does a batch that would decompress to more than MAX_DECOMPRESSED_BYTES: checked as the
 * output grows, so a few hundred bytes of crafted input cannot take the process's memory.
 * The libraries load on first use (../libraries.ts): a server that reads no compressed topic
 * never loads them.
 */
import { gunzipSync } from 'node:zlib';
import { fzstd, kafkajs, snappyjs } from '../libraries';
import { lz4DecompressFrames } from './lz4-frame';

export const Codec = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const;
const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export class CompressionError extends Error {}

/** The codec's name (Kafka's `compression.type` spelling), or its number if there is none. */
export function codecName(codec: number): string {
  return NAMES[codec] ?? `unknown (${codec})`;
}

/**
 * The most one record batch may decompress to. Producers batch up to `batch.size` (16 KiB by
 * default) within `max.request.size` (1 MiB), and text compresses 5–10×: a batch past this
 * is not data, it is a decompression bomb (gzip alone reaches ~1,000×).
 */
export const MAX_DECOMPRESSED_BYTES = 64 << 20;

/** The uncompressed records of a batch compressed with `codec` (1–4). */
export function decompress(codec: number, data: Uint8Array, maxBytes = MAX_DECOMPRESSED_BYTES): Buffer {
  try {
    switch (codec) {
      case Codec.Gzip:
        return gunzipSync(data, { maxOutputLength: maxBytes });
      case Codec.Snappy:
        return snappy(data, maxBytes);
      case Codec.Lz4:
        return lz4DecompressFrames(data, maxBytes);
      case Codec.Zstd:
        return zstd(data, maxBytes);
    }
  } catch (e) {
    throw new CompressionError(`corrupt ${codecName(codec)} data: ${(e as Error).message}`);
  }
  throw new CompressionError(`Kafka compression codec ${codecName(codec)} does not exist (gzip, snappy, lz4 and zstd do)`);
}

/** snappy-java's stream header: magic, then version and compatible version (both 1). */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
/**
 * A raw snappy element expands at most ~21× (a 3-byte copy writes 64 bytes), so a block
 * declaring more than this many times its size is corrupt; refusing it before allocating
 * keeps a corrupt length prefix from costing gigabytes.
 */
const SNAPPY_MAX_RATIO = 32;

function tooBig(maxBytes: number): Error {
  return new Error(`decompresses to more than ${maxBytes} bytes`);
}

/** zstd through fzstd's streaming decoder, which hands out each block as it is decoded: the output is counted as it grows. */
function zstd(data: Uint8Array, maxBytes: number): Buffer {
  const parts: Uint8Array[] = [];
  let total = 0;
  const d = new (fzstd().Decompress)((chunk) => {
    total += chunk.length;
    if (total > maxBytes) throw tooBig(maxBytes);
    parts.push(chunk);
  });
  d.push(data, true);
  return Buffer.concat(parts, total);
}

function snappy(data: Uint8Array, maxBytes: number): Buffer {
  const out = data.length >= XERIAL_HEADER_BYTES && XERIAL_MAGIC.equals(data.subarray(0, 8)) ? xerialSnappy(data, maxBytes) : rawSnappy(data);
  if (out.length > maxBytes) throw tooBig(maxBytes);
  return out;
}

function rawSnappy(block: Uint8Array): Buffer {
  const out = snappyjs().uncompress(block, block.length * SNAPPY_MAX_RATIO + 64);
  return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.length);
}

/** snappy-java's framing: `[int32 BE length][raw snappy block]` after the 16-byte header. */
function xerialSnappy(data: Uint8Array, maxBytes: number): Buffer {
  const view = Buffer.from(data.buffer, data.byteOffset, data.length);
  const parts: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_BYTES;
  while (pos < view.length) {
    if (pos + 4 > view.length) throw new Error('xerial snappy chunk length is truncated');
    const len = view.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > view.length) throw new Error(`xerial snappy chunk of ${len} bytes runs past the end`);
    const part = rawSnappy(view.subarray(pos, pos + len));
    parts.push(part);
    total += part.length;
    if (total > maxBytes) throw tooBig(maxBytes);
    pos += len;
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
}

let kafkajsCodecsRegistered = false;

/**
 * Gives kafkajs's consumer (the SASL fetch path) the same decompression: kafkajs ships
 * gzip only and looks the others up in its `CompressionCodecs` registry. Freshet's Kafka
 * sink does not compress, so these codecs refuse to.
 */
export function registerKafkajsCodecs(): void {
  if (kafkajsCodecsRegistered) return;
  kafkajsCodecsRegistered = true;
  const { CompressionCodecs, CompressionTypes } = kafkajs();
  for (const codec of [Codec.Snappy, Codec.Lz4, Codec.Zstd]) {
    const impl = {
      async compress(): Promise<Buffer> {
        throw new CompressionError(`Freshet does not write ${codecName(codec)}-compressed Kafka batches`);
      },
      async decompress(buffer: Buffer): Promise<Buffer> {
        return decompress(codec, buffer);
      },
    };
    const type = codec === Codec.Snappy ? CompressionTypes.Snappy : codec === Codec.Lz4 ? CompressionTypes.LZ4 : CompressionTypes.ZSTD;
    CompressionCodecs[type] = () => impl;
  }
}
