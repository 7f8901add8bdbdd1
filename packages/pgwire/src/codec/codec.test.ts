import { randomBytes } from 'node:crypto';
import { serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages';
import { Parser } from 'pg-protocol/dist/parser';
import { describe, expect, it } from 'vitest';
import * as be from './backend-messages';
import { BufferReader } from './buffer-reader';
import { BufferWriter } from './buffer-writer';
import { FrameDecoder, MAX_STARTUP_PACKET } from './frame-decoder';
import * as fe from './frontend-messages';
import { ProtocolError } from './protocol-error';

/** A realistic client stream: startup, then a pipelined extended query and a simple one. */
function clientStream(): Buffer {
  return Buffer.concat([
    serialize.startup({ user: 'alice', database: 'dev', application_name: 'täst' }),
    serialize.parse({ name: 's1', text: 'select $1::int, $2', types: [23, 0] }),
    serialize.bind({ portal: 'p1', statement: 's1', values: ['42', null] }),
    serialize.describe({ type: 'P', name: 'p1' }),
    serialize.execute({ portal: 'p1', rows: 10 }),
    serialize.close({ type: 'S', name: 's1' }),
    serialize.sync(),
    serialize.query('select 1; select ☃'),
    serialize.flush(),
    serialize.end(),
  ]);
}

/** Decodes every frame of `chunks`, switching out of the startup phase after the first. */
function frames(chunks: Buffer[]): string[] {
  const d = new FrameDecoder();
  const out: string[] = [];
  for (const c of chunks) {
    d.push(c);
    while (d.next()) {
      out.push(`${d.type}:${d.buf.subarray(d.start, d.end).toString('hex')}`);
      d.startupPhase = false;
    }
  }
  return out;
}

function parseBackend(buf: Buffer): BackendMessage[] {
  const out: BackendMessage[] = [];
  new Parser().parse(buf, (m) => out.push(m));
  return out;
}

describe('FrameDecoder', () => {
  const stream = clientStream();
  const whole = frames([stream]);

  it('decodes a multi-message stream in one chunk', () => {
    expect(whole.length).toBe(10);
    expect(whole[0].startsWith('0:')).toBe(true);
    expect(whole.slice(1).map((f) => String.fromCharCode(Number(f.split(':')[0])))).toEqual(['P', 'B', 'D', 'E', 'C', 'S', 'Q', 'H', 'X']);
  });

  it('gives the same frames when the stream is split at every byte position', () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(frames([stream.subarray(0, i), stream.subarray(i)])).toEqual(whole);
    }
  });

  it('gives the same frames when split at every pair of positions', () => {
    for (let i = 0; i <= stream.length; i += 3) {
      for (let j = i; j <= stream.length; j += 5) {
        expect(frames([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)])).toEqual(whole);
      }
    }
  });

  it('gives the same frames when fed one byte at a time', () => {
    const bytes: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) bytes.push(stream.subarray(i, i + 1));
    expect(frames(bytes)).toEqual(whole);
  });

  it('keeps undecoded bytes when the frame format changes mid-chunk', () => {
    const d = new FrameDecoder();
    d.push(stream);
    expect(d.next()).toBe(true);
    expect(d.type).toBe(0);
    d.startupPhase = false;
    expect(d.next()).toBe(true);
    expect(String.fromCharCode(d.type)).toBe('P');
  });

  it('rejects an oversized message as soon as its header arrives (54000)', () => {
    const d = new FrameDecoder(1024);
    d.startupPhase = false;
    const header = Buffer.from([0x51, 0, 0, 0x10, 0]); // 'Q', length 4096
    d.push(header);
    let err: unknown;
    try {
      d.next();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('54000');
  });

  it('rejects invalid lengths (08P01)', () => {
    const typed = new FrameDecoder();
    typed.startupPhase = false;
    typed.push(Buffer.from([0x51, 0, 0, 0, 3]));
    expect(() => typed.next()).toThrow(ProtocolError);

    const huge = new FrameDecoder();
    const b = Buffer.alloc(8);
    b.writeInt32BE(MAX_STARTUP_PACKET + 1);
    huge.push(b);
    expect(() => huge.next()).toThrowError(/invalid length of startup packet/);

    const tiny = new FrameDecoder();
    tiny.push(Buffer.from([0, 0, 0, 4]));
    expect(() => tiny.next()).toThrow(ProtocolError);
  });

  it('does not pin consumed data: buffer space is reused across many frames', () => {
    const d = new FrameDecoder();
    d.startupPhase = false;
    const q = serialize.query('select 1');
    for (let i = 0; i < 10_000; i++) {
      d.push(q);
      expect(d.next()).toBe(true);
      expect(d.next()).toBe(false);
    }
    expect(d.buffered).toBe(0);
  });
});

