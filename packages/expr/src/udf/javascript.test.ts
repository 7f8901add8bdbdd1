import { describe, expect, it } from 'vitest';
import { Decimal, Jsonb, StructValue, T, listOf, structOf, type SqlError } from '@freshet/common';
import { compileJsScalar, compileJsTable } from './javascript';

const ctx = { timeZone: 'UTC', now: 0 };
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as SqlError).code;
  }
  return 'no error';
};

describe('JavaScript UDFs', () => {
  it('runs a scalar body over named arguments (RisingWave docs gcd)', () => {
    const gcd = compileJsScalar({
      name: 'gcd',
      argNames: ['a', 'b'],
      argTypes: [T.Int32, T.Int32],
      returnType: T.Int32,
      body: 'if (a == null || b == null) return null; while (b != 0) { let t = b; b = a % b; a = t; } return a;',
    });
    expect(gcd.eval([25, 15], ctx)).toBe(5);
    expect(gcd.eval([null, 15], ctx)).toBe(null);
    expect(gcd.evalBatch([[12, 18], [7, 3]], ctx)).toEqual([6, 1]);
  });

  it('maps SQL types to JavaScript values and back', () => {
    const echo = (t: Parameters<typeof listOf>[0], body = 'return x;') => compileJsScalar({ name: 'f', argNames: ['x'], argTypes: [t], returnType: t, body });
    expect(echo(T.Int64).eval([42n], ctx)).toBe(42n);
    expect(echo(T.Float64).eval([NaN], ctx)).toBeNaN();
    expect(echo(T.Varchar, 'return x.toUpperCase();').eval(['abc'], ctx)).toBe('ABC');
    expect(echo(T.Boolean, 'return !x;').eval([true], ctx)).toBe(false);
    expect((echo(T.Decimal, 'return x * 2;').eval([Decimal.tryParse('1.25')!], ctx) as Decimal).toString()).toBe('2.5');
    expect(echo(T.Bytea, 'return x instanceof Uint8Array ? x.reverse() : null;').eval([Uint8Array.from([1, 2, 3])], ctx)).toEqual(Uint8Array.from([3, 2, 1]));
    expect(echo(listOf(T.Int32), 'return x instanceof Int32Array ? x.map((v) => v * 2) : null;').eval([[1, 2]], ctx)).toEqual([2, 4]);
    expect(echo(listOf(T.Int64), 'return x instanceof BigInt64Array ? x : null;').eval([[1n, 2n]], ctx)).toEqual([1n, 2n]);
    expect(echo(listOf(T.Varchar), 'return Array.isArray(x) ? x.concat(["z"]) : null;').eval([['a', null]], ctx)).toEqual(['a', null, 'z']);
    const j = echo(T.Jsonb, 'return { n: x.a + 1, $b: "kept", list: [true, null] };').eval([new Jsonb({ a: 1 })], ctx) as Jsonb;
    expect(j.value).toEqual({ n: 2, $b: 'kept', list: [true, null] });
    const st = structOf([{ name: 'a', type: T.Int32 }, { name: 'b', type: T.Varchar }]);
    expect(echo(st, 'return { a: x.a + 1, b: x.b + "!" };').eval([new StructValue([1, 'hi'])], ctx)).toEqual(new StructValue([2, 'hi!']));
  });

  it('runs RETURNS TABLE generators', () => {
    const series = compileJsTable({ name: 'series', argNames: ['n'], argTypes: [T.Int32], tableColumns: [{ name: 'x', type: T.Int32 }], body: 'for (let i = 0; i < n; i++) yield i;' });
    expect([...series.eval([3], ctx)]).toEqual([[0], [1], [2]]);
    const pairs = compileJsTable({
      name: 'pairs',
      argNames: ['n'],
      argTypes: [T.Int32],
      tableColumns: [{ name: 'i', type: T.Int32 }, { name: 's', type: T.Varchar }],
      body: 'for (let i = 0; i < n; i++) yield { i, s: "v" + i };',
    });
    expect([...pairs.eval([2], ctx)]).toEqual([[0, 'v0'], [1, 'v1']]);
  });

  it('reports errors with SQLSTATEs and keeps going', () => {
    expect(code(() => compileJsScalar({ name: 'bad', argNames: [], argTypes: [], returnType: T.Int32, body: 'return (' }))).toBe('42P13');
    expect(code(() => compileJsScalar({ name: 'inj', argNames: [], argTypes: [], returnType: T.Int32, body: '}); while(true){} (function(){' }))).toBe('42P13');
    expect(code(() => compileJsScalar({ name: 'd', argNames: ['d'], argTypes: [T.Date], returnType: T.Int32, body: 'return 1' }))).toBe('0A000');
    const thrower = compileJsScalar({ name: 'boom', argNames: [], argTypes: [], returnType: T.Int32, body: 'throw new RangeError("nope")' });
    expect(() => thrower.eval([], ctx)).toThrow(/boom raised RangeError: nope/);
    expect(code(() => thrower.eval([], ctx))).toBe('38000');
    const loop = compileJsScalar({ name: 'spin', argNames: [], argTypes: [], returnType: T.Int32, body: 'while (true) {}', timeoutMs: 50 });
    expect(code(() => loop.eval([], ctx))).toBe('57014');
    const wrong = compileJsScalar({ name: 'w', argNames: [], argTypes: [], returnType: T.Int32, body: 'return "x"' });
    expect(code(() => wrong.eval([], ctx))).toBe('42804');
    const big = compileJsScalar({ name: 'b', argNames: [], argTypes: [], returnType: T.Int16, body: 'return 70000' });
    expect(code(() => big.eval([], ctx))).toBe('22003');
  });

  it('gives the body no way out of its context', () => {
    const probe = compileJsScalar({
      name: 'probe',
      argNames: ['s'],
      argTypes: [listOf(T.Varchar)],
      returnType: T.Varchar,
      body: `return [typeof process, typeof require, typeof setTimeout,
        String((() => { try { return this.constructor.constructor('return typeof process')(); } catch (e) { return 'threw'; } })()),
        s.constructor.constructor('return typeof process')()].join(',');`,
    });
    expect(probe.eval([['a']], ctx)).toBe('undefined,undefined,undefined,undefined,undefined');
    const promiseLoop = compileJsScalar({ name: 'p', argNames: [], argTypes: [], returnType: T.Int32, body: 'Promise.resolve().then(() => { while (true) {} }); return 1;', timeoutMs: 50 });
    expect(code(() => promiseLoop.eval([], ctx))).toBe('57014');
  });
});
