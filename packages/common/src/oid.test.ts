import { describe, expect, it } from 'vitest';
import { typeFromOid, typeOid, typeSize } from './oid';
import { T, listOf, structOf, typeEquals } from './types';

describe('type OIDs', () => {
  it.each([
    [T.Boolean, 16, 1],
    [T.Bytea, 17, -1],
    [T.Int64, 20, 8],
    [T.Int16, 21, 2],
    [T.Int32, 23, 4],
    [T.Float32, 700, 4],
    [T.Float64, 701, 8],
    [T.Varchar, 1043, -1],
    [T.Date, 1082, 4],
    [T.Time, 1083, 8],
    [T.Timestamp, 1114, 8],
    [T.Timestamptz, 1184, 8],
    [T.Interval, 1186, 16],
    [T.Decimal, 1700, -1],
    [T.Jsonb, 3802, -1],
    [T.Serial, 20, 8],
    [T.Unknown, 705, -2],
  ])('%o', (t, oid, size) => {
    expect(typeOid(t)).toBe(oid);
    expect(typeSize(t)).toBe(size);
  });

  it.each([
    [T.Boolean, 1000],
    [T.Bytea, 1001],
    [T.Int16, 1005],
    [T.Int32, 1007],
    [T.Int64, 1016],
    [T.Float32, 1021],
    [T.Float64, 1022],
    [T.Varchar, 1015],
    [T.Date, 1182],
    [T.Time, 1183],
    [T.Timestamp, 1115],
    [T.Timestamptz, 1185],
    [T.Interval, 1187],
    [T.Decimal, 1231],
    [T.Jsonb, 3807],
  ])('array of %o', (t, oid) => {
    expect(typeOid(listOf(t))).toBe(oid);
    expect(typeOid(listOf(listOf(t)))).toBe(oid);
    expect(typeEquals(typeFromOid(oid)!, listOf(t))).toBe(true);
  });

  it('records and aliases', () => {
    expect(typeOid(structOf([{ name: 'a', type: T.Int32 }]))).toBe(2249);
    expect(typeFromOid(25)).toBe(T.Varchar);
    expect(typeFromOid(1043)).toBe(T.Varchar);
    expect(typeFromOid(20)).toBe(T.Int64);
    expect(typeFromOid(705)).toBe(T.Unknown);
    expect(typeFromOid(1009)?.kind).toBe('list');
    expect(typeFromOid(99999)).toBeUndefined();
  });
});
