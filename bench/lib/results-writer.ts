/**
 * Writes a run's files side by side: `<date>-<scenario>[-<scale>].{json,md}` and its SVG
 * charts. Full-scale runs get the plain name; other scales a suffix, so a quick run never
 * overwrites the day's full-scale figures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { conditionsMarkdown, type RunConditions } from './run-conditions';
import type { ScenarioOutput } from './scenario';

export function resultBaseName(r: Pick<ScenarioOutput, 'date' | 'scenario' | 'scale'>): string {
  return `${r.date}-${r.scenario}${r.scale === 'full' ? '' : `-${r.scale}`}`;
}

/**
 * With `conditions` (the CLI always passes them) the report ends with the machine, load
 * before/after and noise verdict, and the JSON gets them as `runConditions`.
 */
export function writeResults(r: ScenarioOutput, dir: string, conditions?: RunConditions): { markdown: string; files: string[] } {
  mkdirSync(dir, { recursive: true });
  const name = resultBaseName(r);
  const base = join(dir, name);
  const charts = r.charts.map((c) => `![${c.title}](./${name}-${c.suffix}.svg)\n`).join('\n');
  const markdown = conditions ? `${r.markdown}\n${conditionsMarkdown(conditions)}` : r.markdown;
  const data = conditions ? (typeof r.data === 'object' && r.data !== null ? { ...r.data, runConditions: conditions } : { data: r.data, runConditions: conditions }) : r.data;
  const files: [string, string][] = [
    [`${base}.json`, `${JSON.stringify(data, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`],
    [`${base}.md`, `${markdown}\n${charts}`],
    ...r.charts.map((c): [string, string] => [`${base}-${c.suffix}.svg`, c.svg]),
  ];
  for (const [path, text] of files) writeFileSync(path, text);
  return { markdown, files: files.map(([p]) => p) };
}
