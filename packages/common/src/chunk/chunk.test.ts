import { describe, expect, it } from 'vitest';
import { Decimal } from '../decimal';
import { T } from '../types';
import {
  Column,
  ColumnBuilder,
  DataChunk,
  Op,
  Repr,
  StreamChunk,
  StreamChunkBuilder,
  dataChunkFromPretty,
  dataChunkToPretty,
  streamChunkFromPretty,
  streamChunkToPretty,
} from './index';

describe('Column', () => {
  it('stores fixed-width types in typed arrays with a null mask', () => {
    const c = Column.fromDatums(T.Int32, [1, null, 3]);
    expect(c.repr).toBe(Repr.Number);
    expect(c.values).toBeInstanceOf(Int32Array);
    expect(Array.from(c.nulls!)).toEqual([0, 1, 0]);
    expect(c.toDatums()).toEqual([1, null, 3]);
    const b = Column.fromDatums(T.Int64, [5n, -2n]);
    expect(b.values).toBeInstanceOf(BigInt64Array);
    expect(b.nulls).toBeNull();
    expect(b.get(1)).toBe(-2n);
    expect(Column.fromDatums(T.Boolean, [true, false, null]).toDatums()).toEqual([true, false, null]);
    expect(Column.fromDatums(T.Timestamptz, [1.5e15]).values).toBeInstanceOf(Float64Array);
  });

  it('keeps other types in plain arrays', () => {
    const c = Column.fromDatums(T.Varchar, ['a', null]);
    expect(c.repr).toBe(Repr.Object);
    expect(c.isNull(1)).toBe(true);
    expect(c.isNull(0)).toBe(false);
  });

  it('builder grows past its initial capacity and copies rows without boxing', () => {
    const b = new ColumnBuilder(T.Float64, 1);
    for (let i = 0; i < 100; i++) b.push(i % 7 === 0 ? null : i / 2);
    const c = b.finish();
    expect(c.length).toBe(100);
    expect(c.get(0)).toBeNull();
    expect(c.get(3)).toBe(1.5);
    const b2 = new ColumnBuilder(T.Float64, 2);
    b2.pushFrom(c, 3);
    b2.pushFrom(c, 7);
    expect(b2.finish().toDatums()).toEqual([1.5, null]);
  });

  it('builder take copies the rows out and reuses its arrays without leaking the last rows', () => {
    for (const [type, first, second] of [
      [T.Int64, [7n, null, 9n], [null, 4n]],
      [T.Float64, [1.5, 2.5, null], [null, null]],
      [T.Boolean, [true, null, true], [null, false]],
      [T.Varchar, ['a', 'b', null], [null, 'd']],
    ] as const) {
      const b = new ColumnBuilder(type, 2);
      for (const d of first) b.push(d);
      const c1 = b.take();
      expect(c1.length).toBe(3);
      expect(b.length).toBe(0);
      // Rows written over the same slots must not show through the first column, and a
      // NULL written where a value was holds the typed zero (or null), not the old value.
      for (const d of second) b.push(d);
      const c2 = b.take();
      expect(c1.toDatums()).toEqual(first);
      expect(c2.toDatums()).toEqual(second);
      expect(c2.values.length).toBe(second.length);
      if (c2.repr !== Repr.Object) expect(Array.from(c2.values as ArrayLike<unknown>)[0]).toBe(type === T.Int64 ? 0n : 0);
      else expect(c2.values[0]).toBeNull();
      // A take with no NULL left carries no null mask, though the builder kept one.
      b.push(first[0]);
      const c3 = b.take();
      expect(c3.nulls).toBeNull();
      expect(c3.toDatums()).toEqual([first[0]]);
    }
  });
});

