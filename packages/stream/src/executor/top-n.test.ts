import { T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { Collector, chunk, expected } from '../test-util';
import { DedupExecutor } from './dedup';
import { GroupTopNExecutor } from './group-top-n';
import { SourceExecutor } from './source';
import { TopNExecutor } from './top-n';

const tables = () => new StateTableAllocator(new MemStateStore(), 1);

describe('top-N', () => {
  it('keeps the top 2 by v DESC (ties by pk) and emits entering/leaving rows', () => {
    // id, v
    const src = new SourceExecutor([T.Int32, T.Int32]);
    const top = src.connect(new TopNExecutor({ types: src.types, orderBy: [{ column: 1, desc: true }], pk: [0], limit: 2, tables: tables() }));
    const out = top.connect(new Collector());
    src.pushChunk(chunk('i i\n+ 1 10\n+ 2 30\n+ 3 20'));
    expect(out.take()).toEqual(expected('i i\n+ 2 30\n+ 3 20'));
    src.pushChunk(chunk('i i\n+ 4 5\n+ 5 20'));
    expect(out.take()).toEqual([]);
    src.pushChunk(chunk('i i\n- 2 30'));
    expect(out.take()).toEqual(expected('i i\n- 2 30\n+ 5 20'));
    src.pushChunk(chunk('i i\nU- 1 10\nU+ 1 99'));
    expect(out.take()).toEqual(expected('i i\n- 5 20\n+ 1 99'));
  });

  it('applies OFFSET and NULLS ordering', () => {
    const src = new SourceExecutor([T.Int32, T.Int32]);
    const top = src.connect(new TopNExecutor({ types: src.types, orderBy: [{ column: 1 }], pk: [0], limit: 1, offset: 1, tables: tables() }));
    const out = top.connect(new Collector());
    src.pushChunk(chunk('i i\n+ 1 .\n+ 2 5\n+ 3 7'));
    expect(out.take()).toEqual(expected('i i\n+ 3 7'));
  });

  it('group top-N ranks within each group', () => {
    // g, id, v
    const src = new SourceExecutor([T.Varchar, T.Int32, T.Int32]);
    const top = src.connect(new GroupTopNExecutor({ types: src.types, groupKey: [0], orderBy: [{ column: 2 }], pk: [1], limit: 1, tables: tables() }));
    const out = top.connect(new Collector());
    src.pushChunk(chunk('T i i\n+ a 1 5\n+ b 2 9\n+ a 3 4'));
    expect(out.take()).toEqual(expected('T i i\n+ a 3 4\n+ b 2 9'));
    src.pushChunk(chunk('T i i\nU- a 3 4\nU+ b 3 4'));
    // Every Delete precedes every Insert: id 3 leaves group a before entering group b.
    expect(out.take()).toEqual(expected('T i i\n- a 3 4\n- b 2 9\n+ a 1 5\n+ b 3 4'));
  });
});

describe('append-only group top-N', () => {
  /** The same random insert-only chunks through both modes: equal output, bounded state. */
  function compare(withTies: boolean, offset: number): void {
    // g, id, v
    const types = [T.Int32, T.Int32, T.Int32];
    const make = (appendOnly: boolean) => {
      const src = new SourceExecutor(types);
      const top = new GroupTopNExecutor({ types, groupKey: [0], orderBy: [{ column: 2, desc: true }], pk: [1], limit: 2, offset, withTies, rankColumn: withTies, tables: tables(), appendOnly });
      const out = src.connect(top).connect(new Collector());
      return { src, top, out };
    };
    const full = make(false);
    const trimmed = make(true);
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    let id = 0;
    for (let c = 0; c < 40; c++) {
      const lines = Array.from({ length: 1 + rand(6) }, () => `+ ${rand(4)} ${id++} ${rand(5)}`);
      const text = `i i i\n${lines.join('\n')}`;
      full.src.pushChunk(chunk(text));
      trimmed.src.pushChunk(chunk(text));
      expect(trimmed.out.take()).toEqual(full.out.take());
    }
    const kept = trimmed.top.stateTables()[0].size;
    expect(kept).toBeLessThan(full.top.stateTables()[0].size);
    // Without ties at most offset+limit rows per group (4 groups) survive.
    if (!withTies) expect(kept).toBeLessThanOrEqual(4 * (offset + 2));
  }

  it('row_number(): same output as the retracting form, at most offset+limit rows per group kept', () => {
    compare(false, 0);
    compare(false, 1);
  });

  it('rank(): rows tied at the boundary stay', () => compare(true, 0));

  it('refuses a retraction (the planner promised none)', () => {
    const src = new SourceExecutor([T.Int32, T.Int32]);
    src.connect(new TopNExecutor({ types: src.types, orderBy: [{ column: 1 }], pk: [0], limit: 1, tables: tables(), appendOnly: true }));
    src.pushChunk(chunk('i i\n+ 1 5'));
    expect(() => src.pushChunk(chunk('i i\n- 1 5'))).toThrow(/append-only/);
  });
});

describe('dedup', () => {
  it('emits a row when its count rises from 0 and retracts it when it returns to 0', () => {
    const src = new SourceExecutor([T.Int32, T.Varchar]);
    const d = src.connect(new DedupExecutor({ types: src.types, tables: tables() }));
    const out = d.connect(new Collector());
    src.pushChunk(chunk('i T\n+ 1 a\n+ 1 a\n+ 1 b\n- 1 a'));
    expect(out.take()).toEqual(expected('i T\n+ 1 a\n+ 1 b'));
    src.pushChunk(chunk('i T\n- 1 a\nU- 1 b\nU+ 2 b'));
    expect(out.take()).toEqual(expected('i T\n- 1 a\n- 1 b\n+ 2 b'));
  });

  it('rank() keeps ties at the boundary and outputs the rank; a rank change is Delete + Insert', () => {
    // id, g, v: rank() OVER (PARTITION BY g ORDER BY v) <= 2, rank as the last column.
    const src = new SourceExecutor([T.Int32, T.Int32, T.Int32]);
    const top = src.connect(
      new GroupTopNExecutor({ types: src.types, groupKey: [1], orderBy: [{ column: 2 }], pk: [0], limit: 2, withTies: true, rankColumn: true, tables: tables() }),
    );
    const out = top.connect(new Collector());
    src.pushChunk(chunk('i i i\n+ 1 1 10\n+ 2 1 20\n+ 3 1 20\n+ 4 1 30'));
    expect(out.take()).toEqual(expected('i i i I\n+ 1 1 10 1\n+ 2 1 20 2\n+ 3 1 20 2'));
    src.pushChunk(chunk('i i i\n+ 5 1 5'));
    // 5 takes rank 1, 10 moves to rank 2, the tied 20s drop to rank 3 and leave.
    expect(out.take()).toEqual(expected('i i i I\n- 1 1 10 1\n- 2 1 20 2\n- 3 1 20 2\n+ 5 1 5 1\n+ 1 1 10 2'));
  });

  it('row_number() with a lower bound (rn > 1 AND rn <= 3) is an offset', () => {
    const src = new SourceExecutor([T.Int32, T.Int32, T.Int32]);
    const top = src.connect(new GroupTopNExecutor({ types: src.types, groupKey: [1], orderBy: [{ column: 2 }], pk: [0], limit: 2, offset: 1, rankColumn: true, tables: tables() }));
    const out = top.connect(new Collector());
    src.pushChunk(chunk('i i i\n+ 1 1 10\n+ 2 1 20\n+ 3 1 20\n+ 4 1 30\n+ 5 2 1'));
    expect(out.take()).toEqual(expected('i i i I\n+ 2 1 20 2\n+ 3 1 20 3'));
  });
});
