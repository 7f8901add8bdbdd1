/**
 * @freshet/stream: the streaming engine — executors (one file per operator), the barrier
 * protocol, state tables over a pluggable state store. See README.md.
 */
export { Barrier, Watermark, type Message, type Mutation } from './message';
export { Executor, UnaryExecutor, StatefulExecutor, endEpoch, type Output } from './executor/executor';
export { BarrierAligner, type AlignedHandler } from './executor/align';
export { SourceExecutor, ValuesExecutor, type BarrierInjectable } from './executor/source';
export { FilterExecutor, filterChunk } from './executor/filter';
export { ProjectExecutor, projectChunk } from './executor/project';
export { HashAggExecutor, type HashAggOptions } from './executor/hash-agg';
export { SimpleAggExecutor, type SimpleAggOptions } from './executor/simple-agg';
export { StatelessLocalAggExecutor, type StatelessLocalAggOptions } from './executor/stateless-local-agg';
export { partialAggSupported, partialTypes } from './agg/partial';
export { HashJoinExecutor, type HashJoinOptions, type JoinType } from './executor/hash-join';
export { ChangeCapture } from './executor/change-capture';
export { MaterializeExecutor, applyToTable, type ConflictBehavior, type EpochCollector, type MaterializeOptions } from './executor/materialize';
export { UnionExecutor } from './executor/union';
export { DedupExecutor, type DedupOptions } from './executor/dedup';
export { GroupTopNExecutor, type GroupTopNOptions, type TopNOrderItem } from './executor/group-top-n';
export { TopNExecutor, type TopNOptions } from './executor/top-n';
export { type BackfillProgress, ChainExecutor, type ChainOptions } from './executor/chain';
export { ProjectSetExecutor, type ProjectSetItem } from './executor/project-set';
export { HopWindowExecutor, type HopWindowOptions } from './executor/hop-window';
export { DynamicFilterExecutor, type DynamicFilterOp, type DynamicFilterOptions } from './executor/dynamic-filter';
export { TemporalFilterExecutor, type TemporalFilterOptions } from './executor/temporal-filter';
export { AppendOnlyTemporalFilterExecutor, type AppendOnlyTemporalFilterOptions } from './executor/append-only-temporal-filter';
export { TemporalJoinExecutor, type TemporalJoinOptions } from './executor/temporal-join';
export { ChangelogExecutor } from './executor/changelog';
export { NowSeriesExecutor, type NowSeriesOptions } from './executor/now-series';
export { OverWindowExecutor, type OverWindowOptions } from './executor/over-window';
export { type SinkEpochInfo, SinkExecutor, type SinkLogOptions, type SinkMode, type SinkOptions, type SinkTarget, DEFAULT_SINK_LOG_MAX_ROWS } from './executor/sink';
export { SINK_LOG_KEY_TYPES } from './executor/sink-log';
export { WatermarkFilterExecutor, type WatermarkFilterOptions, watermarkFilterChunk } from './executor/watermark-filter';
export { EowcSortExecutor, type EowcSortOptions } from './executor/eowc-sort';
export { WatermarkProjectExecutor, type DerivedWatermark } from './executor/watermark-project';
export { EowcOverWindowExecutor, type EowcOverWindowOptions, type EowcWindowCall, type EowcFrame } from './executor/eowc-over-window';
export { WatermarkHashAggExecutor, type WatermarkHashAggOptions } from './executor/hash-agg-watermark';
export type { AggCallDesc, AggOrderItem } from './agg/call';
export { BatchScalarCall, type BatchScalarImpl, InputRef, Literal, RowFnExpr, ScalarCall, isTrue, type ChunkLike, type RowPredicate, type StreamExpr } from './expr';
export { LoggingErrorReporter, defaultErrorReporter, type EvalErrorReporter } from './eval-errors';
export { StateTable, StateTableAllocator, type PkBound, type StateTableDesc } from './state/state-table';
export type { ColdSnapshot, StateStore, StoreTable } from './state/store';
export { MemStateStore } from './state/mem-store';
export { stateHeapBudget } from './state/heap-budget';
export { SortedMap } from './state/sorted-map';
export { BarrierManager, type BarrierManagerOptions, type CollectorHandle } from './graph/barrier-manager';
export { StreamGraph } from './graph/stream-graph';
