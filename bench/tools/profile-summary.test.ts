import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocationSites, longTasks, summarize } from './profile-summary';

/** A profile of `samples` (node ids) 1 ms apart. */
function profile(samples: number[]) {
  const frame = (functionName: string) => ({ functionName, url: '', lineNumber: 0 });
  return {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3, 5, 6, 7] },
      { id: 2, callFrame: frame('processTimers'), children: [4] },
      { id: 3, callFrame: frame('processImmediate') },
      { id: 4, callFrame: frame('checkpoint') },
      { id: 5, callFrame: frame('(idle)') },
      { id: 6, callFrame: frame('(garbage collector)') },
      { id: 7, callFrame: frame('(program)') },
    ],
    samples,
    timeDeltas: samples.map(() => 1000),
    startTime: 0,
    endTime: samples.length * 1000,
  };
}

describe('longTasks', () => {
  it('finds the runs of one task, counting the collections inside them, and nothing shorter', () => {
    // timer 3 ms (one of it in GC), idle, immediate 2 ms, timer 1 ms, program.
    const tasks = longTasks(profile([4, 6, 4, 4, 5, 3, 3, 2, 7]), 2);
    // The timer from its first sample (1 ms) to its last (4 ms); the immediate is too short.
    expect(tasks.map((t) => [t.entry, t.durationMs, t.startMs])).toEqual([['processTimers', 3, 1]]);
    expect(longTasks(profile([4, 6, 4, 4, 5, 3, 3, 2, 7]), 1).map((t) => t.entry)).toEqual(['processTimers', 'processImmediate']);
    expect(tasks[0].frames.find(([n]) => n === 'checkpoint')?.[1]).toBe(3);
    expect(tasks[0].gcMs).toBe(1);
  });
});

describe('summarize', () => {
  it('names frames of a file with a source map by their place in the original source', () => {
    const dir = mkdtempSync(join(tmpdir(), 'profile-summary-'));
    try {
      mkdirSync(join(dir, 'dist'));
      // Generated line 2 (0-based 1), column 0 → source line 2 of ../src/a.ts; line 1 → line 1.
      writeFileSync(join(dir, 'dist', 'gen.mjs'), 'a();\nb();\n');
      writeFileSync(join(dir, 'dist', 'gen.mjs.map'), JSON.stringify({ version: 3, sources: ['../src/a.ts'], names: [], mappings: 'AAAA;AACA' }));
      const url = `file://${join(dir, 'dist', 'gen.mjs')}`;
      const p = {
        nodes: [
          { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: 0 }, children: [2, 3] },
          { id: 2, callFrame: { functionName: 'mapped', url, lineNumber: 1, columnNumber: 0 } },
          { id: 3, callFrame: { functionName: 'plain', url: `file://${join(dir, 'other.js')}`, lineNumber: 4, columnNumber: 2 } },
        ],
        samples: [2, 3],
        timeDeltas: [1000, 1000],
        startTime: 0,
        endTime: 2000,
      };
      const names = summarize(p, dir).functions.map((f) => f.name);
      expect(names).toContain('mapped src/a.ts:2');
      expect(names).toContain('plain other.js:5:3');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('allocationSites', () => {
  it('adds up bytes per function, or per call chain of the frames asked for', () => {
    const node = (functionName: string, selfSize: number, children: unknown[] = []) => ({ callFrame: { functionName, url: '', lineNumber: 0 }, selfSize, children });
    // (root) → flush → packRow (100 B) and (root) → filter → packRow (50 B), flush itself 10 B.
    const head = node('(root)', 0, [node('flush', 10, [node('packRow', 100)]), node('filter', 0, [node('packRow', 50)])]) as Parameters<typeof allocationSites>[0];
    expect(allocationSites(head, '/')).toEqual({ totalBytes: 160, sites: [['packRow', 150], ['flush', 10]] });
    // Two frames: the callers split packRow; the root is never part of a chain.
    expect(allocationSites(head, '/', 2).sites).toEqual([['packRow < flush', 100], ['packRow < filter', 50], ['flush', 10]]);
    expect(allocationSites(head, '/', 5).sites[0]).toEqual(['packRow < flush', 100]);
  });
});
