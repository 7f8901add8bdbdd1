/**
 * Malformed source messages (Freshet's own tables; RisingWave reports these only as a
 * metric and in its log). Readers skip such a message and go on; these tables say which
 * ones, where, and why, without access to the server log:
 *
 * - rw_catalog.rw_source_errors: the most recent malformed messages (the newest 1000 in
 *   this process), with partition and offset;
 * - rw_catalog.rw_source_error_counts: every malformed message counted per source since
 *   the server started (exact, unlike the bounded list).
 *
 * Both are in-memory and per process: a restart starts them empty.
 */
import { T } from '@freshet/common';
import { recentSourceErrors, sourceErrorCounts } from '@freshet/connectors';
import { systemTable } from './table';

export const rwSourceErrors = systemTable({
  schema: 'rw_catalog',
  name: 'rw_source_errors',
  oid: 90_250,
  relkind: 'v',
  columns: [
    ['source_name', T.Varchar],
    ['partition', T.Int32],
    ['message_offset', T.Int64],
    ['reason', T.Varchar],
    ['occurred_at', T.Timestamptz],
  ],
  *rows() {
    for (const e of recentSourceErrors()) {
      yield { source_name: e.source, partition: e.partition, message_offset: BigInt(e.offset), reason: e.reason, occurred_at: e.at * 1000 };
    }
  },
});

export const rwSourceErrorCounts = systemTable({
  schema: 'rw_catalog',
  name: 'rw_source_error_counts',
  oid: 90_251,
  relkind: 'v',
  columns: [
    ['source_name', T.Varchar],
    ['error_count', T.Int64],
  ],
  *rows() {
    for (const [source, n] of sourceErrorCounts()) yield { source_name: source, error_count: BigInt(n) };
  },
});

export const RW_SOURCE_ERRORS_GROUP = [rwSourceErrors, rwSourceErrorCounts];
