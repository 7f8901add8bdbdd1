/** serving-volume: the data model (levels, load order), the naive window, ratios, the 50× verdict, report and charts. */
import { describe, expect, it } from 'vitest';
import type { Measurement } from '../lib/loadgen';
import type { MachineInfo } from '../lib/machine';
import { transactionRow } from '../lib/serving-model';
import {
  DEFAULT_VOLUMES,
  firstVolumeReaching,
  volumeOfUser,
  volumePlan,
  volumeTransactionCount,
  volumeUserSequence,
  volumeUsers,
} from '../lib/serving-volume-model';
import { summarizeRuns } from '../lib/stats';
import { naiveWindowMs, ratiosFor, renderVolume, volumeCharts, type VolumeCell, type VolumeResult, type VolumeSystem } from './serving-volume';

describe('volume plan', () => {
  it('defaults to 1k…1M rows per user, three users each, and sorts --sizes', () => {
    expect(volumePlan(undefined, undefined)).toEqual({ volumes: [...DEFAULT_VOLUMES], usersPerVolume: 3 });
    expect(volumePlan([100_000, 1000, 1000], 2)).toEqual({ volumes: [1000, 100_000], usersPerVolume: 2 });
  });

  it('gives each level a contiguous user range with exactly its volume of transactions, interleaved', () => {
    const p = { volumes: [3, 10, 40], usersPerVolume: 2 };
    expect(volumeUsers(p, 0)).toEqual([1, 2]);
    expect(volumeUsers(p, 2)).toEqual([5, 6]);
    expect(volumeOfUser(p, 4)).toBe(10);
    const seq = volumeUserSequence(p);
    expect(seq.length).toBe(volumeTransactionCount(p));
    expect(volumeTransactionCount(p)).toBe(106);
    const counts = new Map<number, number>();
    for (const u of seq) counts.set(u, (counts.get(u) ?? 0) + 1);
    expect([...counts].sort((a, b) => a[0] - b[0])).toEqual([[1, 3], [2, 3], [3, 10], [4, 10], [5, 40], [6, 40]]);
    // Spread over the load, not one user after another: the light users' events are not all at the start.
    const lastOfUser1 = seq.lastIndexOf(1);
    expect(lastOfUser1).toBeGreaterThan(seq.length / 2);
    // The row generator puts the user in its column, the rest a pure function of the index.
    expect(transactionRow(7, seq[7], 'ts')[1]).toBe(String(seq[7]));
    expect(transactionRow(7, 99, 'ts').slice(2)).toEqual(transactionRow(7, 1, 'ts').slice(2));
  });
});

describe('naive cell window', () => {
  it('covers about 100 queries at the probe speed over the usable cores, within [--duration, 60 s]', () => {
    expect(naiveWindowMs(0.3, 1, 2, 2000)).toBe(2000);
    expect(naiveWindowMs(200, 1, 2, 2000)).toBe(20_000);
    expect(naiveWindowMs(200, 8, 2, 2000)).toBe(10_000);
    expect(naiveWindowMs(5000, 1, 2, 2000)).toBe(60_000);
  });
});

const machine: MachineInfo = { cpuModel: 'test cpu', cores: 2, memoryGiB: 8, os: 'linux', node: 'v20', loadAverage1m: 1, gitCommit: null, gitDirty: null };
const run = (qps: number, p50Us: number, p99Us: number): Measurement => ({
  qps,
  p50Us,
  p99Us,
  p999Us: p99Us,
  maxUs: p99Us,
  meanUs: p50Us,
  queries: 100,
  errors: 0,
  wrongRows: 0,
  clientCpuPct: 50,
  machineBusyPct: 80,
  loadAverage1m: 1,
  serverCpuUsPerQuery: 10,
});
const cell = (system: VolumeSystem, volume: number, connections: number, m: Measurement): VolumeCell => ({
  system,
  volume,
  connections,
  runs: [m],
  summary: summarizeRuns([m]),
  durationMs: 2000,
  warmupMs: 1000,
});