describe('pretty fixtures', () => {
  it('parses ops, types, NULLs, quoted strings and invisible rows', () => {
    const c = streamChunkFromPretty(`
       I  T       N
       +  1 abc   1.50
       U- 5 .     3
       U+ 5 "a b" 7 D
       -  2 "."   .
    `);
    expect(c.capacity).toBe(4);
    expect(c.cardinality).toBe(3);
    expect(Array.from(c.ops)).toEqual([Op.Insert, Op.UpdateDelete, Op.UpdateInsert, Op.Delete]);
    expect(c.row(0)).toEqual([1n, 'abc', Decimal.parse('1.50')]);
    expect(c.row(1)).toEqual([5n, null, Decimal.parse('3')]);
    expect(c.row(2)[1]).toBe('a b');
    expect(c.isVisible(2)).toBe(false);
    expect(c.row(3)).toEqual([2n, '.', null]);
  });

  it('round-trips through toPretty', () => {
    const text = `
      i F     T  B
      + 1 2.5 x  t
      - . .   "" f D`;
    const c = streamChunkFromPretty(text);
    const again = streamChunkFromPretty(streamChunkToPretty(c));
    expect(again.records()).toEqual(c.records());
    expect(Array.from(again.visibility!)).toEqual([1, 0]);
    const d = dataChunkFromPretty('i T\n1 a\n2 .');
    expect(dataChunkToPretty(d)).toBe('i T\n1 a\n2 .');
  });

  it('rejects a row with the wrong number of values', () => {
    expect(() => streamChunkFromPretty('i i\n+ 1')).toThrow(/expected 2 values/);
    expect(() => streamChunkFromPretty('i\n* 1')).toThrow(/bad op/);
    expect(() => dataChunkFromPretty('Q\n1')).toThrow(/unknown type letter/);
  });
});

describe('chunks', () => {
  it('compact drops invisible rows', () => {
    const c = streamChunkFromPretty(`
      i T
      + 1 a D
      + 2 b
      - 3 . D
      - 4 d`);
    const k = c.compact();
    expect(k.visibility).toBeNull();
    expect(k.records()).toEqual([
      [Op.Insert, [2, 'b']],
      [Op.Delete, [4, 'd']],
    ]);
  });

  it('undo inverts the visible changes, last first, keeping update pairs in U-/U+ order', () => {
    const c = streamChunkFromPretty(`
      i T
      + 1 a
      + 9 z D
      U- 1 a
      U+ 1 b
      - 2 c`);
    expect(c.undo().records()).toEqual([
      [Op.Insert, [2, 'c']],
      [Op.UpdateDelete, [1, 'b']],
      [Op.UpdateInsert, [1, 'a']],
      [Op.Delete, [1, 'a']],
    ]);
    // Applying a chunk and then its undo leaves a table as it was.
    const table = new Map<number, string>([[2, 'c']]);
    const apply = (k: StreamChunk) => {
      for (const [op, [key, v]] of k.records() as [Op, [number, string]][]) {
        if (op === Op.Insert || op === Op.UpdateInsert) table.set(key, v);
        else table.delete(key);
      }
    };
    apply(c);
    expect([...table]).toEqual([[1, 'b']]);
    apply(c.undo());
    expect([...table]).toEqual([[2, 'c']]);
  });

  it('DataChunk from rows and to insert-only StreamChunk', () => {
    const d = DataChunk.fromRows([T.Int32, T.Varchar], [[1, 'a'], [null, 'b']]);
    expect(d.cardinality).toBe(2);
    expect(StreamChunk.inserts(d).records()).toEqual([
      [Op.Insert, [1, 'a']],
      [Op.Insert, [null, 'b']],
    ]);
  });

  it('builder emits full chunks and never splits an update pair', () => {
    const b = new StreamChunkBuilder([T.Int32], 3);
    expect(b.append(Op.Insert, [1])).toBeNull();
    expect(b.append(Op.Insert, [2])).toBeNull();
    const flushed = b.appendUpdate([2], [3]);
    expect(flushed!.records()).toEqual([
      [Op.Insert, [1]],
      [Op.Insert, [2]],
    ]);
    const rest = b.take()!;
    expect(rest.records()).toEqual([
      [Op.UpdateDelete, [2]],
      [Op.UpdateInsert, [3]],
    ]);
    expect(b.take()).toBeNull();
    // Chunks taken earlier keep their rows while the builder fills its arrays again.
    b.append(Op.Insert, [9]);
    expect(b.take()!.records()).toEqual([[Op.Insert, [9]]]);
    expect(flushed!.records()).toEqual([
      [Op.Insert, [1]],
      [Op.Insert, [2]],
    ]);
    const full = new StreamChunkBuilder([T.Int32, T.Varchar], 3);
    full.appendConcat(Op.Insert, [1], 1, null);
    full.appendConcat(Op.Delete, null, 1, ['x']);
    const c = full.appendConcat(Op.Insert, [2], 1, ['y'])!;
    expect(c.records()).toEqual([
      [Op.Insert, [1, null]],
      [Op.Delete, [null, 'x']],
      [Op.Insert, [2, 'y']],
    ]);
  });
});
