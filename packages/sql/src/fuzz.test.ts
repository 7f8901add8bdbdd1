/**
 * Robustness: random and truncated SQL must only ever produce Statement[] or SqlError
 * (never another exception, a hang, or a broken parser afterwards).
 */
import { SqlError } from '@freshet/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, parseSql } from './index';

beforeAll(() => initParser());

const CORPUS = [
  "CREATE SOURCE s (a int, ts timestamptz, watermark for ts as ts - interval '5' second) INCLUDE key AS k WITH (connector = 'kafka', properties.bootstrap.server = 'k:9092') FORMAT PLAIN ENCODE JSON (x = 'y');",
  "create table t (v1 int, v2 struct<a int, b struct<c varchar>>[], primary key (v1)) append only on conflict do update if not null with (a.b.c = 1);",
  "create materialized view mv with (p = 1) as with c as changelog from t select * except (a), x.* except (b) from c join v for system_time as of proctime() on true union all corresponding by (a) select 1 emit on window close;",
  "CREATE SINK s INTO t (a, b) AS SELECT 'x;y', $$a$$, E'\\'' FROM u WITH (connector='blackhole') FORMAT UPSERT ENCODE JSON KEY ENCODE TEXT;",
  "show create materialized view mv; show tables from public like 'a%'; describe t; flush; drop sink if exists a, b cascade;",
  "explain (verbose, type physical) create index i on t(a) distributed by (a); explain select \"q\"\"x\" from t /* c /* n */ */ -- z\n;",
  "select a::numeric(10,2)[], cast(b as struct<x int>), row(1,2), array[1,2][1], 'é😀' || U&'\\0041' from t where c in (1, 2) order by 1 limit 3;",
];

/** Deterministic PRNG so failures reproduce. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PIECES = [
  "'", '"', '$$', '$a$', '--', '/*', '*/', '(', ')', '[', ']', '<', '>', '>>', ';', ',', '.', '::', '=', 'struct', 'STRUCT<',
  'watermark for', 'with (', 'format', 'encode', 'emit on window close', 'for system_time as of', 'except (', 'corresponding',
  'create', 'source', 'sink', 'table', 'show', 'describe', 'flush', 'drop', 'explain', 'select', 'from', 'as', 'changelog',
  'E\'', 'U&"', '$1', '1e', '0x', 'é', '😀', '\ud800', '\u0000', ' ', '\n',
];

function check(sql: string): void {
  try {
    const r = parseSql(sql);
    expect(Array.isArray(r)).toBe(true);
    for (const s of r) {
      expect(typeof s.kind).toBe('string');
      expect(typeof s.text).toBe('string');
      expect(s.location).toBeGreaterThanOrEqual(0);
    }
  } catch (e) {
    if (!(e instanceof SqlError)) throw new Error(`non-SqlError for ${JSON.stringify(sql)}: ${e}`);
    if (e.position !== undefined) {
      expect(e.position).toBeGreaterThanOrEqual(1);
      expect(e.position).toBeLessThanOrEqual(sql.length + 1);
    }
  }
}

describe('fuzz', () => {
  it('every prefix of the corpus statements', () => {
    for (const sql of CORPUS) {
      for (let i = 0; i <= sql.length; i++) check(sql.slice(0, i));
    }
  });

  it('random splices of corpus text and tricky pieces', () => {
    const r = rng(42);
    for (let n = 0; n < 3000; n++) {
      let sql = '';
      const parts = 1 + Math.floor(r() * 8);
      for (let k = 0; k < parts; k++) {
        if (r() < 0.5) sql += PIECES[Math.floor(r() * PIECES.length)] + ' ';
        else {
          const src = CORPUS[Math.floor(r() * CORPUS.length)];
          const a = Math.floor(r() * src.length);
          sql += src.slice(a, a + Math.floor(r() * 40));
        }
      }
      check(sql);
    }
  });

  it('random characters', () => {
    const r = rng(7);
    const alphabet = "abcsSELECTfromwith()[]<>;,.'\"$-/*:= \n0123456789é";
    for (let n = 0; n < 2000; n++) {
      let sql = '';
      const len = Math.floor(r() * 60);
      for (let k = 0; k < len; k++) sql += alphabet[Math.floor(r() * alphabet.length)];
      check(sql);
    }
  });

  it('deep nesting and long inputs fail cleanly, and the parser still works after', () => {
    check('('.repeat(100000));
    check('select ' + 'array['.repeat(3000) + '1' + ']'.repeat(3000));
    check('select 1' + ' + 1'.repeat(100000));
    check('create table t (a ' + 'struct<a '.repeat(200) + 'int' + '>'.repeat(200) + ')');
    expect(parseSql('select 1')).toHaveLength(1);
  });
});
