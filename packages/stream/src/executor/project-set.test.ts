import { type Datum, T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { Collector, chunk, expected } from '../test-util';
import { HopWindowExecutor } from './hop-window';
import { ProjectSetExecutor } from './project-set';

describe('project set', () => {
  it('expands each row by its longest sequence, padding shorter ones, keeping the op', () => {
    // SELECT x, generate_series(1, n), generate_series(1, 2) FROM t(x, n)
    const series = (col: number | null, fixed?: number) => ({
      kind: 'set' as const,
      type: T.Int32,
      eval: (row: Datum[]) => {
        const n = col === null ? fixed! : (row[col] as number);
        return Array.from({ length: n }, (_, i) => i + 1);
      },
    });
    const ps = new ProjectSetExecutor([{ kind: 'scalar', type: T.Varchar, eval: (row) => row[0] }, series(1), series(null, 2)]);
    const out = ps.connect(new Collector());
    ps.push(chunk('T i\n+ a 3\nU- b 1\nU+ b 0'));
    expect(out.take()).toEqual(
      expected(`
        I T i i
        + 0 a 1 1
        + 1 a 2 2
        + 2 a 3 .
        - 0 b 1 1
        - 1 b . 2
        + 0 b . 1
        + 1 b . 2`),
    );
  });
});

describe('hop window', () => {
  it('emits a row once per window containing its timestamp', () => {
    // float64 µs stand in for timestamps to keep the fixture readable.
    const hop = new HopWindowExecutor({ types: [T.Int32, T.Float64], timeColumn: 1, slideUs: 5, sizeUs: 10 });
    const out = hop.connect(new Collector());
    hop.push(chunk('i F\n+ 1 12\n- 2 5\nU- 3 .\nU+ 3 7'));
    expect(out.take()).toEqual(
      expected(`
        i F  F  F
        + 1 12 5  15
        + 1 12 10 20
        - 2 5  0  10
        - 2 5  5  15
        + 3 7  0  10
        + 3 7  5  15`),
    );
  });
});
