/**
 * One directory of RisingWave's e2e sqllogictests (read-only data in ../shared, never copied
 * into the repo) as a vitest suite against the test target: runs the entry files the data's
 * README lists for that directory, writes the per-file table to conformance/results/<name>.md
 * (failure details beside it, .failures.md) and asserts the overall record pass rate. The
 * batch and streaming suites share it so both are budgeted, reported and gated the same way.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startTestTarget, targetKind, type TestTarget } from '@freshet/testkit';
import { runFiles } from './runner/runner';
import { markdownReport, markdownTable, passRate, summaryTable } from './runner/report';

export interface RisingWaveSuiteOptions {
  /** The e2e_test subdirectory, e.g. 'batch' or 'streaming'. */
  readonly dir: string;
  /** Results file name for a Freshet run; other targets get `<name>.<kind>` so they never overwrite it. */
  readonly resultsName: string;
  /** Minimum share of records that must pass: a regression fails the suite. */
  readonly minPassRate: number;
  /** The run stops starting records after this long, so the suite stays inside its budget. */
  readonly budgetMs: number;
  readonly recordTimeoutMs: number;
}

const rwRoot = resolve(repoRoot, '../shared/conformance/risingwave');
const resultsDir = join(repoRoot, 'conformance/results');

/** Entry files listed under "Entry files" in the data's README, those under e2e_test/<dir> only. */
function entryFiles(dir: string): string[] {
  const readme = readFileSync(join(rwRoot, 'README.md'), 'utf8');
  return [...readme.matchAll(new RegExp(`^- (e2e_test/${dir}/\\S+)$`, 'gm'))].map((m) => join(rwRoot, m[1]));
}

export function describeRisingWaveSuite(opts: RisingWaveSuiteOptions): void {
  const name = `RisingWave ${opts.dir} sqllogictests`;
  const present = existsSync(join(rwRoot, 'README.md'));
  if (!present) process.stderr.write(`\n*** ${name}: ${rwRoot} not found: SKIPPED ***\n\n`);

  describe.skipIf(!present)(name, () => {
    let target: TestTarget;
    beforeAll(async () => {
      target = await startTestTarget();
    });
    afterAll(async () => {
      await target?.stop();
    });

    it('passes at least the agreed share of records', { timeout: opts.budgetMs + 120_000 }, async () => {
      const files = entryFiles(opts.dir);
      expect(files.length).toBeGreaterThan(0);
      const summary = await runFiles(files, {
        url: target.url,
        labels: targetKind() === 'postgres' ? ['postgres'] : ['freshet', 'risingwave'],
        recordTimeoutMs: opts.recordTimeoutMs,
        budgetMs: opts.budgetMs,
        baseDir: join(rwRoot, 'e2e_test', opts.dir),
        newServer: () => startTestTarget(),
      });
      mkdirSync(resultsDir, { recursive: true });
      const title = `${name} on ${target.kind}`;
      // A PostgreSQL run (checking the runner) must not overwrite Freshet's scoreboard.
      const base = target.kind === 'freshet' ? opts.resultsName : `${opts.resultsName}.${target.kind}`;
      writeFileSync(join(resultsDir, `${base}.md`), markdownTable(summary, title));
      writeFileSync(join(resultsDir, `${base}.failures.md`), markdownReport(summary, title));
      process.stdout.write(`\n${title}\n${summaryTable(summary)}\n`);
      expect(passRate(summary)).toBeGreaterThanOrEqual(opts.minPassRate);
    });
  });
}
