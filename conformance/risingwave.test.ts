/**
 * RisingWave's own batch sqllogictests (read-only data in ../shared, never copied into the
 * repo) against Freshet. Asserts the overall record pass rate and writes the per-file table
 * to conformance/results/risingwave-batch.md (failure details beside it, .failures.md).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startTestTarget, targetKind, type TestTarget } from '@freshet/testkit';
import { runFiles } from './runner/runner';
import { markdownReport, markdownTable, passRate, summaryTable } from './runner/report';

/** Minimum share of records that must pass (98.3% measured when this was set): a regression fails the suite. */
export const RISINGWAVE_BATCH_MIN_PASS_RATE = 0.95;

/** The batch run stops starting records after this long, so CI stays inside its budget. */
const BUDGET_MS = 8 * 60_000;

const rwRoot = resolve(repoRoot, '../shared/conformance/risingwave');
const resultsDir = join(repoRoot, 'conformance/results');

/** Entry files listed under "Entry files" in the data's README, batch ones only. */
function batchEntryFiles(): string[] {
  const readme = readFileSync(join(rwRoot, 'README.md'), 'utf8');
  return [...readme.matchAll(/^- (e2e_test\/batch\/\S+)$/gm)].map((m) => join(rwRoot, m[1]));
}

const present = existsSync(join(rwRoot, 'README.md'));
if (!present) {
  process.stderr.write(`\n*** risingwave.test: ${rwRoot} not found: RisingWave batch conformance SKIPPED ***\n\n`);
}

describe.skipIf(!present)('RisingWave batch sqllogictests', () => {
  let target: TestTarget;
  beforeAll(async () => {
    target = await startTestTarget();
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('passes at least the agreed share of records', { timeout: BUDGET_MS + 120_000 }, async () => {
    const files = batchEntryFiles();
    expect(files.length).toBeGreaterThan(0);
    const summary = await runFiles(files, {
      url: target.url,
      labels: targetKind() === 'postgres' ? ['postgres'] : ['freshet', 'risingwave'],
      recordTimeoutMs: 20_000,
      budgetMs: BUDGET_MS,
      baseDir: join(rwRoot, 'e2e_test/batch'),
      newServer: () => startTestTarget(),
    });
    mkdirSync(resultsDir, { recursive: true });
    const title = `RisingWave batch sqllogictests on ${target.kind}`;
    // A PostgreSQL run (checking the runner) must not overwrite Freshet's scoreboard.
    const base = target.kind === 'freshet' ? 'risingwave-batch' : `risingwave-batch.${target.kind}`;
    writeFileSync(join(resultsDir, `${base}.md`), markdownTable(summary, title));
    writeFileSync(join(resultsDir, `${base}.failures.md`), markdownReport(summary, title));
    process.stdout.write(`\n${title}\n${summaryTable(summary)}\n`);
    expect(passRate(summary)).toBeGreaterThanOrEqual(RISINGWAVE_BATCH_MIN_PASS_RATE);
  });
});
