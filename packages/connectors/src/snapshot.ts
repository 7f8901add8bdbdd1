/**
 * An ad-hoc `SELECT … FROM source` reads what the source has: for a bounded generator (a
 * datagen sequence with an end, nexmark with `nexmark.event.num`) every row, generated at
 * full speed. Unbounded generators have no "what is there" and answer 0A000, as RisingWave
 * only scans sources that keep data (Kafka) in batch queries.
 */
import { type Row, SqlError, SqlState } from '@freshet/common';
import type { SourceSpec } from './api';
import { sourceConnector } from './registry';

/** More rows than this in one ad-hoc read is almost certainly a mistake (or an unbounded option). */
export const SNAPSHOT_ROW_LIMIT = 10_000_000;

export function readBoundedSource(spec: SourceSpec): Row[] {
  const connector = sourceConnector(spec.connector);
  if (!connector.open || !connector.bounded?.(spec)) {
    if (connector.snapshot) {
      throw new SqlError(SqlState.InternalError, `source ${spec.name} was scanned without its snapshot (prefetchSourceSnapshot)`);
    }
    throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: querying ${spec.connector} source ${spec.name} directly`, {
      hint: connector.open
        ? 'Only a bounded generator (datagen with a sequence column, nexmark with nexmark.event.num) can be queried directly; create a materialized view over the source instead.'
        : `The ${spec.connector} connector cannot read yet.`,
    });
  }
  const reader = connector.open(spec, { now: () => Date.now(), unthrottled: true });
  const out: Row[] = [];
  try {
    while (!reader.exhausted) {
      const rows = reader.pull(4096);
      if (rows.length === 0) break;
      for (const r of rows) out.push(r);
      if (out.length > SNAPSHOT_ROW_LIMIT) {
        throw new SqlError(SqlState.ProgramLimitExceeded, `source ${spec.name} has more than ${SNAPSHOT_ROW_LIMIT} rows to read directly`);
      }
    }
  } finally {
    void reader.close();
  }
  return out;
}
