import { describe, expect, it } from 'vitest';
import { SqlError, StructValue, T, listOf, structOf } from '@freshet/common';
import type { SourceSpec } from '../api';
import { datagenConnector } from '.';
import { RowRng } from './fields';
import { SmallRng } from '../rng';

const spec = (columns: SourceSpec['columns'], options: Record<string, string>): SourceSpec => ({
  name: 'dg',
  connector: 'datagen',
  options: { connector: 'datagen', ...options },
  columns,
});

function readAll(s: SourceSpec): unknown[][] {
  const r = datagenConnector.open!(s, { now: () => 0, unthrottled: true });
  const out: unknown[][] = [];
  for (let rows = r.pull(100); rows.length > 0; rows = r.pull(100)) out.push(...rows);
  return out;
}

function errorOf(s: SourceSpec): string {
  try {
    datagenConnector.validate(s);
  } catch (e) {
    expect(e).toBeInstanceOf(SqlError);
    return `${(e as SqlError).code} ${(e as SqlError).message}`;
  }
  return 'no error';
}

describe('datagen connector', () => {
  it('sequences count start..end across splits and end the source', () => {
    const s = spec([{ name: 'id', type: T.Int32 }], { 'fields.id.kind': 'sequence', 'fields.id.start': '1', 'fields.id.end': '10', 'datagen.split.num': '3' });
    const rows = readAll(s);
    expect(rows.map((r) => r[0]).sort((a, b) => (a as number) - (b as number))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(datagenConnector.bounded!(s)).toBe(true);
    const r = datagenConnector.open!(s, { now: () => 0, unthrottled: true });
    while (r.pull(100).length > 0);
    expect(r.exhausted).toBe(true);
    expect(r.offsets()).toEqual({ '3-0': '4', '3-1': '3', '3-2': '3' });
  });

  it('seeds each row as RisingWave does (offset xor seed), also past 2^32 and for big seeds', () => {
    for (const seed of [0n, 1n, 7n, 0xdead_beefn, 2n ** 40n + 5n, 2n ** 53n - 1n, 2n ** 60n + 3n, 2n ** 64n - 1n]) {
      const rows = new RowRng(seed);
      for (const offset of [0, 1, 2, 1000, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 12345, 2 ** 45 + 7, Number.MAX_SAFE_INTEGER]) {
        const want = new SmallRng(BigInt(offset) ^ seed);
        const got = rows.at(offset);
        for (let i = 0; i < 3; i++) {
          want.nextU64();
          got.nextU64();
          expect([got.hi, got.lo]).toEqual([want.hi, want.lo]);
        }
      }
    }
  });

  it('random values respect min/max/length, are a function of (seed, offset) and have RisingWave shapes', () => {
    const cols = [
      { name: 'id', type: T.Int64 },
      { name: 'r', type: T.Int32 },
      { name: 'f', type: T.Float64 },
      { name: 'v', type: T.Varchar },
      { name: 'ts', type: T.Timestamptz },
      { name: 's', type: structOf([{ name: 'a', type: T.Int16 }, { name: 'b', type: T.Varchar }]) },
      { name: 'l', type: listOf(T.Int32) },
    ];
    const opts = {
      'fields.id.kind': 'sequence', 'fields.id.end': '199',
      'fields.r.min': '-5', 'fields.r.max': '5', 'fields.r.seed': '7',
      'fields.f.min': '1.5', 'fields.f.max': '2.5',
      'fields.v.length': '3',
      'fields.ts.basetime': '2024-01-01T00:00:00Z', 'fields.ts.max_past': '1h',
      'fields.s.a.kind': 'sequence', 'fields.s.a.start': '100', 'fields.s.a.end': '1000',
      'fields.l.length': '2',
    };
    const rows = readAll(spec(cols, opts));
    expect(rows.length).toBe(200);
    const base = Date.parse('2024-01-01T00:00:00Z') * 1000;
    rows.forEach((row, i) => {
      expect(row[0]).toBe(BigInt(i));
      expect(row[1]).toBeGreaterThanOrEqual(-5);
      expect(row[1]).toBeLessThanOrEqual(5);
      expect(row[2]).toBeGreaterThanOrEqual(1.5);
      expect(row[2]).toBeLessThan(2.5);
      expect(row[3]).toMatch(/^[A-Za-z0-9]{3}$/);
      expect(row[4]).toBeLessThanOrEqual(base);
      expect(row[4]).toBeGreaterThanOrEqual(base - 3_600_000_000);
      expect(row[5]).toBeInstanceOf(StructValue);
      expect((row[5] as StructValue).fields[0]).toBe(100 + i);
      expect((row[6] as unknown[]).length).toBe(2);
    });
    expect(new Set(rows.map((r) => r[1])).size).toBe(11);
    expect(readAll(spec(cols, opts))).toEqual(rows);
    const reseeded = readAll(spec(cols, { ...opts, 'fields.r.seed': '8' }));
    expect(reseeded.map((r) => r[1])).not.toEqual(rows.map((r) => r[1]));
  });

  it('paces splits by datagen.rows.per.second, one second at a time', () => {
    let now = 1000;
    const r = datagenConnector.open!(spec([{ name: 'v', type: T.Int32 }], { 'datagen.rows.per.second': '5', 'datagen.split.num': '2' }), { now: () => now });
    expect(r.pull(100).length).toBe(5);
    expect(r.pull(100).length).toBe(0);
    now = 2000;
    expect(r.pull(100).length).toBe(5);
    expect(datagenConnector.bounded!(spec([{ name: 'v', type: T.Int32 }], {}))).toBe(false);
  });

  it('rejects bad options naming them', () => {
    const c = [{ name: 'a', type: T.Int32 }];
    expect(errorOf(spec(c, { 'fields.b.kind': 'sequence' }))).toBe('22023 datagen option fields.b.kind names no column of the source');
    expect(errorOf(spec(c, { 'fields.a.colour': 'red' }))).toMatch(/^22023 unknown datagen option fields.a.colour/);
    expect(errorOf(spec(c, { 'fields.a.kind': 'zigzag' }))).toMatch(/^22023 invalid value 'zigzag' for option fields.a.kind/);
    expect(errorOf(spec(c, { 'fields.a.min': 'x' }))).toMatch(/^22023 invalid value 'x' for option fields.a.min: expected a integer/);
    expect(errorOf(spec(c, { 'fields.a.min': '9', 'fields.a.max': '1' }))).toMatch(/^22023 .*min 9 is greater than max 1/);
    expect(errorOf(spec(c, { 'datagen.rows.per.second': 'fast' }))).toMatch(/^22023 .*datagen.rows.per.second/);
    expect(errorOf(spec(c, { 'datagen.rows.per.sec': '1' }))).toMatch(/^22023 unknown option datagen.rows.per.sec/);
    expect(errorOf(spec([{ name: 't', type: T.Timestamp }], { 'fields.t.max_past': 'forever' }))).toMatch(/^22023 .*fields.t.max_past/);
    expect(errorOf(spec([{ name: 't', type: T.Timestamp }], { 'fields.t.kind': 'sequence' }))).toMatch(/^22023 datagen cannot generate a sequence of timestamp/);
    expect(errorOf(spec([{ name: 'b', type: T.Boolean }], {}))).toMatch(/^0A000 .*boolean/);
    expect(errorOf(spec([], {}))).toMatch(/^42601 a datagen source needs a column list/);
  });
});
