/**
 * The LZ4 frame decoder against frames written by two independent encoders (lz4js, and the
 * reference `lz4` command where it is installed: linked blocks, block and content
 * checksums, 64 KiB–4 MiB blocks), hand-built frames for the optional fields, and damage
 * of every kind, which must fail with Lz4FrameError rather than decode to wrong bytes.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { hasCommand } from '@freshet/testkit';
import { lz4DecompressFrames, Lz4FrameError, xxh32 } from './lz4-frame';
import { lz4Frame } from './test-compressors';

const require = createRequire(import.meta.url);
const lz4jsXxh32 = require('lz4js/xxh32.js') as { hash(seed: number, b: Uint8Array, start: number, len: number): number };

/** JSON-ish text: compressible, with long and short matches and literal runs. */
function sample(n: number): Buffer {
  const lines: string[] = [];
  for (let i = 0, length = 0; length < n; i++) {
    const line = `{"user_id":${(i * 7919) % 10007},"kind":"${['click', 'view', 'purchase'][i % 3]}","pad":"${'z'.repeat(i % 300)}"}\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('').slice(0, n));
}

/** A frame with every optional field: content size, block and content checksums, blocks stored as given. */
function handFrame(blocks: Buffer[], opts: { contentSize?: number } = {}): Buffer {
  const content = Buffer.concat(blocks);
  const descriptor = Buffer.from([0x40 | 0x20 | 0x10 | 0x04 | (opts.contentSize !== undefined ? 0x08 : 0), 0x40]);
  const size = Buffer.alloc(opts.contentSize !== undefined ? 8 : 0);
  if (opts.contentSize !== undefined) size.writeBigUInt64LE(BigInt(opts.contentSize));
  const header = Buffer.concat([descriptor, size]);
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18]), header, Buffer.from([(xxh32(header, 0, header.length, 0) >>> 8) & 0xff])];
  for (const b of blocks) {
    const word = Buffer.alloc(4);
    word.writeUInt32LE((0x80000000 | b.length) >>> 0);
    const sum = Buffer.alloc(4);
    sum.writeUInt32LE(xxh32(b, 0, b.length, 0));
    parts.push(word, b, sum);
  }
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(xxh32(content, 0, content.length, 0), 4);
  parts.push(tail);
  return Buffer.concat(parts);
}

describe('xxh32', () => {
  it('matches the reference values and lz4js at every length', () => {
    expect(xxh32(Buffer.alloc(0), 0, 0, 0)).toBe(0x02cc5d05);
    expect(xxh32(Buffer.from('abc'), 0, 3, 0)).toBe(0x32d153ff);
    const b = sample(300);
    for (let n = 0; n <= 64; n++) expect(xxh32(b, 5, n, 0), `length ${n}`).toBe(lz4jsXxh32.hash(0, b, 5, n) >>> 0);
  });
});

describe('lz4DecompressFrames', () => {
  it('reads lz4js frames, hand-built frames with every optional field, and concatenated and skippable frames', () => {
    for (const n of [0, 1, 100, 70_000, 1_000_000]) {
      const data = sample(n);
      expect(lz4DecompressFrames(lz4Frame(data)).equals(data), `${n} bytes`).toBe(true);
    }
    const a = sample(1000);
    const b = sample(2000).subarray(1000);
    expect(lz4DecompressFrames(handFrame([a, b], { contentSize: 2000 })).equals(sample(2000))).toBe(true);
    const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    expect(lz4DecompressFrames(Buffer.concat([lz4Frame(a), skippable, handFrame([b])])).equals(sample(2000))).toBe(true);
  });

  it.skipIf(!hasCommand('lz4'))('reads what the reference lz4 command writes: linked blocks, checksums, every block size', () => {
    const data = sample(3_000_000);
    for (const args of [[], ['-BD'], ['-BX'], ['-B4', '--no-frame-crc'], ['-B5', '-9'], ['-B6', '--content-size'], ['-B7']]) {
      const r = spawnSync('lz4', ['-q', '-c', ...args], { input: data, maxBuffer: 1 << 26 });
      expect(r.status, args.join(' ')).toBe(0);
      expect(lz4DecompressFrames(r.stdout).equals(data), args.join(' ')).toBe(true);
    }
  });

  it('fails on damage instead of returning wrong bytes', () => {
    const data = sample(5000);
    const frame = lz4Frame(data);
    const checked = handFrame([data.subarray(0, 3000), data.subarray(3000)], { contentSize: 5000 });
    const damaged: [string, Buffer, RegExp][] = [
      ['empty', Buffer.alloc(0), /no LZ4 frame/],
      ['wrong magic', Buffer.from('not lz4 at all'), /not an LZ4 frame/],
      ['truncated', frame.subarray(0, frame.length - 10), /truncated/],
      ['header checksum', (() => { const f = Buffer.from(frame); f[6] ^= 0xff; return f; })(), /header checksum/],
      ['block size code', (() => { const f = Buffer.from(checked); f[5] = 0x10; return f; })(), /reserved bits|block size/],
      ['block checksum', (() => { const f = Buffer.from(checked); f[30] ^= 1; return f; })(), /block checksum/],
      ['content checksum', (() => { const f = Buffer.from(checked); f[f.length - 1] ^= 1; return f; })(), /content checksum/],
      ['content size', handFrame([data], { contentSize: 4999 }), /declared 4999 bytes/],
      ['match before the data', (() => { const f = Buffer.from(frame); f.writeUInt32LE(3, 7); f[11] = 0x0f; f[12] = 0xff; f[13] = 0xff; return f.subarray(0, 14); })(), /match offset|truncated|ends inside/],
    ];
    for (const [name, bytes, message] of damaged) {
      expect(() => lz4DecompressFrames(bytes), name).toThrow(Lz4FrameError);
      expect(() => lz4DecompressFrames(bytes), name).toThrow(message);
    }
  });
});
