/**
 * The streaming engine's jobs as the system tables see them: one `StreamingJobInfo` per
 * running MV and sink (from the engine's job lists, their running backfills and their flow
 * counters, stream-planner/flow-stats.ts). The session layer passes this to QueryContext.session.
 */
import type { Catalog } from '../catalog';
import type { StreamingEngine } from '../../stream-planner/engine';
import type { JobFlowStats } from '../../stream-planner/flow-stats';
import type { StreamingJobInfo } from './session-info';

export function streamingJobs(catalog: Catalog, engine: StreamingEngine): StreamingJobInfo[] {
  const backfills = new Map(engine.backfillProgress().map((b) => [b.id, b]));
  const out: StreamingJobInfo[] = [];
  for (const db of catalog.listDatabases()) {
    for (const rel of catalog.listRelations(db.name, undefined, 'sink')) {
      if (!engine.sinkJob(rel.id)) continue;
      const backfill = backfills.get(rel.id);
      const flow = engine.flow.job(rel.id);
      out.push({
        id: rel.id, kind: 'sink', database: rel.database, schema: rel.schema, name: rel.name, definition: rel.definition,
        status: backfill ? 'CREATING' : 'CREATED',
        backfill: backfill && { done: backfill.done, total: backfill.total, startedAt: backfill.startedAt },
        rowCount: null,
        ...flowFields(flow),
      });
    }
    for (const rel of catalog.listRelations(db.name, undefined, 'materialized_view')) {
      const job = engine.job(rel.id);
      if (!job) continue;
      const backfill = backfills.get(rel.id);
      const flow = engine.flow.job(rel.id);
      out.push({
        id: rel.id,
        kind: 'materialized_view',
        database: rel.database,
        schema: rel.schema,
        name: rel.name,
        definition: rel.definition,
        status: backfill ? 'CREATING' : 'CREATED',
        backfill: backfill && { done: backfill.done, total: backfill.total, startedAt: backfill.startedAt },
        rowCount: job.materialize.table.size,
        ...flowFields(flow),
      });
    }
  }
  return out;
}

/** A job's flow counters (zero before its first chunk or barrier). */
function flowFields(flow: JobFlowStats | undefined) {
  return {
    rowsIn: flow?.rowsIn ?? 0,
    rowsOut: flow?.rowsOut ?? 0,
    committedEpoch: flow?.committedEpoch ?? 0,
    committedAt: flow?.committedAt ?? null,
    sourceChangedAt: flow?.sourceChangedAt ?? null,
    outputChangedAt: flow?.outputChangedAt ?? null,
    lagMs: flow?.lagMs ?? 0,
  };
}

/** RisingWave's SHOW JOBS / rw_ddl_progress progress text: percent with two decimals. */
export function formatJobProgress(b: { done: number; total: number }): string {
  return `${(b.total === 0 ? 100 : (100 * b.done) / b.total).toFixed(2)}%`;
}
