import { describe, expect, it } from 'vitest';
import { collectGarbage } from './memory-manager';
import { startStallMonitor } from './stall-monitor';

describe('stall monitor (FRESHET_STALL_LOG)', () => {
  it('counts a blocked event loop as a stall of the right size and reports CPU', async () => {
    const m = startStallMonitor(() => {}, 60_000);
    try {
      await new Promise((r) => setTimeout(r, 20));
      const until = performance.now() + 30;
      while (performance.now() < until); // a 30 ms stall of this thread
      await new Promise((r) => setTimeout(r, 10));
      const line = m.report();
      expect(line).toMatch(/>10ms [1-9]/);
      expect(line).toMatch(/worst (2[5-9]|[3-9]\d|\d{3,})\.\d ms/);
      expect(line).toMatch(/cpu \d+\.\d%/);
      // A new window starts after a report.
      expect(m.report()).toMatch(/>10ms 0/);
    } finally {
      m.stop();
    }
  });

  it('names a full collection major (perf_hooks kind 4, not 2)', async () => {
    const m = startStallMonitor(() => {}, 60_000);
    try {
      // Enough live objects that marking them takes over the monitor's 1 ms threshold.
      const keep = Array.from({ length: 1_000_000 }, (_, i) => ({ i, s: `k${i}` }));
      collectGarbage();
      await new Promise((r) => setTimeout(r, 20)); // GC entries are delivered asynchronously
      const line = m.report();
      expect(line, line).toMatch(/gc >1ms .*major [1-9]\d*×/);
      expect(keep.length).toBe(1_000_000);
    } finally {
      m.stop();
    }
  });
});
