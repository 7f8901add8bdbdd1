import { type DataType, Op, T, StreamChunk, StreamChunkBuilder } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import type { RowPredicate } from '../expr';
import { Barrier } from '../message';
import { MemStateStore } from '../state/mem-store';
import { PACK_LARGE_FROM, StateTableAllocator } from '../state/state-table';
import { Collector, chunk, expected } from '../test-util';
import { HashJoinExecutor, type JoinType } from './hash-join';
import { SourceExecutor } from './source';

/** left (id, k, v), right (id, k, w); join on k; stream keys = id. */
function setup(joinType: JoinType, opts: { nullSafe?: boolean; condition?: RowPredicate } = {}) {
  const lt: DataType[] = [T.Int32, T.Int32, T.Varchar];
  const rt: DataType[] = [T.Int32, T.Int32, T.Varchar];
  const left = new SourceExecutor(lt);
  const right = new SourceExecutor(rt);
  const join = new HashJoinExecutor({
    joinType,
    leftTypes: lt,
    rightTypes: rt,
    leftKeys: [1],
    rightKeys: [1],
    nullSafe: [opts.nullSafe ?? false],
    leftPk: [0],
    rightPk: [0],
    condition: opts.condition,
    tables: new StateTableAllocator(new MemStateStore(), 1),
  });
  left.connect(join.left);
  right.connect(join.right);
  const out = join.connect(new Collector());
  return { left, right, join, out };
}

