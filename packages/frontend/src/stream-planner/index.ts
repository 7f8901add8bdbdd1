/** Materialized views: logical plan → stream plan → stream jobs (see engine.ts, to-stream.ts). */
export { StreamingEngine, DEFAULT_BARRIER_INTERVAL_MS, type MvJob, type StreamingOptions } from './engine';
export {
  createMaterializedViewCommand,
  explainCreateMaterializedViewCommand,
  flushCommand,
  implicitFlush,
  planMaterializedView,
  restoreMaterializedViews,
} from './commands';
export { planStream } from './to-stream';
export { checkStreamablePlan } from './streamable';
export { explainStreamPlan } from './explain';
export type { StreamNode, StreamPlan } from './plan';
