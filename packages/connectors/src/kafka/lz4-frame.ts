/**
 * LZ4 frame decompression (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md), the
 * format Kafka's lz4 codec uses for record batches (message format v2, KIP-57: a correct
 * header checksum). Written here rather than taken from npm: the pure-JS decoders there do
 * not bound their reads and writes or check the checksums (lz4js leaves them as TODOs, and
 * sizes its output from the header alone), so a corrupt batch could decode to wrong bytes,
 * or allocate gigabytes, instead of failing. Here every block is bounded by the frame's
 * block size, every match by the output so far, and the header, block and content
 * checksums (xxHash32) are verified when the frame carries them.
 */

export class Lz4FrameError extends Error {}

const MAGIC = 0x184d2204;
/** Skippable frames (magic 0x184D2A50–5F) may precede or follow data frames. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE = 0x184d2a50;
const MIN_MATCH = 4;
/** Copies shorter than this go byte by byte; longer ones through the native copy. */
const COPY_LOOP_MAX = 32;
const BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

/** Decompresses one or more concatenated LZ4 frames. */
export function lz4DecompressFrames(src: Uint8Array, maxBytes = Infinity): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  let pos = 0;
  while (pos < src.length) {
    need(src, pos, 4);
    const magic = u32(src, pos);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE) {
      need(src, pos + 4, 4);
      pos += 8 + u32(src, pos + 4);
      continue;
    }
    if (magic !== MAGIC) throw new Lz4FrameError(`not an LZ4 frame (magic 0x${magic.toString(16)})`);
    const frame = decodeFrame(src, pos + 4, maxBytes - total);
    parts.push(frame.out);
    total += frame.out.length;
    pos = frame.end;
  }
  if (pos > src.length) throw new Lz4FrameError('LZ4 skippable frame runs past the end');
  if (parts.length === 0) throw new Lz4FrameError('no LZ4 frame in the data');
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
}

/** One frame from after its magic; more than `maxBytes` of output throws (checked per block). */
function decodeFrame(src: Uint8Array, start: number, maxBytes: number): { out: Buffer; end: number } {
  need(src, start, 3);
  const flg = src[start];
  const bd = src[start + 1];
  if (flg >> 6 !== 1) throw new Lz4FrameError(`LZ4 frame version ${flg >> 6} (only 1 exists)`);
  if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) throw new Lz4FrameError('LZ4 frame descriptor has reserved bits set');
  const blockChecksum = (flg & 0x10) !== 0;
  const hasContentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const hasDictId = (flg & 0x01) !== 0;
  const blockMax = BLOCK_MAX[(bd >> 4) & 7];
  if (blockMax === 0) throw new Lz4FrameError(`LZ4 frame block size code ${(bd >> 4) & 7} is invalid`);
  let pos = start + 2;
  let contentSize = -1;
  if (hasContentSize) {
    need(src, pos, 8);
    contentSize = u32(src, pos) + u32(src, pos + 4) * 2 ** 32;
    pos += 8;
  }
  if (hasDictId) throw new Lz4FrameError('LZ4 frames with a dictionary are not supported (Kafka does not write them)');
  need(src, pos, 1);
  const hc = (xxh32(src, start, pos - start, 0) >>> 8) & 0xff;
  if (src[pos] !== hc) throw new Lz4FrameError('LZ4 frame header checksum mismatch');
  pos++;

  // A declared content size only sets the first guess: the output grows as sequences need.
  const w = new Output(Math.min(contentSize >= 0 ? contentSize : src.length * 4, 64 << 20));
  for (;;) {
    need(src, pos, 4);
    const word = u32(src, pos);
    pos += 4;
    if (word === 0) break; // end mark
    const size = word & 0x7fffffff;
    if (size > blockMax) throw new Lz4FrameError(`LZ4 block of ${size} bytes exceeds the frame's ${blockMax}`);
    need(src, pos, size + (blockChecksum ? 4 : 0));
    if (blockChecksum && xxh32(src, pos, size, 0) !== u32(src, pos + size)) throw new Lz4FrameError('LZ4 block checksum mismatch');
    if (word & 0x80000000) {
      w.reserve(size).set(src.subarray(pos, pos + size), w.n); // stored uncompressed
      w.n += size;
    } else {
      decodeBlock(src, pos, pos + size, w, w.n + blockMax);
    }
    if (w.n > maxBytes) throw new Lz4FrameError(`LZ4 data decompresses to more than ${maxBytes} bytes`);
    pos += size + (blockChecksum ? 4 : 0);
  }
  const out = w.buf.subarray(0, w.n);
  if (contentChecksum) {
    need(src, pos, 4);
    if (xxh32(out, 0, out.length, 0) !== u32(src, pos)) throw new Lz4FrameError('LZ4 content checksum mismatch');
    pos += 4;
  }
  if (contentSize >= 0 && contentSize !== out.length) throw new Lz4FrameError(`LZ4 frame declared ${contentSize} bytes but held ${out.length}`);
  return { out, end: pos };
}

