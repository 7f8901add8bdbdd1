import { describe, expect, it } from 'vitest';
import * as hdr from 'hdr-histogram-js';
import { histogramFromCdf, latencyCdf, latencySummary, median, percentAtOrBelow, percentile, spreadPct, summarizeRuns, type LatencyCdf } from './stats';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });
  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });
});

describe('spreadPct', () => {
  it('is (max - min) / median in percent', () => {
    expect(spreadPct([90, 100, 110])).toBeCloseTo(20);
    expect(spreadPct([100, 100, 100])).toBe(0);
  });
  it('is 0 for a single run or a zero median', () => {
    expect(spreadPct([123])).toBe(0);
    expect(spreadPct([0, 0, 5])).toBe(0);
  });
});

describe('latencySummary', () => {
  it('reads p50/p99/p99.9 from an hdr histogram in microseconds', () => {
    const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
    for (let v = 1; v <= 10_000; v++) h.recordValue(v);
    const s = latencySummary(h);
    // 3 significant digits: values are exact to within 0.1%.
    expect(s.p50Us).toBeGreaterThanOrEqual(4995);
    expect(s.p50Us).toBeLessThanOrEqual(5005);
    expect(s.p99Us).toBeGreaterThanOrEqual(9890);
    expect(s.p99Us).toBeLessThanOrEqual(9910);
    expect(s.p999Us).toBeGreaterThanOrEqual(9980);
    expect(s.p999Us).toBeLessThanOrEqual(10_000);
    expect(s.maxUs).toBeGreaterThanOrEqual(10_000);
    expect(s.meanUs).toBeCloseTo(5000.5, -1);
  });
  it('is all zeros for an empty histogram', () => {
    const h = hdr.build();
    expect(latencySummary(h)).toEqual({ p50Us: 0, p99Us: 0, p999Us: 0, maxUs: 0, meanUs: 0 });
  });
  it('survives the compressed-base64 round trip the worker threads use', () => {
    const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
    for (let i = 0; i < 1000; i++) h.recordValue(100 + (i % 10) * 1000);
    const back = hdr.decodeFromCompressedBase64(hdr.encodeIntoCompressedBase64(h));
    const [a, b] = [latencySummary(back), latencySummary(h)];
    expect([a.p50Us, a.p99Us, a.p999Us, a.meanUs]).toEqual([b.p50Us, b.p99Us, b.p999Us, b.meanUs]);
    // The decoded max is the top of its bucket: equal within the 3-digit precision.
    expect(Math.abs(a.maxUs - b.maxUs) / b.maxUs).toBeLessThan(0.001);
  });
});

describe('summarizeRuns', () => {
  const run = (qps: number, p99Us: number) => ({ qps, p50Us: 100, p99Us, p999Us: p99Us * 2 });

  it('takes the median of each figure independently, with min and max', () => {
    const s = summarizeRuns([run(1000, 900), run(1100, 500), run(1050, 700)]);
    expect(s.median).toEqual({ qps: 1050, p50Us: 100, p99Us: 700, p999Us: 1400 });
    expect(s.min.qps).toBe(1000);
    expect(s.max.qps).toBe(1100);
    expect(s.max.p99Us).toBe(900);
  });
  it('flags a cell as noisy when QPS or p99 spread exceeds 20%', () => {
    expect(summarizeRuns([run(1000, 500), run(1050, 510), run(1100, 520)]).noisy).toBe(false);
    expect(summarizeRuns([run(800, 500), run(1000, 500), run(1100, 500)]).noisy).toBe(true);
    expect(summarizeRuns([run(1000, 400), run(1000, 500), run(1000, 700)]).noisy).toBe(true);
  });
});

describe('percentile', () => {
  it('is the nearest rank', () => {
    const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 99)).toBe(10);
    expect(percentile(xs, 10)).toBe(1);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('latency distributions', () => {
  const uniform = (n: number) => {
    const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
    for (let v = 1; v <= n; v++) h.recordValue(v);
    return h;
  };

  it('samples the CDF at every percent, the tail and the extremes', () => {
    const cdf = latencyCdf(uniform(1000));
    expect(cdf[0]).toEqual([0, 1]);
    expect(cdf.find(([p]) => p === 50)![1]).toBe(500);
    expect(cdf.find(([p]) => p === 99.9)![1]).toBe(999);
    expect(cdf[cdf.length - 1]).toEqual([100, 1000]);
    for (let i = 1; i < cdf.length; i++) {
      expect(cdf[i][0]).toBeGreaterThan(cdf[i - 1][0]);
      expect(cdf[i][1]).toBeGreaterThanOrEqual(cdf[i - 1][1]);
    }
    expect(latencyCdf(uniform(0))).toEqual([]);
  });

  it('interpolates the share at or below a value', () => {
    const cdf: LatencyCdf = [
      [0, 10],
      [50, 20],
      [100, 40],
    ];
    expect(percentAtOrBelow(cdf, 5)).toBe(0);
    expect(percentAtOrBelow(cdf, 10)).toBe(0);
    expect(percentAtOrBelow(cdf, 15)).toBe(25);
    expect(percentAtOrBelow(cdf, 30)).toBe(75);
    expect(percentAtOrBelow(cdf, 40)).toBe(100);
    expect(percentAtOrBelow(cdf, 1000)).toBe(100);
  });

  it('turns a CDF into log-spaced histogram bins that sum to 100%', () => {
    const bins = histogramFromCdf(latencyCdf(uniform(1000)), 5);
    const total = bins.reduce((a, b) => a + b.pct, 0);
    expect(total).toBeCloseTo(100, 0);
    // Uniform 1..1000 µs: the bin just under 1 ms holds far more than the first one.
    expect(bins[0].loUs).toBeLessThanOrEqual(1);
    expect(bins[bins.length - 1].hiUs).toBeGreaterThanOrEqual(1000);
    const at = (us: number) => bins.find((b) => b.loUs <= us && us < b.hiUs)!.pct;
    expect(at(800)).toBeGreaterThan(at(2) * 10);
    for (let i = 1; i < bins.length; i++) expect(bins[i].loUs).toBeCloseTo(bins[i - 1].hiUs, 3);
  });
});
