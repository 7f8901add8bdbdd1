import { describe, expect, it } from 'vitest';
import { Prng } from '@freshet/testkit';
import { RespError, RespParser, RespProtocolError, type RespReply, encodeCommand } from './resp';
import { KEYS_PER_COMMAND, RedisWriteBuffer } from './redis-batch';

/** A reply as a server writes it (the test's own encoder, independent of resp.ts). */
function wire(r: RespReply): string {
  if (r === null) return '$-1\r\n';
  if (typeof r === 'number') return `:${r}\r\n`;
  if (r instanceof RespError) return `-${r.message}\r\n`;
  if (Array.isArray(r)) return `*${r.length}\r\n${r.map(wire).join('')}`;
  return `$${Buffer.byteLength(r)}\r\n${r}\r\n`;
}

/** What the parser gives for `r` (simple strings and bulk strings both come back as strings). */
const norm = (r: RespReply): unknown => (r instanceof RespError ? { error: r.message } : Array.isArray(r) ? r.map(norm) : r);

function parseChunks(chunks: Buffer[]): unknown[] {
  const p = new RespParser();
  const out: unknown[] = [];
  for (const c of chunks) p.feed(c, (r) => out.push(norm(r)));
  return out;
}

const big = 'é'.repeat(40_000) + 'x'.repeat(1_000); // 81,000 bytes, non-ASCII
const replies: RespReply[] = [
  'OK',
  new RespError('ERR unknown command'),
  new RespError('WRONGTYPE Operation against a key holding the wrong kind of value'),
  42,
  -7,
  0,
  null,
  '',
  'line\r\nbreak $3 *2 inside',
  'zürich 東京 🚀',
  [],
  ['a', 12, null, ['nested', new RespError('NOAUTH Authentication required.')]],
];
const stream = Buffer.from('+OK\r\n' + replies.slice(1).map(wire).join('') + '*-1\r\n+PONG\r\n', 'utf8');
const expected = [...replies.map(norm), null, 'PONG'];

describe('RespParser', () => {
  it('parses every reply type in one chunk', () => {
    expect(parseChunks([stream])).toEqual(expected);
  });

  it('parses the same replies split at every byte boundary, and one byte at a time', () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(parseChunks([stream.subarray(0, i), stream.subarray(i)])).toEqual(expected);
    }
    const bytes = [...Array(stream.length).keys()].map((i) => stream.subarray(i, i + 1));
    expect(parseChunks(bytes)).toEqual(expected);
  });

  it('parses random chunkings, with a bulk string over 64 KiB', () => {
    const rng = Prng.fromEnv(20261122);
    const all = Buffer.concat([stream, Buffer.from(wire(big) + wire(['x', big]) + ':1\r\n')]);
    const want = [...expected, big, ['x', big], 1];
    for (let round = 0; round < 200; round++) {
      const chunks: Buffer[] = [];
      for (let p = 0; p < all.length; ) {
        const n = rng.int(1, round % 2 === 0 ? 64 : 20_000);
        chunks.push(all.subarray(p, p + n));
        p += n;
      }
      expect(parseChunks(chunks), `seed ${rng.seed} round ${round}`).toEqual(want);
    }
  });

  it('reads encodeCommand output back as the arguments (commands are arrays of bulk strings)', () => {
    const args = ['MSET', '{"id":1}', '{"v":"é 東京"}', '', big];
    expect(parseChunks([encodeCommand(args)])).toEqual([args]);
  });

  it('encodes bulk strings whose UTF-8 length has more digits than their length', () => {
    const rng = Prng.fromEnv(99);
    const alphabet = ['a', 'é', '東', '🚀', '\r\n'];
    for (let i = 0; i < 300; i++) {
      const n = i < 120 ? i : rng.int(0, 5_000);
      let s = '';
      while (s.length < n) s += alphabet[rng.int(0, alphabet.length)];
      expect(parseChunks([encodeCommand(['SET', s, s + 'x'])])).toEqual([['SET', s, s + 'x']]);
    }
  });

  it('rejects bytes that are not RESP', () => {
    expect(() => parseChunks([Buffer.from('HTTP/1.1 400\r\n')])).toThrow(RespProtocolError);
    expect(() => parseChunks([Buffer.from(':12x\r\n')])).toThrow(/bad integer/);
    expect(() => parseChunks([Buffer.from('$2\r\nabcd\r\n')])).toThrow(/CRLF/);
  });
});

/** The commands of a payload, decoded. */
function commands(buf: RedisWriteBuffer): string[][] {
  const p = buf.take();
  if (p === null) return [];
  const out = parseChunks([p.bytes]) as string[][];
  expect(out.length).toBe(p.commands);
  return out;
}

describe('RedisWriteBuffer', () => {
  it('the last change of a key wins; deletes and sets become DEL and MSET', () => {
    const b = new RedisWriteBuffer();
    b.set('a', '1');
    b.set('b', '2');
    b.del('c');
    b.set('a', '3'); // overwrites a
    b.set('c', 'é'); // a delete turned into a set
    b.del('b'); // a set turned into a delete
    expect(b.size).toBe(3);
    expect(commands(b)).toEqual([
      ['DEL', 'b'],
      ['MSET', 'a', '3', 'c', 'é'],
    ]);
    expect(b.take()).toBeNull();
    b.set('z', 'after take');
    expect(commands(b)).toEqual([['MSET', 'z', 'after take']]);
  });

  it(`splits into commands of ${KEYS_PER_COMMAND} keys, with large and non-ASCII values, set as strings or encoded bytes`, () => {
    const rng = Prng.fromEnv(7);
    const b = new RedisWriteBuffer();
    const want = new Map<string, string | null>();
    for (let i = 0; i < 5_000; i++) {
      const k = `k${rng.int(0, 3_000)}`;
      if (rng.int(0, 4) === 0) {
        b.del(k);
        want.set(k, null);
      } else {
        const v = i % 997 === 0 ? 'ü'.repeat(40_000) : `v${i}-ñ`;
        // Half as strings, half as bytes already encoded (the sink's JSON values), in a
        // buffer longer than the value: only its first `length` bytes are the value.
        if (rng.int(0, 2) === 0) b.set(k, v);
        else b.setEncoded(k, Buffer.from(`${v}<not the value>`, 'utf8'), Buffer.byteLength(v, 'utf8'));
        want.set(k, v);
      }
    }
    const got = new Map<string, string | null>();
    for (const [name, ...args] of commands(b)) {
      if (name === 'DEL') {
        expect(args.length).toBeLessThanOrEqual(KEYS_PER_COMMAND);
        for (const k of args) got.set(k, null);
      } else {
        expect(name).toBe('MSET');
        expect(args.length).toBeLessThanOrEqual(2 * KEYS_PER_COMMAND);
        for (let i = 0; i < args.length; i += 2) got.set(args[i], args[i + 1]);
      }
    }
    expect(got.size).toBe(want.size);
    expect(new Map([...got].sort())).toEqual(new Map([...want].sort()));
  });
});