describe('hash join', () => {
  it('inner join emits matches as either side changes', () => {
    const { left, right, out } = setup('inner');
    left.pushChunk(chunk('i i T\n+ 1 10 a\n+ 2 20 b\n+ 3 . c'));
    expect(out.take()).toEqual([]);
    right.pushChunk(chunk('i i T\n+ 7 10 x\n+ 8 10 y\n+ 9 . z'));
    expect(out.take()).toEqual(expected('i i T i i T\n+ 1 10 a 7 10 x\n+ 1 10 a 8 10 y'));
    // An update keeping the join key and stream key: one U-/U+ pair per match.
    left.pushChunk(chunk('i i T\nU- 1 10 a\nU+ 1 10 A\n- 2 20 b'));
    expect(out.take()).toEqual(expected('i i T i i T\nU- 1 10 a 7 10 x\nU+ 1 10 A 7 10 x\nU- 1 10 a 8 10 y\nU+ 1 10 A 8 10 y'));
    // One moving to another join key: a delete and an insert.
    left.pushChunk(chunk('i i T\n+ 4 20 d\nU- 1 10 A\nU+ 1 20 A'));
    expect(out.take()).toEqual(expected('i i T i i T\n- 1 10 A 7 10 x\n- 1 10 A 8 10 y'));
    right.pushChunk(chunk('i i T\n+ 5 20 v'));
    expect(out.take()).toEqual(expected('i i T i i T\n+ 1 20 A 5 20 v\n+ 4 20 d 5 20 v'));
  });

  it('updates in place keep degrees: the preserved side stays matched or padded', () => {
    const { left, right, out } = setup('left');
    left.pushChunk(chunk('i i T\n+ 1 10 a\n+ 2 20 b'));
    right.pushChunk(chunk('i i T\n+ 7 10 x'));
    out.take();
    // Right-side update: the matched left row changes its right half, no NULL-padded step between.
    right.pushChunk(chunk('i i T\nU- 7 10 x\nU+ 7 10 X'));
    expect(out.take()).toEqual(expected('i i T i i T\nU- 1 10 a 7 10 x\nU+ 1 10 a 7 10 X'));
    // Left-side updates: matched and unmatched (NULL-padded).
    left.pushChunk(chunk('i i T\nU- 1 10 a\nU+ 1 10 A\nU- 2 20 b\nU+ 2 20 B'));
    expect(out.take()).toEqual(expected('i i T i i T\nU- 1 10 a 7 10 X\nU+ 1 10 A 7 10 X\nU- 2 20 b . . .\nU+ 2 20 B . . .'));
    // Degrees are intact: removing the right row pads the left one again.
    right.pushChunk(chunk('i i T\n- 7 10 X'));
    expect(out.take()).toEqual(expected('i i T i i T\nU- 1 10 A 7 10 X\nU+ 1 10 A . . .'));
  });

  it('left join pads with NULLs and flips rows as the degree crosses zero', () => {
    const { left, right, out } = setup('left');
    left.pushChunk(chunk('i i T\n+ 1 10 a\n+ 2 . b'));
    expect(out.take()).toEqual(expected('i i T i i T\n+ 1 10 a . . .\n+ 2 . b . . .'));
    right.pushChunk(chunk('i i T\n+ 7 10 x'));
    expect(out.take()).toEqual(expected('i i T i i T\nU- 1 10 a . . .\nU+ 1 10 a 7 10 x'));
    right.pushChunk(chunk('i i T\n+ 8 10 y'));
    expect(out.take()).toEqual(expected('i i T i i T\n+ 1 10 a 8 10 y'));
    right.pushChunk(chunk('i i T\n- 7 10 x\n- 8 10 y'));
    expect(out.take()).toEqual(expected('i i T i i T\n- 1 10 a 7 10 x\nU- 1 10 a 8 10 y\nU+ 1 10 a . . .'));
    left.pushChunk(chunk('i i T\n- 1 10 a\n- 2 . b'));
    expect(out.take()).toEqual(expected('i i T i i T\n- 1 10 a . . .\n- 2 . b . . .'));
  });

  it('right and full joins preserve the right side (and both)', () => {
    const r = setup('right');
    r.right.pushChunk(chunk('i i T\n+ 7 10 x'));
    r.left.pushChunk(chunk('i i T\n+ 1 10 a\n+ 2 30 b'));
    expect(r.out.take()).toEqual(expected('i i T i i T\n+ . . . 7 10 x\nU- . . . 7 10 x\nU+ 1 10 a 7 10 x'));
    const f = setup('full');
    f.left.pushChunk(chunk('i i T\n+ 1 10 a'));
    f.right.pushChunk(chunk('i i T\n+ 7 20 x\n+ 8 10 y'));
    expect(f.out.take()).toEqual(expected('i i T i i T\n+ 1 10 a . . .\n+ . . . 7 20 x\nU- 1 10 a . . .\nU+ 1 10 a 8 10 y'));
  });

  it('IS NOT DISTINCT FROM matches NULL keys', () => {
    const { left, right, out } = setup('inner', { nullSafe: true });
    left.pushChunk(chunk('i i T\n+ 1 . a'));
    right.pushChunk(chunk('i i T\n+ 7 . x\n+ 8 1 y'));
    expect(out.take()).toEqual(expected('i i T i i T\n+ 1 . a 7 . x'));
  });

  it('applies the non-equi condition to matches and degrees', () => {
    // l.v < r.w
    const cond: RowPredicate = (row) => (row[2] === null || row[5] === null ? null : (row[2] as string) < (row[5] as string));
    const { left, right, out } = setup('left', { condition: cond });
    left.pushChunk(chunk('i i T\n+ 1 10 m'));
    right.pushChunk(chunk('i i T\n+ 7 10 a\n+ 8 10 z'));
    expect(out.take()).toEqual(expected('i i T i i T\n+ 1 10 m . . .\nU- 1 10 m . . .\nU+ 1 10 m 8 10 z'));
    right.pushChunk(chunk('i i T\n- 7 10 a'));
    expect(out.take()).toEqual([]);
    right.pushChunk(chunk('i i T\n- 8 10 z'));
    expect(out.take()).toEqual(expected('i i T i i T\nU- 1 10 m 8 10 z\nU+ 1 10 m . . .'));
  });

  it('aligns barriers: one barrier out per epoch, later messages of the fast side wait', () => {
    const { left, right, out } = setup('inner');
    left.pushChunk(chunk('i i T\n+ 1 10 a'));
    left.injectBarrier(new Barrier(1));
    left.pushChunk(chunk('i i T\n+ 2 10 b'));
    right.pushChunk(chunk('i i T\n+ 7 10 x'));
    expect(out.take()).toEqual(expected('i i T i i T\n+ 1 10 a 7 10 x'));
    right.injectBarrier(new Barrier(1));
    expect(out.barriers()).toEqual([1]);
    expect(out.take()).toEqual(expected('i i T i i T\n+ 2 10 b 7 10 x'));
  });

  it('semi join shows a left row while it has a match, once however many', () => {
    const { left, right, out } = setup('semi');
    left.pushChunk(chunk('i i T\n+ 1 10 a\n+ 2 20 b\n+ 3 . c'));
    expect(out.take()).toEqual([]);
    right.pushChunk(chunk('i i T\n+ 7 10 x\n+ 8 10 y'));
    expect(out.take()).toEqual(expected('i i T\n+ 1 10 a'));
    right.pushChunk(chunk('i i T\n- 7 10 x'));
    expect(out.take()).toEqual([]);
    right.pushChunk(chunk('i i T\n- 8 10 y'));
    expect(out.take()).toEqual(expected('i i T\n- 1 10 a'));
    right.pushChunk(chunk('i i T\n+ 9 20 z'));
    left.pushChunk(chunk('i i T\n- 2 20 b\n+ 4 20 d'));
    expect(out.take()).toEqual(expected('i i T\n+ 2 20 b\n- 2 20 b\n+ 4 20 d'));
  });

  it('anti join shows a left row while it has no match (NULL keys never match)', () => {
    const { left, right, out } = setup('anti');
    left.pushChunk(chunk('i i T\n+ 1 10 a\n+ 3 . c'));
    expect(out.take()).toEqual(expected('i i T\n+ 1 10 a\n+ 3 . c'));
    right.pushChunk(chunk('i i T\n+ 7 10 x\n+ 8 10 y\n+ 9 . z'));
    expect(out.take()).toEqual(expected('i i T\n- 1 10 a'));
    right.pushChunk(chunk('i i T\n- 7 10 x\n- 8 10 y'));
    expect(out.take()).toEqual(expected('i i T\n+ 1 10 a'));
    left.pushChunk(chunk('i i T\n- 1 10 a\n- 3 . c'));
    expect(out.take()).toEqual(expected('i i T\n- 1 10 a\n- 3 . c'));
  });
});