/**
 * The bytes decompressed so far. Grown by doubling as sequences need room rather than by
 * the frame's block size: an encoder may declare 4 MiB blocks for a batch of a few KiB.
 */
class Output {
  buf: Buffer;
  n = 0;
  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 1024));
  }

  /** The buffer, with room for `k` more bytes after `n`. */
  reserve(k: number): Buffer {
    if (this.n + k > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + k));
      this.buf.copy(grown, 0, 0, this.n);
      this.buf = grown;
    }
    return this.buf;
  }
}

/**
 * One LZ4 block (sequences of literals and back-references) from `src[s, end)` appended to
 * `w`, up to `limit` (the frame's block size); matches may reach into earlier blocks
 * (linked blocks) but never before the output's start.
 */
/** A literal or match length's extension from `s`: bytes summed up to the first that is not 255. */
function lengthExtension(src: Uint8Array, s: number, end: number, what: 'literal' | 'match'): number {
  let ext = 0;
  let b: number;
  do {
    if (s >= end) throw new Lz4FrameError(`LZ4 block ends inside a ${what} length`);
    b = src[s++];
    ext += b;
  } while (b === 255);
  return ext;
}

function decodeBlock(src: Uint8Array, s: number, end: number, w: Output, limit: number): void {
  let out = w.buf;
  let o = w.n;
  for (;;) {
    if (s >= end) throw new Lz4FrameError('LZ4 block ends inside a sequence');
    const token = src[s++];
    let lit = token >>> 4;
    if (lit === 15) {
      const ext = lengthExtension(src, s, end, 'literal');
      s += Math.floor(ext / 255) + 1; // the bytes it took: ⌊ext / 255⌋ of 255, then one less
      lit += ext;
    }
    if (s + lit > end || o + lit > limit) throw new Lz4FrameError('LZ4 literals run past the block');
    if (o + lit > out.length) {
      w.n = o;
      out = w.reserve(lit);
    }
    if (lit < COPY_LOOP_MAX) {
      // Short runs (most of them in JSON events): a view per copy would cost more than the copy.
      for (let k = 0; k < lit; k++) out[o + k] = src[s + k];
    } else {
      out.set(src.subarray(s, s + lit), o);
    }
    s += lit;
    o += lit;
    if (s === end) break; // the last sequence has literals only
    if (s + 2 > end) throw new Lz4FrameError('LZ4 block ends inside a match offset');
    const offset = src[s] | (src[s + 1] << 8);
    s += 2;
    if (offset === 0 || offset > o) throw new Lz4FrameError(`LZ4 match offset ${offset} points before the data`);
    let len = token & 15;
    if (len === 15) {
      const ext = lengthExtension(src, s, end, 'match');
      s += Math.floor(ext / 255) + 1;
      len += ext;
    }
    len += MIN_MATCH;
    if (o + len > limit) throw new Lz4FrameError('LZ4 match runs past the block');
    if (o + len > out.length) {
      w.n = o;
      out = w.reserve(len);
    }
    let from = o - offset;
    if (offset >= len && len >= COPY_LOOP_MAX) {
      out.copyWithin(o, from, from + len);
      o += len;
    } else {
      // Short, or overlapping (the match repeats bytes it is writing): byte by byte.
      const stop = o + len;
      while (o < stop) out[o++] = out[from++];
    }
  }
  w.n = o;
}

function need(src: Uint8Array, pos: number, n: number): void {
  if (pos + n > src.length) throw new Lz4FrameError('LZ4 frame is truncated');
}

function u32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);
}

/** xxHash32 of `b[start, start + len)` (the LZ4 frame format's checksum). */
export function xxh32(b: Uint8Array, start: number, len: number, seed: number): number {
  const end = start + len;
  let p = start;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = end - 16;
    while (p <= limit) {
      v1 = round(v1, u32(b, p));
      v2 = round(v2, u32(b, p + 4));
      v3 = round(v3, u32(b, p + 8));
      v4 = round(v4, u32(b, p + 12));
      p += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  while (p + 4 <= end) {
    h = Math.imul(rotl((h + Math.imul(u32(b, p), P3)) | 0, 17), P4);
    p += 4;
  }
  while (p < end) {
    h = Math.imul(rotl((h + Math.imul(b[p], P5)) | 0, 11), P1);
    p++;
  }
  h = Math.imul(h ^ (h >>> 15), P2);
  h = Math.imul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}
