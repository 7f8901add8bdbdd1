import { describe, expect, it } from 'vitest';
import { conditionsMarkdown, loadSnapshot, noiseVerdict, runConditions, type LoadSnapshot } from './run-conditions';

const snap = (load1: number): LoadSnapshot => ({ at: '2026-01-01T00:00:00.000Z', loadAverage: [load1, load1, load1], freeMemoryGiB: 4 });

describe('noise verdict', () => {
  it('trusts a quiet machine with tight repeats', () => {
    expect(noiseVerdict(2, snap(0.5), snap(1.9), [{ label: 'qps', pct: 12 }])).toEqual({ trustworthy: true, reasons: [] });
  });

  it('distrusts a load average above the cores, before or after', () => {
    const v = noiseVerdict(2, snap(0.5), snap(7.25));
    expect(v.trustworthy).toBe(false);
    expect(v.reasons[0]).toContain('7.25 on 2 cores');
    expect(noiseVerdict(2, snap(3), snap(1)).trustworthy).toBe(false);
  });

  it('distrusts repeats that spread more than 20%, naming the worst', () => {
    const v = noiseVerdict(8, snap(1), snap(1), [
      { label: 'a', pct: 5 },
      { label: 'b', pct: 45 },
      { label: 'c', pct: 21 },
    ]);
    expect(v.trustworthy).toBe(false);
    expect(v.reasons[0]).toContain('2 of 3 repeated figures');
    expect(v.reasons[0]).toMatch(/worst: b 45%, c 21%/);
  });
});

describe('run conditions', () => {
  it('snapshots the load and renders machine, loads and verdict', () => {
    const s = loadSnapshot();
    expect(s.loadAverage).toHaveLength(3);
    const c = runConditions(process.cwd(), snap(0.2), snap(9));
    expect(c.machine.cores).toBeGreaterThan(0);
    const md = conditionsMarkdown(c);
    expect(md).toContain('## Machine and noise');
    expect(md).toContain('0.20 / 0.20 / 0.20 before');
    expect(md).toContain('TOO NOISY TO TRUST');
    const quiet = conditionsMarkdown({ ...c, verdict: { trustworthy: true, reasons: [] } });
    expect(quiet).toContain('quiet enough');
    expect(md).toContain('CPU pinning: none');
    const pinned = conditionsMarkdown({ ...c, pinned: { server: '0', client: '1' } });
    expect(pinned).toContain('the servers under test on CPUs 0, the load generator on CPUs 1');
  });
});
