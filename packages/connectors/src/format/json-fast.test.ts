import { type DataType, T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import type { SourceColumn } from '../api';
import { FALLBACK, FlatJsonRowDecoder } from './json-fast';
import { buildRow, parseJsonObject } from './json-row';
import { createRecordParser } from './parser';
import type { SourceMessage } from './types';

const col = (name: string, type: DataType = T.Varchar): SourceColumn => ({ name, type });
const msg = (value: string): SourceMessage => ({ partition: 1, offset: 9, key: null, timestamp: 1_700_000_000_000, headers: [], value: Buffer.from(value) });

const columns = [col('id', T.Int64), col('name'), col('n', T.Int32), col('x', T.Float64), col('ok', T.Boolean), col('ts', T.Timestamptz), col('d', T.Decimal)];

/** The general path's row or error text for one message. */
function general(cols: readonly SourceColumn[], text: string, read?: boolean[]): unknown {
  try {
    return buildRow(cols, parseJsonObject(Buffer.from(text), 'message'), msg(text), 'default', 'UTC', read);
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

function fast(cols: readonly SourceColumn[], text: string, read?: boolean[]): unknown {
  try {
    const r = new FlatJsonRowDecoder(cols, read, 'UTC').decode(msg(text), Buffer.from(text));
    return r === FALLBACK ? FALLBACK : r;
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

describe('FlatJsonRowDecoder (the fast path of PLAIN JSON)', () => {
  it('decodes flat objects exactly as JSON.parse + jsonToDatum do', () => {
    const cases = [
      '{"id":1,"name":"a","n":-2,"x":1.5,"ok":true,"ts":"2026-11-21T12:00:00Z","d":"1.50"}',
      ' { "name" : "héllo wörld" , "id" : 9007199254740991 , "x" : -0 , "ok" : false } ',
      '{"ts":"2024-02-29T23:59:59.5+05:30","x":1e-7,"n":0,"d":12.25}',
      '{"ts":"2024-02-29T23:59:59.123-00:45","x":-12.5E+3}',
      '{"ts":1700000000123,"id":"42","n":"7"}',
      '{"ts":"2024-01-01 10:00:00","name":12}',
      '{"ts":"2023-02-29T00:00:00Z"}',
      '{"ts":"2024-01-01T24:00:00Z"}',
      '{"ts":"2024-01-01T10:00:00.1234Z"}',
      '{"id":null,"name":null,"extra":"ignored","more":123,"flag":true}',
      '{"id":1,"id":2}',
      '{}',
      '{"n":2147483648}',
      '{"n":1.5}',
      '{"ok":"yes"}',
      '{"x":"NaN"}',
    ];
    for (const text of cases) {
      const f = fast(columns, text);
      expect(f, text).not.toBe(FALLBACK);
      expect(f, text).toEqual(general(columns, text));
    }
  });

  it('leaves what it does not handle to the general path', () => {
    const cases = [
      '{"name":"a\\"b"}', // escape
      '{"name":{"a":1}}', // nested
      '{"tags":[1,2]}', // nested value of an unknown field
      '{"ID":1}', // case-insensitive match
      '{"id":01}',
      '{"id":1,}',
      '{"id":1} x',
      '[1]',
      '{"id":1',
      '{"name":"tab\there"}',
    ];
    for (const text of cases) expect(fast(columns, text), text).toBe(FALLBACK);
  });

  it('leaves unread columns NULL but still rejects bad values there (both paths)', () => {
    const read = [true, false, false, true, true, true, true];
    const text = '{"id":3,"name":"x","n":7,"x":2.5}';
    expect(fast(columns, text, read)).toEqual([3n, null, null, 2.5, null, null, null]);
    expect(general(columns, text, read)).toEqual([3n, null, null, 2.5, null, null, null]);
    const bad = '{"id":3,"name":"x","n":"not a number"}';
    expect(fast(columns, bad, read)).toBe('error: column n: expected integer, got string "not a number"');
    expect(general(columns, bad, read)).toBe('error: column n: expected integer, got string "not a number"');
    const unreadOnly = [false, false, false, false, false, false, false];
    expect(fast(columns, '{"id":1.5}', unreadOnly)).toBe('error: column id: expected bigint, got number 1.5');
    expect(general(columns, '{"id":1.5}', unreadOnly)).toBe('error: column id: expected bigint, got number 1.5');
  });

  it('gives the general path the same results through the parser, including exact big integers and errors', () => {
    const p = createRecordParser({ format: 'plain', encode: 'json', columns });
    expect(p.parseRow!(msg('{"id":9223372036854775807}'))).toEqual([9223372036854775807n, null, null, null, null, null, null]);
    expect(p.parseRow!(msg('{"n":"x"}'))).toEqual({ partition: 1, offset: 9, reason: 'column n: expected integer, got string "x"' });
    expect(p.parseRow!(msg('{"n":'))).toMatchObject({ partition: 1, offset: 9, reason: expect.stringMatching(/^invalid JSON in message/) });
    expect(p.parseRow!(msg(''))).toBeNull();
  });
});
