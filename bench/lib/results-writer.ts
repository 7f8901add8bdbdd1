/**
 * Writes a run's files side by side: `<date>-<scenario>[-<scale>].{json,md}` and the two
 * SVG charts. Full-scale runs get the plain name; other scales a suffix, so a quick small
 * run never overwrites the day's full-scale figures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { latencyChart, qpsChart } from './charts';
import { renderMarkdown, type BenchResult } from './report';

export function resultBaseName(r: Pick<BenchResult, 'date' | 'scenario' | 'scale'>): string {
  return `${r.date}-${r.scenario}${r.scale === 'full' ? '' : `-${r.scale}`}`;
}

export function writeResults(r: BenchResult, dir: string): { markdown: string; files: string[] } {
  mkdirSync(dir, { recursive: true });
  const name = resultBaseName(r);
  const base = join(dir, name);
  const markdown = renderMarkdown(r);
  const charts = `![QPS](./${name}-qps.svg)\n\n![latency](./${name}-latency.svg)\n`;
  const files: [string, string][] = [
    [`${base}.json`, `${JSON.stringify(r, null, 2)}\n`],
    [`${base}.md`, `${markdown}\n${charts}`],
    [`${base}-qps.svg`, qpsChart(r)],
    [`${base}-latency.svg`, latencyChart(r)],
  ];
  for (const [path, text] of files) writeFileSync(path, text);
  return { markdown, files: files.map(([p]) => p) };
}