function result(): VolumeResult {
  const cells: VolumeCell[] = [];
  // Freshet: 0.1 ms whatever the volume; naive: 0.01 ms per 1,000 rows… plus 0.2 ms.
  for (const volume of [1000, 100_000, 1_000_000])
    for (const c of [1, 8]) {
      cells.push(cell('freshet', volume, c, run(c * 8000, 100, 300)));
      const naiveUs = 200 + volume / 100;
      cells.push(cell('postgres-naive', volume, c, run((c === 1 ? 1 : 2) * (1e6 / naiveUs), naiveUs * (c === 1 ? 1 : 4), naiveUs * 6)));
    }
  const r: VolumeResult = {
    scenario: 'serving-volume',
    date: '2026-01-01',
    startedAt: '',
    finishedAt: '',
    machine,
    config: { volumes: [1000, 100_000, 1_000_000], usersPerVolume: 3, transactions: 3_303_000, durationS: 2, warmupS: 1, repeats: 1, connections: [1, 8], memoryLimit: '32MiB', systems: ['freshet', 'postgres-naive'] },
    load: { freshet: { seconds: 100, rowsPerS: 33_030, settleSeconds: 5 }, postgres: { seconds: 10, rowsPerS: 330_300, settleSeconds: 3 } },
    probes: [{ volume: 1000, naiveMs: 0.21 }],
    checks: [{ volume: 1000, user: 1, freshet: '[]', postgres: '[]', equal: true }],
    versions: { freshet: 'freshet 0.1', postgres: 'PostgreSQL 15' },
    cells,
    ratios: [],
    reached: null,
    notes: ['a note'],
  };
  r.ratios = ratiosFor(r);
  r.reached = firstVolumeReaching(
    r.config.volumes.map((volume) => ({ volume, ratios: r.ratios.filter((x) => x.volume === volume).flatMap((x) => [x.p50, x.qps]) })),
    50,
  );
  return r;
}

describe('ratios and the 50× verdict', () => {
  it('divides naive by Freshet per volume and connection count, and finds the first volume where every ratio is ≥ 50', () => {
    const r = result();
    const at = (v: number, c: number) => r.ratios.find((x) => x.volume === v && x.connections === c)!;
    expect(at(1000, 1).p50).toBeCloseTo(2.1);
    expect(at(1_000_000, 1).p50).toBeCloseTo(102);
    expect(at(1_000_000, 8).qps).toBeCloseTo(64_000 / (2 * (1e6 / 10_200)));
    // 100k: 48× p50 and 38× QPS at 8 conns: not yet; 1M: ≥ 81× everywhere.
    expect(at(100_000, 8).p50).toBeCloseTo(48);
    expect(r.reached).toBe(1_000_000);
    expect(firstVolumeReaching([{ volume: 10, ratios: [60, 70] }, { volume: 1, ratios: [60, 40] }, { volume: 100, ratios: [80] }], 50)).toBe(10);
    expect(firstVolumeReaching([{ volume: 10, ratios: [] }], 50)).toBeNull();
  });

  it('reports the seed volume, the presets, the verdict, every cell and two log-scale charts', () => {
    const r = result();
    const md = renderVolume(r);
    expect(md).toContain('millions of rows per user over a 24-hour window');
    expect(md).toContain('1,000–10,000 per hot user (quick), 1,000–20,000 (full)');
    expect(md).toContain('**reached at 1,000,000 rows per user**');
    expect(renderVolume({ ...r, reached: null })).toContain('**not reached** at any measured volume (up to 1M rows per user)');
    expect(md).toMatch(/\| 1,000,000 \| postgres-naive \| 8 \|/);
    const charts = volumeCharts(r);
    expect(charts.map((c) => c.suffix)).toEqual(['latency', 'ratio']);
    for (const c of charts) expect(c.svg.trim()).toMatch(/^<svg[\s\S]*<\/svg>$/);
    expect(charts[1].svg).toContain('goal 50×');
  });
});
