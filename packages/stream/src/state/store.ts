/**
 * The backing store under state tables: `StateStore` / `StoreTable`. The contract (two
 * views, epochs, synchronous reads) is documented where it is defined, in
 * packages/storage/src/state-store/api.ts, next to the durable LevelDB implementation;
 * storage cannot import the stream engine, so the stream engine imports the contract.
 * `MemStateStore` (mem-store.ts) is the in-memory implementation.
 */
export type { ColdScan, ColdSnapshot, StateStore, StoreTable } from '@freshet/storage';
