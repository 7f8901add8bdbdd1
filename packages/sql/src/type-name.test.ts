import { T, listOf, typeName } from '@freshet/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, parseSql, resolveTypeName } from './index';
import type { PgStatement } from './statement';

beforeAll(() => initParser());

/** Resolves the type of `NULL::<type>` written by the user. */
function resolve(type: string) {
  const s = parseSql(`select null::${type}`)[0] as PgStatement;
  return resolveTypeName(s.node.SelectStmt.targetList[0].ResTarget.val.TypeCast.typeName, s.rw);
}

describe('resolveTypeName', () => {
  it('maps every RisingWave type name and alias', () => {
    const cases: [string, unknown][] = [
      ['int2', T.Int16], ['smallint', T.Int16],
      ['int4', T.Int32], ['int', T.Int32], ['integer', T.Int32],
      ['int8', T.Int64], ['bigint', T.Int64],
      ['float4', T.Float32], ['real', T.Float32],
      ['float8', T.Float64], ['double precision', T.Float64], ['double', T.Float64], ['float', T.Float64],
      ['float(24)', T.Float32], ['float(25)', T.Float64],
      ['numeric', T.Decimal], ['decimal', T.Decimal], ['numeric(10,2)', T.Decimal], ['decimal(5)', T.Decimal],
      ['varchar', T.Varchar], ['varchar(10)', T.Varchar], ['text', T.Varchar], ['character varying', T.Varchar],
      ['char(3)', T.Varchar], ['character', T.Varchar], ['string', T.Varchar],
      ['bytea', T.Bytea], ['date', T.Date], ['time', T.Time], ['time without time zone', T.Time],
      ['timestamp', T.Timestamp], ['timestamp(3)', T.Timestamp], ['timestamp without time zone', T.Timestamp],
      ['timestamptz', T.Timestamptz], ['timestamp with time zone', T.Timestamptz],
      ['interval', T.Interval], ['interval day to second', T.Interval], ['interval hour', T.Interval],
      ['jsonb', T.Jsonb], ['json', T.Jsonb], ['serial', T.Serial], ['boolean', T.Boolean], ['bool', T.Boolean],
      ['pg_catalog.int4', T.Int32],
    ];
    for (const [name, want] of cases) expect(resolve(name), name).toBe(want);
  });

  it('maps arrays, including multi-dimensional and SQL-standard ARRAY', () => {
    expect(resolve('int[]')).toEqual(listOf(T.Int32));
    expect(resolve('int[][]')).toEqual(listOf(listOf(T.Int32)));
    expect(resolve('varchar[3]')).toEqual(listOf(T.Varchar));
    expect(resolve('integer array')).toEqual(listOf(T.Int32));
    expect(typeName(resolve('struct<a int[], b struct<c varchar>>[]'))).toBe('struct<a integer[], b struct<c character varying>>[]');
  });

  it('accepts the {TypeName: …} wrapper too', () => {
    const s = parseSql('create table t (a bigint)')[0] as PgStatement;
    const tn = s.node.CreateStmt.tableElts[0].ColumnDef.typeName;
    expect(resolveTypeName({ TypeName: tn })).toBe(T.Int64);
  });

  it('rejects unknown and unsupported types', () => {
    for (const [name, shown] of [
      ['uuid', 'uuid'],
      ['foo', 'foo'],
      ['myschema.mytype', 'myschema.mytype'],
      ['__rw_struct_9', '__rw_struct_9'],
    ]) {
      expect(() => resolve(name)).toThrowError(expect.objectContaining({ code: '42704', message: `type "${shown}" does not exist` }));
    }
    expect(() => resolve('time with time zone')).toThrowError(expect.objectContaining({ code: '0A000' }));
  });
});
