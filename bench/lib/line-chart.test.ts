import { describe, expect, it } from 'vitest';
import { lineChart, shortNumber } from './line-chart';

describe('line chart', () => {
  const spec = {
    title: 'freshness vs load',
    xLabel: 'events/s',
    yLabel: 'ms',
    series: [
      { name: 'freshet p50', color: '#e6550d', points: [[1000, 5], [10000, 12], [50000, 80]] as [number, number][] },
      { name: 'freshet p99', color: '#e6550d', dashed: true, points: [[1000, 20], [10000, 60], [50000, 900]] as [number, number][] },
    ],
    refs: [{ y: 100, label: 'p99 goal' }],
  };

  it('draws one path per series, markers, legend, reference line and escaped text', () => {
    const svg = lineChart({ ...spec, title: 'a < b & c' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(6);
    expect(svg).toContain('stroke-dasharray="4 3"');
    expect(svg).toContain('p99 goal');
    expect(svg).toContain('a &lt; b &amp; c');
    expect(svg).not.toContain('NaN');
  });

  it('puts larger values higher and further right on log axes', () => {
    const svg = lineChart({ ...spec, xLog: true, yLog: true });
    const pts = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    // The p50 series: x grows, y (pixels from the top) shrinks as the value grows.
    expect(pts[1][0]).toBeGreaterThan(pts[0][0]);
    expect(pts[2][0]).toBeGreaterThan(pts[1][0]);
    expect(pts[1][1]).toBeLessThan(pts[0][1]);
    expect(svg).toContain('(log scale)');
  });

  it('skips points a log axis cannot show, and draws scatter series without a line', () => {
    const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', yLog: true, series: [{ name: 's', color: '#000', scatter: true, points: [[1, 0], [2, 3], [3, 4]] }] });
    expect(svg).not.toContain('<path ');
    expect(svg.match(/<circle /g)).toHaveLength(2);
  });

  it('labels ticks compactly', () => {
    expect(shortNumber(50_000)).toBe('50k');
    expect(shortNumber(2_500_000)).toBe('2.5M');
    expect(shortNumber(0.125)).toBe('0.125');
    expect(shortNumber(1000)).toBe('1000');
  });
});
