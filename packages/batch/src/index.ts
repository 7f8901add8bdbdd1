/**
 * @freshet/batch — executors for ad-hoc queries and DML over tables and MVs. The frontend
 * lowers its optimized plan into these constructors; nothing here imports the frontend.
 */
export * from './executor';
export { PlanRunner, drainSync } from './driver';
export { type OrderKey, tupleComparator } from './compare';
export { type HashKey, compositeKey, singleKey, rowKeyFn, keyValue, keyValueFn } from './keys';
export { SeqScanExecutor } from './executor/seq-scan';
export { GetExecutor } from './executor/get';
export { IndexLookupExecutor } from './executor/index-lookup';
export { SecondaryIndexes, IndexBuilder, type IndexMap, type IndexedPks, eachIndexedPk, type WatchTable } from './secondary-index';
export { FilterExecutor } from './executor/filter';
export { ApplyExecutor, CorrelatedSubplan, SubplanNeeded } from './executor/apply';
export { ProjectExecutor } from './executor/project';
export { ValuesExecutor } from './executor/values';
export { LimitExecutor } from './executor/limit';
export { DeferredExecutor } from './executor/deferred';
export { SortExecutor, type SortKey } from './executor/sort';
export { HashAggExecutor, type AggCallSpec } from './executor/hash-agg';
export { type JoinType } from './executor/join-type';
export { HashJoinExecutor } from './executor/hash-join';
export { NestedLoopJoinExecutor } from './executor/nested-loop-join';
export { DistinctExecutor } from './executor/distinct';
export { UnionExecutor } from './executor/union';
export { IntersectExceptExecutor } from './executor/intersect-except';
export { ProjectSetExecutor, type ProjectSetItem } from './executor/project-set';
export { TableFunctionExecutor } from './executor/table-function';
export { HopWindowExecutor } from './executor/hop-window';
export { WindowExecutor, type WindowCallSpec } from './executor/window';
export { type WindowFrame, type FrameBound, type FrameUnit, type FrameExclusion, DEFAULT_FRAME } from './executor/window-frame';
export { ExpandExecutor } from './executor/expand';
export { TableWriter, type WriteTarget, type ConflictBehavior } from './executor/table-writer';
export { DmlExecutor } from './executor/dml';
export { InsertExecutor } from './executor/insert';
export { UpdateExecutor } from './executor/update';
export { DeleteExecutor } from './executor/delete';