describe('BufferReader', () => {
  it('throws ProtocolError, never RangeError, on truncated input', () => {
    const r = new BufferReader();
    expect(() => r.reset(Buffer.from([0, 1])).int32()).toThrow(ProtocolError);
    expect(() => r.reset(Buffer.from([1])).int16()).toThrow(ProtocolError);
    expect(() => r.reset(Buffer.from('abc')).cstring()).toThrow(ProtocolError);
    expect(() => r.reset(Buffer.from([0, 0, 0])).bytes(4)).toThrow(ProtocolError);
    expect(() => r.reset(Buffer.alloc(0)).byte()).toThrow(ProtocolError);
    expect(() => r.reset(Buffer.alloc(8)).bytes(-1)).toThrow(ProtocolError);
  });

  it('does not read past the end of the message into the next one', () => {
    const buf = Buffer.from('ab\0cd\0');
    const r = new BufferReader().reset(buf, 0, 2);
    expect(() => r.cstring()).toThrow(ProtocolError);
  });

  it('decodes every frontend message of a real stream', () => {
    const d = new FrameDecoder();
    d.push(clientStream());
    const r = new BufferReader();
    d.next();
    const startup = fe.readStartupPacket(r.reset(d.buf, d.start, d.end));
    expect(startup).toEqual({ kind: 'startup', major: 3, minor: 0, params: expect.objectContaining({ user: 'alice', database: 'dev', application_name: 'täst' }) });
    d.startupPhase = false;
    d.next();
    expect(fe.readParse(r.reset(d.buf, d.start, d.end))).toEqual({ name: 's1', sql: 'select $1::int, $2', paramOids: [23, 0] });
    d.next();
    const bind = fe.readBind(r.reset(d.buf, d.start, d.end));
    expect(bind.portal).toBe('p1');
    expect(bind.statement).toBe('s1');
    expect(bind.values.map((v) => v?.toString() ?? null)).toEqual(['42', null]);
    d.next();
    expect(fe.readTarget(r.reset(d.buf, d.start, d.end), 'Describe')).toEqual({ which: 'P', name: 'p1' });
    d.next();
    expect(fe.readExecute(r.reset(d.buf, d.start, d.end))).toEqual({ portal: 'p1', maxRows: 10 });
  });

  it.each([
    ['a few (offsets in plain arrays)', ['a', null, '', 'xyz', null, '12345']],
    ['many (offsets in typed arrays)', Array.from({ length: 40 }, (_, i) => (i % 7 === 3 ? null : i % 5 === 0 ? '' : `v${i}`))],
  ])('Bind parameter values are copies: NULL, empty and %s survive reuse of the frame buffer', (_what, vals) => {
    const parts: Buffer[] = [Buffer.from('p\0s\0'), Buffer.from([0, 0])];
    const n = Buffer.alloc(2);
    n.writeInt16BE(vals.length);
    parts.push(n);
    for (const v of vals) {
      const len = Buffer.alloc(4);
      len.writeInt32BE(v === null ? -1 : Buffer.byteLength(v));
      parts.push(len);
      if (v !== null) parts.push(Buffer.from(v));
    }
    parts.push(Buffer.from([0, 0]));
    const frame = Buffer.concat(parts);
    const bind = fe.readBind(new BufferReader().reset(frame));
    frame.fill(0x21);
    expect(bind.values.map((v) => (v === null ? null : v.toString()))).toEqual(vals);
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      expect(bind.lengths[i]).toBe(v === null ? -1 : v.length);
      if (v !== null) expect(bind.data.subarray(bind.starts[i], bind.starts[i] + v.length).toString()).toBe(v);
    }
    const allNull = Buffer.concat([Buffer.from('\0\0'), Buffer.from([0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0])]);
    expect(fe.readBind(new BufferReader().reset(allNull)).values).toEqual([null, null]);
  });

  it('a Bind whose parameter runs past its message end is truncated, even with the next message in the buffer', () => {
    const frame = Buffer.concat([Buffer.from('p\0s\0'), Buffer.from([0, 0, 0, 2, 0, 0, 0, 1]), Buffer.from('7'), Buffer.from([0, 0, 0, 3]), Buffer.from('ab')]);
    const next = Buffer.from('cdefgh');
    const both = Buffer.concat([Buffer.alloc(3), frame, next]);
    const r = new BufferReader();
    expect(() => fe.readBind(r.reset(both, 3, 3 + frame.length))).toThrow(/truncated/);
    // Cut inside the second length field.
    expect(() => fe.readBind(r.reset(both, 3, 3 + frame.length - 4))).toThrow(ProtocolError);
    // The same Bind, complete, at an offset: values and offsets relative to its own copy.
    const ok = Buffer.concat([Buffer.alloc(5), frame.subarray(0, frame.length - 2), Buffer.from('abc'), Buffer.from([0, 0])]);
    const bind = fe.readBind(r.reset(ok, 5, ok.length));
    expect(bind.values.map(String)).toEqual(['7', 'abc']);
  });

  it('Bind format codes: none, one for all (shared lists, equal across Binds), one per value', () => {
    const bindWith = (paramCodes: number[], resultCodes: number[]) => {
      const i16 = (v: number) => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
      return fe.readBind(
        new BufferReader().reset(
          Buffer.concat([Buffer.from('\0s\0'), i16(paramCodes.length), ...paramCodes.map(i16), i16(1), Buffer.from([0, 0, 0, 1]), Buffer.from('7'), i16(resultCodes.length), ...resultCodes.map(i16)]),
        ),
      );
    };
    const a = bindWith([0], [1]);
    expect(a.paramFormats).toEqual([0]);
    expect(a.resultFormats).toEqual([1]);
    expect(bindWith([0], []).paramFormats).toBe(a.paramFormats);
    expect(bindWith([], [0, 1, 1]).resultFormats).toEqual([0, 1, 1]);
    // An invalid code is kept as sent (the connection rejects it with 22023).
    expect(bindWith([7], []).paramFormats).toEqual([7]);
    expect(a.values.map(String)).toEqual(['7']);
  });

  it('message decoders only ever throw ProtocolError on random bodies', () => {
    const r = new BufferReader();
    const decoders = [fe.readParse, fe.readBind, fe.readExecute, fe.readQuery, fe.readStartupPacket, fe.readPassword, fe.readSaslInitialResponse, (rr: BufferReader) => fe.readTarget(rr, 'Close')];
    for (let i = 0; i < 3000; i++) {
      const body = randomBytes(i % 40);
      for (const dec of decoders) {
        try {
          dec(r.reset(body));
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }
    }
  });
});

