import { describe, expect, it } from 'vitest';
import { longTasks } from './profile-summary';

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
  });
});
