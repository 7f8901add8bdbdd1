/**
 * RisingWave's streaming sqllogictests (read-only data in ../shared, never copied into the
 * repo) against Freshet: the e2e_test/streaming entry files listed in the data's README.
 * Asserts the overall record pass rate and writes the per-file table to
 * conformance/results/risingwave-streaming.md (failure details beside it, .failures.md).
 */
import { describeRisingWaveSuite } from './risingwave-suite';

/** Minimum share of records that must pass (97.6% measured when this was set): a regression fails the suite. */
export const RISINGWAVE_STREAMING_MIN_PASS_RATE = 0.95;

describeRisingWaveSuite({
  dir: 'streaming',
  resultsName: 'risingwave-streaming',
  minPassRate: RISINGWAVE_STREAMING_MIN_PASS_RATE,
  // The run stops starting records after this long, so the suite stays inside its budget.
  budgetMs: 90_000,
  recordTimeoutMs: 10_000,
});