describe('BufferWriter', () => {
  it('back-patches lengths so a real client parser accepts the output', () => {
    const w = new BufferWriter(8); // tiny: forces growth mid-message
    be.writeAuthOk(w);
    be.writeParameterStatus(w, 'TimeZone', 'Europe/Zürich');
    be.writeBackendKeyData(w, 1234, -5678);
    be.writeRowDescription(w, [
      { name: 'a', tableOid: 0, columnAttr: 0, typeOid: 23, typeSize: 4, typeModifier: -1, format: 0 },
      { name: 'b€', tableOid: 0, columnAttr: 0, typeOid: 1043, typeSize: -1, typeModifier: -1, format: 1 },
    ]);
    w.begin(be.BE.DataRow).int16(2).lengthPrefixedString('1').int32(-1).end();
    be.writeCommandComplete(w, 'SELECT 1');
    be.writeErrorResponse(w, { severity: 'ERROR', code: '42601', message: 'bad', detail: 'd', hint: 'h', position: 7 });
    be.writeParameterDescription(w, [23, 3802]);
    be.writeReadyForQuery(w, 'T');
    const msgs = parseBackend(w.take()) as any[];
    expect(msgs.map((m) => m.name)).toEqual([
      'authenticationOk',
      'parameterStatus',
      'backendKeyData',
      'rowDescription',
      'dataRow',
      'commandComplete',
      'error',
      'parameterDescription',
      'readyForQuery',
    ]);
    expect(msgs[1]).toMatchObject({ parameterName: 'TimeZone', parameterValue: 'Europe/Zürich' });
    expect(msgs[2]).toMatchObject({ processID: 1234, secretKey: -5678 });
    expect(msgs[3].fields.map((f: any) => [f.name, f.dataTypeID, f.dataTypeSize, f.format])).toEqual([
      ['a', 23, 4, 'text'],
      ['b€', 1043, -1, 'binary'],
    ]);
    expect(msgs[4].fields).toEqual(['1', null]);
    expect(msgs[5].text).toBe('SELECT 1');
    expect(msgs[6]).toMatchObject({ severity: 'ERROR', code: '42601', message: 'bad', detail: 'd', hint: 'h', position: '7' });
    expect(msgs[7].dataTypeIDs).toEqual([23, 3802]);
    expect(msgs[8].status).toBe('T');
  });

  it('reuses its buffer: take() empties it and later messages are independent', () => {
    const w = new BufferWriter();
    be.writeCommandComplete(w, 'A');
    const first = w.take();
    be.writeCommandComplete(w, 'B');
    const second = w.take();
    expect(w.length).toBe(0);
    expect((parseBackend(first)[0] as any).text).toBe('A');
    expect((parseBackend(second)[0] as any).text).toBe('B');
  });
});
