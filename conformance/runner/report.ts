/**
 * Renders run results: a per-file table (console and markdown) and failure details.
 */
import type { FileResult, RunSummary } from './runner';

export function passRate(s: { passed: number; failed: number }): number {
  const total = s.passed + s.failed;
  return total === 0 ? 0 : s.passed / total;
}

const pct = (s: { passed: number; failed: number }) => `${(passRate(s) * 100).toFixed(1)}%`;

/** Plain-text table for the terminal. */
export function summaryTable(summary: RunSummary): string {
  const rows = summary.files.map((f) => [f.file, String(f.passed), String(f.failed), String(f.skipped), pct(f), f.error ? 'ERROR' : '']);
  rows.push(['TOTAL', String(summary.passed), String(summary.failed), String(summary.skipped), pct(summary), `${(summary.durationMs / 1000).toFixed(1)}s`]);
  const header = ['file', 'pass', 'fail', 'skip', 'rate', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Markdown with the per-file table only (stable enough to commit as a scoreboard). */
export function markdownTable(summary: RunSummary, title: string): string {
  const out = [
    `# ${title}`,
    '',
    `Records passed: **${summary.passed} / ${summary.passed + summary.failed}** (${pct(summary)}), skipped ${summary.skipped}.`,
    '',
    '| file | passed | failed | skipped | rate | note |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const f of summary.files) {
    const note = f.error ? f.error.split('\n')[0].slice(0, 120).replace(/\|/g, '\\|') : f.isolation === 'database' ? '' : `isolation: ${f.isolation}`;
    out.push(`| ${f.file} | ${f.passed} | ${f.failed} | ${f.skipped} | ${pct(f)} | ${note} |`);
  }
  out.push('');
  return out.join('\n');
}

function clip(text: string, maxLines: number): string {
  const lines = text.split('\n');
  if (lines.length <= maxLines) return text;
  return `${lines.slice(0, maxLines).join('\n')}\n… (${lines.length - maxLines} more lines)`;
}

function fence(text: string): string {
  return ['```', text.replace(/```/g, '` ` `'), '```'].join('\n');
}

/** Failure details for one file, expected vs actual. */
export function failureDetails(f: FileResult, maxLines = 40): string {
  const out = [`## ${f.file}`, ''];
  if (f.error) out.push(`**${f.error}**`, '');
  for (const x of f.failures) {
    out.push(`### ${x.location} — ${x.kind}`, '', fence(clip(x.sql, maxLines)), '', 'expected:', fence(clip(x.expected, maxLines)), '', 'actual:', fence(clip(x.actual, maxLines)), '');
  }
  return out.join('\n');
}

/** Full report: table then details of every failing file. */
export function markdownReport(summary: RunSummary, title: string): string {
  const failing = summary.files.filter((f) => f.failed > 0);
  return [markdownTable(summary, title), failing.length ? '# Failures\n' : '', ...failing.map((f) => failureDetails(f))].join('\n');
}
