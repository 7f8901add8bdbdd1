/**
 * A line chart written directly as SVG, the companion of svg.ts's bar chart: latency CDFs
 * and histograms, freshness against background load, restart time against state size,
 * freshness over time. Points are drawn with markers, so a series of one point still shows.
 */
import { layoutLegend, linearTicks, logTicks } from './svg';

export interface LineSeries {
  name: string;
  color: string;
  /** [x, y] points, drawn in the given order. */
  points: [number, number][];
  dashed?: boolean;
  /** Markers only, no connecting line (e.g. one probe per point). */
  scatter?: boolean;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  xLog?: boolean;
  yLog?: boolean;
  /** Horizontal reference lines, e.g. a target. */
  refs?: { y: number; label: string }[];
  formatX?: (v: number) => string;
  formatY?: (v: number) => string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (x: number) => Math.round(x * 10) / 10;
/** Short tick labels: 3 significant digits, k/M suffixes for large values. */
export const shortNumber = (v: number): string =>
  v >= 1e6 ? `${Number((v / 1e6).toPrecision(3))}M` : v >= 1e4 ? `${Number((v / 1e3).toPrecision(3))}k` : String(Number(v.toPrecision(3)));

/** One axis: ticks and a value → pixel mapping over [from, to] pixels. */
function axis(values: number[], log: boolean, refs: number[], from: number, to: number) {
  const vs = [...values, ...refs].filter((v) => Number.isFinite(v) && (!log || v > 0));
  const ticks = log ? logTicks(Math.min(...vs, Infinity) || 1, Math.max(...vs, 1)) : linearTicks(Math.max(...vs, 0));
  const lo = log ? ticks[0] : 0;
  const hi = ticks[ticks.length - 1];
  const at = (v: number) => {
    const f = log ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo) || 1) : v / (hi || 1);
    return r1(from + f * (to - from));
  };
  return { ticks, at };
}

export function lineChart(spec: LineChartSpec): string {
  const fx = spec.formatX ?? shortNumber;
  const fy = spec.formatY ?? shortNumber;
  const width = Math.max(560, 72 + spec.title.length * 8.5 + 24);
  const margin = { top: 56, right: 24, bottom: 52, left: 72 };
  // Legend lines under the title, as many as needed.
  const { entries: legend, bottom } = layoutLegend(spec.series, margin.left, width - margin.right, 30);
  margin.top = bottom + 24;
  const plotW = width - margin.left - margin.right;
  const plotH = 280;
  const height = margin.top + plotH + margin.bottom;
  const pts = spec.series.flatMap((s) => s.points);
  const x = axis(
    pts.map((p) => p[0]),
    Boolean(spec.xLog),
    [],
    margin.left,
    margin.left + plotW,
  );
  const y = axis(
    pts.map((p) => p[1]),
    Boolean(spec.yLog),
    (spec.refs ?? []).map((r) => r.y),
    margin.top + plotH,
    margin.top,
  );

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left}" y="22" font-size="15" font-weight="bold">${esc(spec.title)}</text>`,
  ];
  for (const { x: lx0, y: top, s } of legend) {
    parts.push(`<line x1="${r1(lx0)}" x2="${r1(lx0 + 18)}" y1="${top + 5}" y2="${top + 5}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
    parts.push(`<text x="${r1(lx0 + 22)}" y="${top + 9}">${esc(s.name)}</text>`);
  }
  for (const t of y.ticks) {
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y.at(t)}" y2="${y.at(t)}" stroke="#ddd"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y.at(t) + 4}" text-anchor="end">${esc(fy(t))}</text>`);
  }
  for (const t of x.ticks) {
    parts.push(`<line x1="${x.at(t)}" x2="${x.at(t)}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#eee"/>`);
    parts.push(`<text x="${x.at(t)}" y="${margin.top + plotH + 16}" text-anchor="middle">${esc(fx(t))}</text>`);
  }
  parts.push(
    `<text x="${margin.left + plotW / 2}" y="${margin.top + plotH + 38}" text-anchor="middle">${esc(spec.xLabel)}${spec.xLog ? ' (log scale)' : ''}</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}${spec.yLog ? ' (log scale)' : ''}</text>`,
  );
  for (const ref of spec.refs ?? []) {
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y.at(ref.y)}" y2="${y.at(ref.y)}" stroke="#c00" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${margin.left + plotW - 4}" y="${y.at(ref.y) - 4}" text-anchor="end" fill="#c00">${esc(ref.label)}</text>`);
  }
  for (const s of spec.series) {
    const visible = s.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py) && (!spec.xLog || px > 0) && (!spec.yLog || py > 0));
    if (!visible.length) continue;
    if (!s.scatter && visible.length > 1) {
      const d = visible.map(([px, py], i) => `${i ? 'L' : 'M'}${x.at(px)} ${y.at(py)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
    }
    // Markers only where they stay readable.
    if (s.scatter || visible.length <= 40)
      for (const [px, py] of visible)
        parts.push(`<circle cx="${x.at(px)}" cy="${y.at(py)}" r="${s.scatter ? 2 : 3}" fill="${s.color}"><title>${esc(`${s.name}: ${fx(px)}, ${fy(py)}`)}</title></circle>`);
  }
  parts.push(
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#333"/>`,
    '</svg>',
  );
  return parts.join('\n') + '\n';
}
