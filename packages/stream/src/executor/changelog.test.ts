import { T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { Collector, chunk, expected } from '../test-util';
import { ChangelogExecutor } from './changelog';
import { SourceExecutor } from './source';

describe('changelog', () => {
  it('turns every change into an appended row with its op and an increasing id', () => {
    let now = 1000;
    const source = new SourceExecutor([T.Int32, T.Varchar]);
    const out = source.connect(new ChangelogExecutor(source.types, () => now)).connect(new Collector());
    source.pushChunk(chunk('i T\n+ 1 a\nU- 1 a\nU+ 1 b\n- 2 c\n+ 9 z D'));
    const base = 1000n * 1000n << 10n;
    expect(out.take()).toEqual(expected(`i T h SRL\n+ 1 a 1 ${base}\n+ 1 a 4 ${base + 1n}\n+ 1 b 3 ${base + 2n}\n+ 2 c 2 ${base + 3n}`));
    // The clock going back never reuses an id.
    now = 999;
    source.pushChunk(chunk('i T\n+ 3 d'));
    expect(out.take()).toEqual(expected(`i T h SRL\n+ 3 d 1 ${base + 4n}`));
  });
});
