export type { ChangeCursor, RowChange, StorageEngine, TableReader, TableSchema, WriteBatch } from './api';
export { openStorage, parseByteSize, type StorageOptions } from './open';
export { FORMAT_VERSION } from './level-log';
export type { ColdRangeReader, ColdScan, ColdSnapshot, ColdStateReader, PublishedKeys, StateStore, StoreTable, TrackingStateStore } from './state-store/api';
export { DEFAULT_CHECKPOINT_FREQUENCY, DurableStateStore, type CacheStats, type CheckpointSource, type CheckpointStats } from './state-store/durable-store';
export type { CheckpointRecord } from './state-store/keys';
export type { ObjectStore } from './object-store/api';
export type { Manifest } from './object-store/format';
export type { UploadStatus } from './object-store/uploader';
