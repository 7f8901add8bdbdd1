/**
 * A grouped bar chart written directly as SVG: enough for the benchmark's two figures
 * without pulling a charting library in. Optional min–max whiskers show run-to-run spread.
 */

export interface BarSeries {
  name: string;
  color: string;
}

export interface BarValue {
  value: number;
  lo?: number;
  hi?: number;
}

export interface BarGroup {
  label: string;
  /** One entry per series, in series order; null leaves a gap. */
  values: (BarValue | null)[];
}

export interface BarChartSpec {
  title: string;
  yLabel: string;
  series: BarSeries[];
  groups: BarGroup[];
  /** Log10 y axis (latencies span orders of magnitude). */
  log?: boolean;
  /** Label text for a value, on bars and ticks. */
  format?: (v: number) => string;
  /** Print the value above each bar. */
  labels?: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (x: number) => Math.round(x * 10) / 10;

/** Tick values for a linear axis from 0 to at least `max`: 1/2/5 × 10^k steps. */
export function linearTicks(max: number, target = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Powers of ten covering [min, max]. */
export function logTicks(min: number, max: number): number[] {
  // No finite data (a run that measured nothing): a plain decade, not an endless loop.
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [1, 10];
  const lo = Math.floor(Math.log10(Math.max(min, 1e-9)));
  const hi = Math.ceil(Math.log10(Math.max(max, min * 10, 1e-9)));
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
  return ticks;
}

/**
 * Lays legend entries out in lines under a chart's title (about 7 px a character at 11 px,
 * `swatch` px for the marker), wrapping at the right margin. Returns each entry's position
 * and the y of the last line; the plot starts 24 px below it.
 */
export function layoutLegend<S extends { name: string }>(series: readonly S[], left: number, right: number, swatch: number): { entries: { x: number; y: number; s: S }[]; bottom: number } {
  const entries: { x: number; y: number; s: S }[] = [];
  let lx = left;
  let ly = 32;
  for (const s of series) {
    const w = swatch + s.name.length * 7;
    if (lx > left && lx + w > right) {
      lx = left;
      ly += 16;
    }
    entries.push({ x: lx, y: ly, s });
    lx += w;
  }
  return { entries, bottom: ly };
}

export function barChart(spec: BarChartSpec): string {
  const fmt = spec.format ?? ((v: number) => String(v));
  // Bars with a value label are wide enough for the label to sit flat above them.
  const bar = spec.labels ? 38 : 18;
  const groupGap = 28;
  const margin = { top: 56, right: 24, bottom: 64, left: 72 };
  // Wide enough for a two-line group label even with few series.
  const minGroupWidth = Math.max(96, spec.series.length * bar + groupGap);
  // Never narrower than the title (about 8.5 px a character at 15 px bold).
  const width = Math.max(margin.left + Math.max(360, spec.groups.length * minGroupWidth) + margin.right, margin.left + spec.title.length * 8.5 + margin.right);
  // The groups share whatever width the title left over.
  const plotW = width - margin.left - margin.right;
  const groupWidth = plotW / Math.max(1, spec.groups.length);

  // Legend: as many lines as it needs under the title.
  const { entries: legend, bottom } = layoutLegend(spec.series, margin.left, width - margin.right, 24);
  margin.top = bottom + 24;
  const plotH = 260;
  const height = margin.top + plotH + margin.bottom;

  const all = spec.groups.flatMap((g) => g.values.flatMap((v) => (v ? [v.value, v.hi ?? v.value, v.lo ?? v.value] : [])));
  const positive = all.filter((v) => v > 0);
  // Linear axes get headroom above the tallest bar for its value label.
  const ticks = spec.log
    ? logTicks(Math.min(...positive, 1), Math.max(...positive, 1))
    : linearTicks(Math.max(...all, 0) * (spec.labels ? 1.15 : 1));
  const yMin = spec.log ? ticks[0] : 0;
  const yMax = ticks[ticks.length - 1];
  const y = (v: number) => {
    const f = spec.log ? (Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : v / yMax;
    return r1(margin.top + plotH - f * plotH);
  };

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${margin.left}" y="22" font-size="15" font-weight="bold">${esc(spec.title)}</text>`);
  for (const { x, y: top, s } of legend) {
    parts.push(`<rect x="${r1(x)}" y="${top}" width="10" height="10" fill="${s.color}"/>`);
    parts.push(`<text x="${r1(x + 14)}" y="${top + 9}">${esc(s.name)}</text>`);
  }
  for (const t of ticks) {
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y(t) + 4}" text-anchor="end">${esc(fmt(t))}</text>`);
  }
  parts.push(
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}${spec.log ? ' (log scale)' : ''}</text>`,
  );
  spec.groups.forEach((g, gi) => {
    const gx = r1(margin.left + gi * groupWidth + (groupWidth - spec.series.length * bar) / 2);
    g.values.forEach((v, si) => {
      if (!v) return;
      const x = gx + si * bar;
      const top = y(v.value);
      parts.push(
        `<rect x="${x}" y="${top}" width="${bar - 2}" height="${r1(margin.top + plotH - top)}" fill="${spec.series[si].color}"><title>${esc(`${spec.series[si].name}, ${g.label}: ${fmt(v.value)}`)}</title></rect>`,
      );
      if (v.lo !== undefined && v.hi !== undefined) {
        const cx = x + (bar - 2) / 2;
        parts.push(`<line x1="${cx}" x2="${cx}" y1="${y(v.lo)}" y2="${y(v.hi)}" stroke="#333"/>`);
        parts.push(`<line x1="${cx - 3}" x2="${cx + 3}" y1="${y(v.hi)}" y2="${y(v.hi)}" stroke="#333"/>`);
        parts.push(`<line x1="${cx - 3}" x2="${cx + 3}" y1="${y(v.lo)}" y2="${y(v.lo)}" stroke="#333"/>`);
      }
      if (spec.labels) {
        // Above the bar and its whisker, centred.
        const above = Math.min(top, v.hi !== undefined ? y(v.hi) : top) - 5;
        parts.push(`<text x="${r1(x + (bar - 2) / 2)}" y="${r1(above)}" text-anchor="middle" font-size="9">${esc(fmt(v.value))}</text>`);
      }
    });
    // A label may hold '\n' line breaks (e.g. protocol, then connections).
    const cx = r1(gx + (spec.series.length * bar) / 2);
    const lines = g.label.split('\n').map((l, i) => `<tspan x="${cx}" dy="${i ? 13 : 0}">${esc(l)}</tspan>`);
    parts.push(`<text x="${cx}" y="${margin.top + plotH + 16}" text-anchor="middle">${lines.join('')}</text>`);
  });
  parts.push(`<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#333"/>`);
  parts.push(
    `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#333"/>`,
  );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
