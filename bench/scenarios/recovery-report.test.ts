/** The recovery report: medians per state size and stop mode, the chart, failures. */
import { describe, expect, it } from 'vitest';
import type { MachineInfo } from '../lib/machine';
import { recoveryChart, renderRecovery, restartStats, type RecoveryResult, type RestartTiming } from './recovery';

const machine: MachineInfo = { cpuModel: 'test cpu', cores: 2, memoryGiB: 8, os: 'linux', node: 'v20', loadAverage1m: 1, gitCommit: null, gitDirty: null };
const t = (mode: RestartTiming['mode'], servingMs: number | null, streamingMs: number | null, failure?: string): RestartTiming => ({
  mode,
  stopMs: 10,
  acceptMs: servingMs === null ? null : servingMs - 100,
  servingMs,
  streamingMs,
  failure,
});

const r: RecoveryResult = {
  scenario: 'recovery',
  scale: 'quick',
  date: '2026-01-01',
  startedAt: '',
  finishedAt: '',
  machine,
  config: { users: 100, sizes: [1000, 5000], repeats: 2, pollMs: 5 },
  pipeline: 'verbatim',
  sizes: [
    { events: 1000, users: 100, loadSeconds: 1, dataDirMiB: 2, restarts: [t('kill9', 800, 900), t('graceful', 700, 750), t('kill9', 1000, 1100), t('graceful', 600, 700)] },
    { events: 5000, users: 100, loadSeconds: 4, dataDirMiB: 9, restarts: [t('kill9', 2000, 2500), t('graceful', null, null, 'lookup never returned the pre-restart value')] },
  ],
  notes: ['FAILED 5,000 events, graceful: lookup never returned the pre-restart value'],
};

describe('recovery report', () => {
  it('takes medians per size and mode, leaving timeouts out', () => {
    expect(restartStats(r.sizes[0], 'kill9', 'servingMs')).toMatchObject({ median: 900, min: 800, max: 1000, n: 2 });
    expect(restartStats(r.sizes[0], 'graceful', 'streamingMs')!.median).toBe(725);
    expect(restartStats(r.sizes[1], 'graceful', 'servingMs')).toBeNull();
  });

  it('renders seconds with their range, failures counted', () => {
    const md = renderRecovery(r);
    expect(md).toContain('| 1,000 | 2 | kill -9 | 0.80 (0.70–0.90) | **0.90 (0.80–1.00)** | **1.00 (0.90–1.10)** | 0 |');
    expect(md).toContain('| 5,000 | 9 | graceful | n/a | **n/a** | **n/a** | 1 |');
    expect(md).toContain('FAILED 5,000 events, graceful');
  });

  it('draws one line per figure and stop mode against state size', () => {
    const svg = recoveryChart(r);
    expect(svg).toContain('serving after kill -9');
    expect(svg).toContain('streaming after graceful stop');
    // graceful failed at 5,000 events: its two series have one point each, drawn as markers only.
    expect(svg.match(/<path /g)!.length).toBe(2);
  });
});