describe('hash join: how a side with many rows per key stores them', () => {
  /** left (id, k) probed by right (id, k, s); the right side is written PACK_LARGE_FROM+ rows no left row matches yet. */
  function bigRightSide(s: (i: number) => string | null) {
    const store = new MemStateStore();
    const lt: DataType[] = [T.Int64, T.Int64];
    const rt: DataType[] = [T.Int64, T.Int64, T.Varchar];
    const left = new SourceExecutor(lt);
    const right = new SourceExecutor(rt);
    const join = new HashJoinExecutor({ joinType: 'inner', leftTypes: lt, rightTypes: rt, leftKeys: [1], rightKeys: [1], leftPk: [0], rightPk: [0], tables: new StateTableAllocator(store, 1) });
    left.connect(join.left);
    right.connect(join.right);
    const out = join.connect(new Collector());
    const n = PACK_LARGE_FROM + 1000;
    const b = new StreamChunkBuilder(rt, 1024);
    const chunks: StreamChunk[] = [];
    for (let i = 0; i < n; i++) {
      const c = b.append(Op.Insert, [BigInt(i), BigInt(i % 5000), s(i)]);
      if (c) chunks.push(c);
    }
    const last = b.take();
    if (last) chunks.push(last);
    for (const c of chunks) right.pushChunk(c);
    expect(out.take()).toEqual([]);
    // The stored values of the right side's last rows, as the store holds them.
    const table = store.table(join.stateTables()[1].tableId);
    const stored = [...table.iter(undefined, undefined)].map(([, v]) => v as unknown);
    return { left, out, stored, n };
  }

  it('packs the rows of a side written more than read, and its probes read them back whole', () => {
    const { left, out, stored, n } = bigRightSide((i) => `s${i % 3}`);
    expect(stored.length).toBe(n);
    expect(stored.filter((v) => typeof v === 'string').length).toBeGreaterThan(n / 2);
    left.pushChunk(chunk('I I\n+ 1 7'));
    const rows = out.take().map(([, r]) => r);
    // Right ids ≡ 7 (mod 5000) below n: all joined, with their strings.
    const want = Array.from({ length: n }, (_, i) => i).filter((i) => i % 5000 === 7);
    expect(rows.map((r) => r[2])).toEqual(want.map((i) => BigInt(i)));
    expect(rows.map((r) => r[4])).toEqual(want.map((i) => `s${i % 3}`));
  });

  it('keeps rows carrying long strings as they are (packing would copy the characters)', () => {
    const { stored, n } = bigRightSide((i) => 'x'.repeat(80) + i);
    expect(stored.length).toBe(n);
    expect(stored.every((v) => Array.isArray(v))).toBe(true);
  });
});
