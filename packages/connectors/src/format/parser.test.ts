import { type DataType, Decimal, Jsonb, listOf, StructValue, structOf, T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import type { SourceColumn } from '../api';
import { createRecordParser } from './parser';
import type { ParseOutcome, SourceMessage } from './types';

const col = (name: string, type: DataType = T.Varchar, include?: SourceColumn['include']): SourceColumn => ({ name, type, include });

function msg(value: string | Buffer | null, extra: Partial<SourceMessage> = {}): SourceMessage {
  return { partition: 0, offset: 0, key: null, timestamp: 1_700_000_000_000, headers: [], ...extra, value: typeof value === 'string' ? Buffer.from(value) : value };
}

function ok(o: ParseOutcome) {
  if (!o.ok) throw new Error(`unexpected parse error: ${o.error.reason}`);
  return o.change;
}

describe('FORMAT PLAIN ENCODE JSON', () => {
  const cols = [
    col('id', T.Int32),
    col('big', T.Int64),
    col('name'),
    col('price', T.Decimal),
    col('score', T.Float64),
    col('flag', T.Boolean),
    col('ts', T.Timestamptz),
    col('day', T.Date),
    col('doc', T.Jsonb),
    col('tags', listOf(T.Varchar)),
    col('addr', structOf([{ name: 'city', type: T.Varchar }, { name: 'zip', type: T.Int32 }])),
  ];
  const p = createRecordParser({ format: 'plain', encode: 'json', columns: cols });

  it('maps fields by name (case-insensitively), coerces types, and pads missing fields with NULL', () => {
    const c = ok(p.parse(msg('{"ID": 7, "big": "9000000000", "name": 12, "price": "12.50", "score": 3, "flag": true, "ts": "2024-01-02T03:04:05Z", "day": "2024-02-29", "doc": {"a": [1]}, "tags": ["x", null], "addr": {"City": "Oslo", "zip": "123"}, "extra": 1}')))!;
    expect(c.op).toBe('insert');
    expect(c.row).toEqual([7, 9_000_000_000n, '12', Decimal.parse('12.50'), 3, true, Date.UTC(2024, 0, 2, 3, 4, 5) * 1000, 19782, new Jsonb({ a: [1] }), ['x', null], new StructValue(['Oslo', 123])]);
    expect(ok(p.parse(msg('{"id": 1}')))!.row.slice(1).every((d) => d === null)).toBe(true);
  });

  it('guesses the unit of numeric timestamps as RisingWave does (s, ms, µs)', () => {
    const q = createRecordParser({ encode: 'json', columns: [col('a', T.Timestamptz), col('b', T.Timestamptz), col('c', T.Timestamptz)] });
    expect(ok(q.parse(msg('{"a": 1700000000, "b": 1700000000123, "c": 1700000000123456}')))!.row).toEqual([1_700_000_000_000_000, 1_700_000_000_123_000, 1_700_000_000_123_456]);
  });

  it('reports malformed JSON, non-objects and wrong types with partition and offset', () => {
    const cases: [string, RegExp][] = [
      ['{"id": 1', /invalid JSON/],
      ['[1,2]', /not a JSON object/],
      ['{"id": "seven"}', /column id: expected integer, got string "seven"/],
      ['{"id": 1.5}', /column id/],
      ['{"id": 99999999999}', /column id/],
      ['{"flag": "yes"}', /column flag: expected boolean/],
      ['{"name": {"a": 1}}', /column name: expected character varying, got object/],
    ];
    for (const [text, reason] of cases) {
      const o = p.parse(msg(text, { partition: 3, offset: 41 }));
      expect(o.ok).toBe(false);
      if (!o.ok) {
        expect(o.error).toMatchObject({ partition: 3, offset: 41 });
        expect(o.error.reason).toMatch(reason);
      }
    }
    expect(p.parse(msg(Buffer.from([0xff, 0xfe]))).ok).toBe(false);
  });

  it('fills INCLUDE key, partition, offset, timestamp and header columns', () => {
    const q = createRecordParser({
      encode: 'json',
      columns: [
        col('v', T.Int32),
        col('k', T.Bytea, { what: 'key' }),
        col('p', T.Varchar, { what: 'partition' }),
        col('o', T.Varchar, { what: 'offset' }),
        col('t', T.Timestamptz, { what: 'timestamp' }),
        col('hs', listOf(structOf([{ name: 'key', type: T.Varchar }, { name: 'value', type: T.Bytea }])), { what: 'header' }),
        col('trace', T.Varchar, { what: 'header', inner: 'trace' }),
        col('absent', T.Bytea, { what: 'header', inner: 'nope' }),
      ],
    });
    const c = ok(q.parse(msg('{"v": 1}', { key: Buffer.from('k1'), partition: 2, offset: 9, timestamp: 1234, headers: [{ key: 'trace', value: Buffer.from('abc') }] })))!;
    expect(c.row).toEqual([1, new Uint8Array(Buffer.from('k1')), '2', '9', 1_234_000, [new StructValue(['trace', new Uint8Array(Buffer.from('abc'))])], 'abc', null]);
  });
});

describe('FORMAT UPSERT ENCODE JSON', () => {
  const cols = [col('id', T.Int32), col('name'), col('k', T.Bytea, { what: 'key' })];
  const p = createRecordParser({ format: 'upsert', encode: 'json', columns: cols });

  it('upserts on a value and deletes by key on an empty or null value', () => {
    const key = Buffer.from('{"id": 1}');
    expect(ok(p.parse(msg('{"id": 1, "name": "a"}', { key })))).toEqual({ op: 'upsert', row: [1, 'a', new Uint8Array(key)] });
    expect(ok(p.parse(msg(null, { key })))).toEqual({ op: 'delete', row: [null, null, new Uint8Array(key)] });
    expect(ok(p.parse(msg('', { key })))!.op).toBe('delete');
    const o = p.parse(msg('{"id": 1}'));
    expect(!o.ok && o.error.reason).toMatch(/without a key/);
  });

  it('without INCLUDE KEY, a delete fills the key columns from the JSON key', () => {
    const q = createRecordParser({ format: 'upsert', encode: 'json', columns: [col('id', T.Int32), col('name')] });
    expect(ok(q.parse(msg(null, { key: Buffer.from('{"id": 5}') })))).toEqual({ op: 'delete', row: [5, null] });
  });
});

describe('FORMAT DEBEZIUM ENCODE JSON', () => {
  const cols = [col('id', T.Int32), col('name'), col('amount', T.Decimal), col('blob', T.Bytea), col('meta', T.Jsonb)];
  const p = createRecordParser({ format: 'debezium', encode: 'json', columns: cols });
  const row = (id: number, name: string) => ({ id, name, amount: { scale: 2, value: Buffer.from([0x30, 0x39]).toString('base64') }, blob: Buffer.from('hi').toString('base64'), meta: '{"x":1}' });

  it('maps c/r to insert, u to upsert (with before), d to delete, with and without the schema envelope', () => {
    const create = ok(p.parse(msg(JSON.stringify({ payload: { before: null, after: row(1, 'a'), op: 'c' }, schema: {} }))))!;
    expect(create).toEqual({ op: 'insert', row: [1, 'a', new Decimal(12345n, 2), new Uint8Array(Buffer.from('hi')), new Jsonb({ x: 1 })] });
    expect(ok(p.parse(msg(JSON.stringify({ before: null, after: row(2, 'b'), op: 'r' }))))!.op).toBe('insert');
    const update = ok(p.parse(msg(JSON.stringify({ before: row(1, 'a'), after: row(1, 'z'), op: 'u' }))))!;
    expect([update.op, update.row[1], update.before![1]]).toEqual(['upsert', 'z', 'a']);
    const del = ok(p.parse(msg(JSON.stringify({ before: row(1, 'z'), after: null, op: 'd' }))))!;
    expect([del.op, ...del.row.slice(0, 2)]).toEqual(['delete', 1, 'z']);
    expect(ok(p.parse(msg(null)))).toBeNull(); // tombstone after a delete
  });

  it('reports events it cannot apply', () => {
    const bad = [JSON.stringify({ before: null, after: null, op: 'd' }), JSON.stringify({ op: 'x' }), JSON.stringify({ after: { id: '1' }, op: 'c' })];
    for (const b of bad) expect(p.parse(msg(b)).ok).toBe(false);
  });
});

describe('ENCODE CSV and ENCODE BYTES', () => {
  it('maps a headerless CSV record by position with a custom delimiter and quoting', () => {
    const p = createRecordParser({ encode: 'csv', options: { without_header: 'true', delimiter: '|' }, columns: [col('id', T.Int32), col('name'), col('d', T.Date)] });
    expect(ok(p.parse(msg('1|"a|""b"""|2024-01-01\n')))!.row).toEqual([1, 'a|"b"', 19723]);
    expect(ok(p.parse(msg('2||')))!.row).toEqual([2, null, null]);
    const bad = p.parse(msg('x|y|z', { offset: 3 }));
    expect(!bad.ok && bad.error).toMatchObject({ offset: 3 });
  });

  it('uses the first message of each partition as the header', () => {
    const p = createRecordParser({ encode: 'csv', columns: [col('id', T.Int32), col('name')] });
    expect(ok(p.parse(msg('name,id')))).toBeNull();
    expect(ok(p.parse(msg('a,1')))!.row).toEqual([1, 'a']);
    expect(ok(p.parse(msg('id,name', { partition: 1 })))).toBeNull();
    expect(ok(p.parse(msg('2,b', { partition: 1 })))!.row).toEqual([2, 'b']);
  });

  it('passes bytes through as one bytea column', () => {
    const p = createRecordParser({ encode: 'bytes', columns: [col('raw', T.Bytea), col('o', T.Int64, { what: 'offset' })] });
    expect(ok(p.parse(msg(Buffer.from([0, 1, 255]), { offset: 4 })))!.row).toEqual([new Uint8Array([0, 1, 255]), 4n]);
    expect(() => createRecordParser({ encode: 'bytes', columns: [col('raw', T.Varchar)] })).toThrow(/bytea/);
    expect(() => createRecordParser({ format: 'upsert', encode: 'csv', columns: [] })).toThrow(/UPSERT ENCODE CSV/);
  });
});

describe('timestamptz fast path', () => {
  it('agrees with the general parser and still rejects impossible dates', () => {
    const p = createRecordParser({ encode: 'json', columns: [col('t', T.Timestamptz)] });
    expect(ok(p.parse(msg('{"t": "2024-02-29T23:59:59.123+02:00"}')))!.row).toEqual([Date.UTC(2024, 1, 29, 21, 59, 59, 123) * 1000]);
    expect(ok(p.parse(msg('{"t": "2024-01-01T00:00:00.123456Z"}')))!.row).toEqual([Date.UTC(2024, 0, 1) * 1000 + 123456]);
    // 24:00:00 is valid (PostgreSQL reads it as the next midnight); the strict parser decides.
    expect(ok(p.parse(msg('{"t": "2024-01-01T24:00:00Z"}')))!.row).toEqual([Date.UTC(2024, 0, 2) * 1000]);
    for (const bad of ['2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-04-31T00:00:00Z']) expect(p.parse(msg(`{"t": "${bad}"}`)).ok).toBe(false);
  });
});

describe('integers beyond 2^53', () => {
  it('keeps BIGINT and NUMERIC values exact (snowflake ids) and still rejects out-of-range ones', () => {
    const p = createRecordParser({ encode: 'json', columns: [col('id', T.Int64), col('d', T.Decimal), col('s')] });
    const c = ok(p.parse(msg('{"id": 1234567890123456789, "d": 98765432109876543210, "s": "a\\"b \\u00e9", "nested": [1, {"x": -9223372036854775808}]}')))!;
    expect(c.row).toEqual([1234567890123456789n, Decimal.parse('98765432109876543210'), 'a"b é']);
    expect(ok(p.parse(msg('{"id": -9223372036854775808}')))!.row[0]).toBe(-9223372036854775808n);
    for (const bad of ['{"id": 9223372036854775808}', '{"id": 1e30}']) expect(p.parse(msg(bad)).ok).toBe(false);
    const up = createRecordParser({ format: 'upsert', encode: 'json', columns: [col('id', T.Int64)] });
    expect(ok(up.parse(msg(null, { key: Buffer.from('{"id": 9007199254740993}') })))!.row).toEqual([9007199254740993n]);
  });
});
