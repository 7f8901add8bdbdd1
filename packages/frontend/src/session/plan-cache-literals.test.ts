import { describe, expect, it } from 'vitest';
import { parameteriseLiterals } from './plan-cache-literals';

describe('parameteriseLiterals', () => {
  it('lifts integer and string literals into $n placeholders', () => {
    const p = parameteriseLiterals("SELECT * FROM t WHERE id = 42 AND name = 'bob'")!;
    expect(p.template).toBe('SELECT * FROM t WHERE id = $1 AND name = $2');
    expect(p.literals).toEqual([
      { kind: 'int4', text: '42' },
      { kind: 'string', text: 'bob' },
    ]);
  });

  it('gives statements that differ only in literals the same key', () => {
    const a = parameteriseLiterals('SELECT * FROM t WHERE id = 1')!;
    const b = parameteriseLiterals('SELECT * FROM t WHERE id = 999')!;
    expect(a.key).toBe(b.key);
  });

  it('sizes integers like the PostgreSQL lexer: int4, then int8, then left in the text', () => {
    expect(parameteriseLiterals('SELECT 2147483647')!.literals[0].kind).toBe('int4');
    expect(parameteriseLiterals('SELECT 2147483648')!.literals[0].kind).toBe('int8');
    expect(parameteriseLiterals('SELECT 9223372036854775807')!.literals[0].kind).toBe('int8');
    expect(parameteriseLiterals('SELECT 9223372036854775808')).toBeNull();
    // Same text, different literal types: different keys (they plan differently).
    expect(parameteriseLiterals('SELECT * FROM t WHERE id = 1')!.key).not.toBe(parameteriseLiterals('SELECT * FROM t WHERE id = 5000000000')!.key);
    expect(parameteriseLiterals("SELECT * FROM t WHERE id = '1'")!.key).not.toBe(parameteriseLiterals('SELECT * FROM t WHERE id = 1')!.key);
  });

  it('leaves decimals, exponents and digits inside identifiers alone', () => {
    expect(parameteriseLiterals('SELECT 1.5, 2e3, .5, t1.c2 FROM t1')).toBeNull();
    const p = parameteriseLiterals('SELECT c1 FROM t2 WHERE c1 = 7 AND c2 = 1.25')!;
    expect(p.template).toBe('SELECT c1 FROM t2 WHERE c1 = $1 AND c2 = 1.25');
  });

  it("unescapes '' and keeps quoted identifiers and line comments in the template", () => {
    const p = parameteriseLiterals(`SELECT "we""ird 1" FROM t -- id = 3\nWHERE k = 'it''s'`)!;
    expect(p.template).toBe(`SELECT "we""ird 1" FROM t -- id = 3\nWHERE k = $1`);
    expect(p.literals).toEqual([{ kind: 'string', text: "it's" }]);
  });

  it('gives up on what it does not fully understand', () => {
    expect(parameteriseLiterals("SELECT E'a\\'b'")).toBeNull(); // escape string
    expect(parameteriseLiterals("SELECT X'ff'")).toBeNull();
    expect(parameteriseLiterals("SELECT date'2024-01-01'")).toBeNull();
    expect(parameteriseLiterals('SELECT $1')).toBeNull();
    expect(parameteriseLiterals('SELECT $$a$$')).toBeNull();
    expect(parameteriseLiterals('SELECT /* 1 */ 2')).toBeNull();
    expect(parameteriseLiterals("SELECT 'open")).toBeNull();
    expect(parameteriseLiterals('SELECT "open')).toBeNull();
    expect(parameteriseLiterals('SELECT * FROM t')).toBeNull(); // nothing to lift
  });
});

describe('parameteriseLiterals: what it looks at', () => {
  it('only considers SELECT statements of reasonable length', () => {
    expect(parameteriseLiterals('  select * from t where id = 1')).not.toBeNull();
    expect(parameteriseLiterals('SELECT*FROM t WHERE id = 1')).not.toBeNull();
    expect(parameteriseLiterals('INSERT INTO t VALUES (1)')).toBeNull();
    expect(parameteriseLiterals('SELECTED 1')).toBeNull();
    expect(parameteriseLiterals(`SELECT * FROM t WHERE id IN (${Array.from({ length: 2000 }, (_, i) => i).join(',')})`)).toBeNull();
  });
});

describe('string literals that are part of a typed literal', () => {
  it('gives up after a word that may be a type name', () => {
    expect(parameteriseLiterals("SELECT interval '5' hour")).toBeNull();
    expect(parameteriseLiterals("SELECT * FROM t WHERE d > DATE '1998-12-01' - interval '90' day")).toBeNull();
    expect(parameteriseLiterals("SELECT ts AT TIME ZONE 'UTC' FROM t WHERE id = 1")).toBeNull();
  });

  it('lifts strings after symbols and value keywords', () => {
    const p = parameteriseLiterals("SELECT 'a', x FROM t WHERE s = 'b' AND s LIKE 'c%' OR s IN ('d') AND CASE WHEN x THEN 'e' ELSE 'f' END = '5'::interval");
    expect(p?.literals.map((l) => l.text)).toEqual(['a', 'b', 'c%', 'd', 'e', 'f', '5']);
  });
});
