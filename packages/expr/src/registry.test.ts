import { describe, expect, it } from 'vitest';
import { listOf, T, typeName } from '@freshet/common';
import { resolveScalar } from './registry';

describe('overload resolution', () => {
  const cases: [string, string, any[], string[], string][] = [
    // [label, fn, actual arg types, chosen arg types, return type]
    ['same ints', 'add', [T.Int32, T.Int32], ['integer', 'integer'], 'integer'],
    ['int + bigint widens', 'add', [T.Int32, T.Int64], ['bigint', 'bigint'], 'bigint'],
    ['smallint + real → double', 'add', [T.Int16, T.Float32], ['double precision', 'real'], 'double precision'],
    ['unknown side takes the other type', 'add', [T.Int64, T.Unknown], ['bigint', 'bigint'], 'bigint'],
    ['compare int with unknown', 'equal', [T.Int32, T.Unknown], ['integer', 'integer'], 'boolean'],
    ['compare date with timestamptz', 'less_than', [T.Date, T.Timestamptz], ['timestamp with time zone', 'timestamp with time zone'], 'boolean'],
    ['unknown string arg prefers varchar', 'length', [T.Unknown], ['character varying'], 'integer'],
    ['concat is variadic any', 'concat', [T.Int32, T.Unknown, T.Boolean], ['integer', 'character varying', 'boolean'], 'character varying'],
    ['|| of unknowns is text concat', 'concat_op', [T.Unknown, T.Unknown], ['character varying', 'character varying'], 'character varying'],
    ['text || int', 'concat_op', [T.Varchar, T.Int32], ['character varying', 'integer'], 'character varying'],
  ];
  it.each(cases)('%s', (_l, name, actual, chosen, ret) => {
    const impl = resolveScalar(name, actual);
    expect(impl.argTypes.map(typeName)).toEqual(chosen);
    expect(typeName(impl.returnType)).toBe(ret);
  });

  it('reports unknown functions with 42883 and the argument types', () => {
    expect(() => resolveScalar('foo', [T.Int32, T.Varchar])).toThrow(
      expect.objectContaining({ code: '42883', message: 'function foo(integer, character varying) does not exist' }),
    );
  });
  it('reports a missing overload', () => {
    expect(() => resolveScalar('add', [T.Boolean, T.Int32])).toThrow(expect.objectContaining({ code: '42883' }));
    expect(() => resolveScalar('length', [listOf(T.Int32)])).toThrow(expect.objectContaining({ code: '42883' }));
  });
  it('is case-insensitive in the name', () => {
    expect(resolveScalar('LENGTH', [T.Varchar]).name).toBe('length');
  });
});
