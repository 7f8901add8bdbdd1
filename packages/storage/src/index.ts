export type { RowChange, StorageEngine, TableReader, TableSchema, WriteBatch } from './api';
export { openStorage, type StorageOptions } from './open';
export { FORMAT_VERSION } from './level-log';
