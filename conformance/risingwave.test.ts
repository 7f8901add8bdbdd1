/**
 * RisingWave's own batch sqllogictests (read-only data in ../shared, never copied into the
 * repo) against Freshet. Asserts the overall record pass rate and writes the per-file table
 * to conformance/results/risingwave-batch.md (failure details beside it, .failures.md).
 */
import { describeRisingWaveSuite } from './risingwave-suite';

/** Minimum share of records that must pass (98.3% measured when this was set): a regression fails the suite. */
export const RISINGWAVE_BATCH_MIN_PASS_RATE = 0.95;

describeRisingWaveSuite({
  dir: 'batch',
  resultsName: 'risingwave-batch',
  minPassRate: RISINGWAVE_BATCH_MIN_PASS_RATE,
  // The batch run stops starting records after this long, so CI stays inside its budget.
  budgetMs: 8 * 60_000,
  recordTimeoutMs: 20_000,
});
