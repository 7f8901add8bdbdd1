/**
 * The client libraries connectors talk to the outside world with, each loaded the first
 * time a connector of its kind is used rather than when the package is imported.
 *
 * Why: together they cost about half a second of CPU to load (AWS SDK ~125 ms, apache-arrow
 * ~100 ms, kafkajs ~75 ms, pg ~55 ms, …), which every `freshet start` paid
 * before accepting its first connection, although most servers use none of them. They are
 * CommonJS packages, so a synchronous `require` on first use keeps every caller synchronous
 * (source readers, sink targets and their validation stay as they are).
 *
 * The one rule: outside this file, import these packages with `import type` only; a value
 * import would load the library at startup again (packages/server/src/startup.test.ts checks
 * that starting a server loads none of them).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A loader for CommonJS package `id`: required on the first call, the same module after. */
function lazy<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}

/** Kafka source reader, Kafka sink. */
export const kafkajs = lazy<typeof import('kafkajs')>('kafkajs');
/** PostgreSQL sink, postgres-cdc snapshots and schema reads. */
export const pg = lazy<typeof import('pg')>('pg');
/** postgres-cdc replication stream. */
export const pgLogicalReplication = lazy<typeof import('pg-logical-replication')>('pg-logical-replication');
/** S3 sink. */
export const awsS3 = lazy<typeof import('@aws-sdk/client-s3')>('@aws-sdk/client-s3');
/** S3 sink, `ENCODE PARQUET`: columns (apache-arrow) and the file writer (parquet-wasm). */
export const apacheArrow = lazy<typeof import('apache-arrow')>('apache-arrow');
export const parquetWasm = lazy<typeof import('parquet-wasm')>('parquet-wasm');
/** Kafka source, snappy-compressed record batches (decompression only). */
export const snappyjs = lazy<{ uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array }>('snappyjs');
/** Kafka source, zstd-compressed record batches (decompression only). */
export const fzstd = lazy<typeof import('fzstd')>('fzstd');
