/** @see ./README.md — the batch query engine's API for the session layer. */
export {
  prepareQuery,
  describeQuery,
  runQuery,
  type PreparedQuery,
  type QueryExecution,
  type QueryContext,
  type ExecuteOptions,
  type FieldDesc,
} from './prepare';
