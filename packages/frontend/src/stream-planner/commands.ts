/**
 * Statements of the streaming engine as session commands: CREATE MATERIALIZED VIEW,
 * EXPLAIN CREATE MATERIALIZED VIEW and FLUSH; plus planning an MV's query (bind → check →
 * optimize → stream plan) and rebuilding every MV at startup.
 */
import { T, type Row, SqlError, SqlState, notSupported } from '@freshet/common';
import type { EvalContext } from '@freshet/expr';
import { type PgNode, type RwExtras, type Statement, parseSql } from '@freshet/sql';
import { nodeType } from '../binder/ast';
import { BindContext, type QueryContext } from '../binder/context';
import { bindStatement } from '../binder/statement';
import type { RelationCatalog } from '../catalog/model';
import { newRelationSchema } from '../handler/ddl/context';
import { queryText } from '../handler/ddl/create-view';
import { rangeVarName, strVal } from '../handler/ddl/pg-nodes';
import { optimize } from '../optimizer';
import type { CancelToken } from '../session/cancel';
import { rateLimit } from '../session/config';
import { ddlContext } from '../session/ddl-command';
import { type PreparedCommand, simpleCommand } from '../session/dispatch';
import { queryContext } from '../session/query-context';
import type { FrontendSession } from '../session/session';
import type { MvJob, StreamingEngine } from './engine';
import { STATE_TABLES_PER_JOB } from './engine';
import { explainStreamPlan } from './explain';
import { StateLayoutChanged } from './durability';
import { RebuildPendingReader } from './pending-reader';
import type { StreamPlan } from './plan';
import { restoreSinkJobs, restoreSinks } from './sink';
import { checkTemporalScans } from './to-stream-join';
import { checkStreamablePlan } from './streamable';
import type { StreamPlannerEnv } from './to-stream';
import { type StreamQueryContext, recordTwoPhaseAgg, storedTwoPhaseAgg } from './to-stream-agg';
import { mvWatermarkColumns, planStreamWithWatermarks } from './to-stream-watermark';

export interface PlannedMv {
  readonly plan: StreamPlan;
  readonly evalCtx: EvalContext;
}

/** Binds and optimizes an MV's query with the batch front end, then plans its dataflow. */
export function planMaterializedView(ctx: QueryContext, query: PgNode, rw: RwExtras | undefined, env: StreamPlannerEnv): PlannedMv {
  if (nodeType(query) !== 'SelectStmt') throw notSupported(`CREATE MATERIALIZED VIEW over ${nodeType(query)}`);
  // Process-time temporal joins only (the binder marks the scan; to-stream-join.ts plans it).
  const asOf = rw?.temporalJoins?.find((t) => t.asOf.replace(/\s+/g, '').toLowerCase() !== 'proctime()');
  if (asOf) throw notSupported(`temporal join FOR SYSTEM_TIME AS OF ${asOf.asOf}`, 'Only FOR SYSTEM_TIME AS OF PROCTIME() is supported.');
  const bc = new BindContext(ctx, [], rw);
  const bound = bindStatement(bc, query);
  checkTemporalScans(bound, rw?.temporalJoins?.length ?? 0);
  const evalCtx = bc.evalContext();
  // After decorrelation (EXISTS / IN are semi / anti joins by then); NOW() is volatile,
  // so constant folding leaves it for the temporal filters.
  const optimized = optimize(bound, evalCtx);
  checkStreamablePlan(optimized);
  return { plan: planStreamWithWatermarks(optimized, env, ctx, !!rw?.emitOnWindowClose), evalCtx };
}

type CreateStmt = Extract<Statement, { kind: 'pg' }>;

/** The catalog record of a new MV named by `into` over `plan`. */
function mvRecord(session: FrontendSession, stmt: CreateStmt, schema: string, name: string, plan: StreamPlan): RelationCatalog {
  const body = (stmt.node as Record<string, PgNode>).CreateTableAsStmt;
  const colNames: string[] = ((body.into.colNames ?? []) as PgNode[]).map(strVal);
  const visible = plan.columns.filter((c) => !c.hidden).length;
  // RisingWave requires a column list to name every output column.
  if (colNames.length > 0 && colNames.length !== visible) {
    throw new SqlError(SqlState.SyntaxError, `incorrect column name count: the materialized view has ${visible} columns but ${colNames.length} names were given`);
  }
  const id = session.frontend.catalog.nextId();
  return {
    id,
    kind: 'materialized_view',
    database: session.database,
    schema,
    name,
    owner: session.user,
    columns: plan.columns.map((c, i) => ({ name: colNames[i] ?? c.name, type: c.type, hidden: c.hidden, notNull: false })),
    pk: [...plan.pk],
    appendOnly: false,
    onConflict: 'overwrite',
    definition: stmt.text,
    query: queryText(stmt.text),
    withOptions: withBackfillRateLimit(session, stmt.rw?.withOptions ?? {}),
    dependsOn: [...plan.upstreams],
    createdAt: Date.now(),
    stream: { firstStateTableId: id * STATE_TABLES_PER_JOB, timeZone: session.timeZone(), ...recordTwoPhaseAgg(queryContext(session)) },
    ...mvWatermarkColumns(plan),
  };
}

/**
 * The MV's WITH options, with `backfill_rate_limit` checked and, when WITH does not set
 * it, taken from the session (as RisingWave's SET BACKFILL_RATE_LIMIT applies to the
 * jobs created after it). Kept in the catalog with the view's other options.
 */
function withBackfillRateLimit(session: FrontendSession, withOptions: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...withOptions };
  const given = out.backfill_rate_limit;
  const limit = given === undefined ? session.config.get('backfill_rate_limit') : rateLimit('backfill_rate_limit')(given);
  if (limit === 'default') delete out.backfill_rate_limit;
  else out.backfill_rate_limit = limit;
  return out;
}

export function createMaterializedViewCommand(session: FrontendSession, stmt: CreateStmt): PreparedCommand {
  const body = (stmt.node as Record<string, PgNode>).CreateTableAsStmt;
  return simpleCommand(null, async () => {
    session.beginStatement(stmt.text);
    const engine = session.frontend.streaming;
    const catalog = session.frontend.catalog;
    const storage = session.frontend.storage;
    // Right after a restart: the backfill snapshots its upstream MVs whole (engine.stateLoaded).
    if (engine.stateLoading) await engine.stateLoaded();
    engine.reconcile();
    const ddl = ddlContext(session);
    const qn = rangeVarName(body.into.rel);
    const schema = newRelationSchema(ddl, qn, !!body.if_not_exists);
    if (schema === null) return { tag: 'CREATE_MATERIALIZED_VIEW' };
    const { plan, evalCtx } = planMaterializedView(queryContext(session), body.query, stmt.rw, engine);
    const rec = mvRecord(session, stmt, schema, qn.name, plan);
    // Catalog entry and job start together (synchronously), so the barrier timer's
    // reconcile never sees one without the other.
    const batch = storage.newBatch();
    catalog.addRelation(rec, batch);
    let job: MvJob;
    try {
      job = engine.startJob(rec, plan, evalCtx, { sliced: true });
    } catch (e) {
      catalog.dropRelation(rec.id, storage.newBatch());
      throw e;
    }
    try {
      await storage.commit(batch);
    } catch (e) {
      catalog.dropRelation(rec.id, storage.newBatch());
      engine.dropJob(rec.id);
      throw e;
    }
    // Returns once the backfill is committed: the MV is complete when the client sees the tag.
    try {
      await backfillOrCancel(job, session.cancelToken);
    } catch (e) {
      // Cancelled (or failed): the MV goes away as if it had never been created.
      if (engine.job(rec.id) === job) {
        const drop = storage.newBatch();
        catalog.dropRelation(rec.id, drop);
        engine.dropJob(rec.id);
        await storage.commit(drop);
      }
      throw e;
    }
    if (engine.job(rec.id) !== job) {
      throw new SqlError(SqlState.QueryCanceled, `materialized view ${rec.name} was dropped while it was being created`);
    }
    await engine.flush();
    session.frontend.log(`ddl by ${session.user}: CREATE_MATERIALIZED_VIEW ${rec.name}`);
    return { tag: 'CREATE_MATERIALIZED_VIEW' };
  });
}

/** How often a running backfill checks whether its statement was cancelled. */
const CANCEL_POLL_MS = 20;

/** Waits for `job`'s backfill; rejects with 57014 as soon as the statement is cancelled. */
async function backfillOrCancel(job: MvJob, token: CancelToken): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const cancelled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      try {
        token.throwIfCancelled();
      } catch (e) {
        reject(e);
      }
    }, CANCEL_POLL_MS);
  });
  try {
    await Promise.race([job.backfilled, cancelled]);
  } finally {
    clearInterval(timer);
  }
}

/** EXPLAIN CREATE MATERIALIZED VIEW: the stream plan, one operator per line. */
export function explainCreateMaterializedViewCommand(session: FrontendSession, stmt: CreateStmt): PreparedCommand {
  const body = (stmt.node as Record<string, PgNode>).CreateTableAsStmt;
  return simpleCommand([{ name: 'QUERY PLAN', type: T.Varchar }], () => {
    const engine = session.frontend.streaming;
    engine.reconcile();
    const { plan } = planMaterializedView(queryContext(session), body.query, stmt.rw, engine);
    const rows: Row[] = explainStreamPlan(body.into.rel.relname, plan).map((l) => [l]);
    return { tag: 'EXPLAIN', rows };
  });
}

/** FLUSH: waits until everything acknowledged so far is visible in every MV. */
export function flushCommand(session: FrontendSession): PreparedCommand {
  return simpleCommand(null, async () => {
    await session.frontend.streaming.flush();
    return { tag: 'FLUSH' };
  });
}

/** After a DML statement: with RW_IMPLICIT_FLUSH the session's next read sees its changes. */
export async function implicitFlush(session: FrontendSession): Promise<void> {
  if (session.config.get('rw_implicit_flush') === 'true') await session.frontend.streaming.flush();
}

/**
 * Startup: starts every MV's job from its stored definition, in id order (an MV's
 * upstreams always have smaller ids), then commits one epoch. MVs that fail to plan are
 * logged and left unserved.
 *
 * With a durable state store (docs/durability.md): an MV whose state is complete in the
 * last checkpoint (and whose upstream MVs are restored too) is restored from it — same
 * graph, same state table ids, no snapshot — and the table changes committed after the
 * checkpoint are replayed into the restored jobs, so each reaches them exactly once. Then
 * the state of MVs not restored (dropped before the crash, or caught mid-backfill) is
 * discarded, and the remaining MVs are rebuilt by backfill from the recovered tables and
 * MVs. Without one, every MV is rebuilt by backfill.
 */
export function restoreMaterializedViews(engine: StreamingEngine, log: (msg: string) => void): void {
  const started = performance.now();
  const catalog = engine.catalog;
  const mvs = catalog
    .listDatabases()
    .flatMap((db) => catalog.listRelations(db.name, undefined, 'materialized_view'))
    .sort((a, b) => a.id - b.id);
  const recovered = engine.durability?.recovered ?? null;
  const restored = new Set<number>();
  const rebuild: RelationCatalog[] = [];
  for (const rel of mvs) {
    const fromState =
      recovered !== null &&
      recovered.jobs.has(rel.id) &&
      rel.dependsOn.every((up) => catalog.getRelationById(up)?.kind !== 'materialized_view' || restored.has(up));
    if (!fromState) {
      // Planned later: planning needs the upstream MVs running, and some are rebuilt too.
      rebuild.push(rel);
      continue;
    }
    try {
      const planned = planStoredMv(engine, rel);
      const job = engine.restoreJob(rel, planned.plan, planned.evalCtx);
      for (const v of job.valueSources) v.markEmitted();
      restored.add(rel.id);
    } catch (e) {
      if (e instanceof StateLayoutChanged) {
        log(`materialized view ${rel.name} is rebuilt by backfill instead of restored: ${e.message}`);
        rebuild.push(rel);
      } else log(`materialized view ${rel.name} could not be restored: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // Sinks restored from state must see the replay too (sink.ts).
  const restoredSinks = restoreSinkJobs(engine, restored, log);
  let replayed = 0;
  if (recovered) {
    for (const group of engine.storage.changesAfter(recovered.seq)) {
      for (const [tableId, changes] of group) if (engine.replayTableChanges(tableId, changes)) replayed += changes.length;
    }
    const discarded = engine.durability!.store.retainOnly(engine.stateTableIds());
    if (discarded.length > 0) log(`discarded checkpointed state of ${discarded.length} state tables of MVs not restored`);
  }
  engine.storage.releaseRecovery();
  const rebuildNow = (rel: RelationCatalog) => {
    try {
      const planned = planStoredMv(engine, rel);
      engine.rebuildJob(rel, planned.plan, planned.evalCtx);
    } catch (e) {
      engine.storage.detachReader(rel.id);
      log(`materialized view ${rel.name} could not be restored: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  // A rebuild backfills from its upstreams' full snapshots: one over an MV whose state is
  // still loading in the background, or over a table whose rows are, waits for the load
  // (and so do MVs built on it).
  const waiting = new Set<number>();
  for (const rel of rebuild) {
    const onLoading = rel.dependsOn.some((up) => catalog.getRelationById(up)?.kind === 'materialized_view' || engine.storage.tableLoading(up) !== null);
    if (engine.stateLoading && (onLoading || rel.dependsOn.some((up) => waiting.has(up)))) {
      waiting.add(rel.id);
      // Until its job starts, reads of it get a clear, retryable error.
      engine.storage.attachReader(new RebuildPendingReader(rel));
    } else rebuildNow(rel);
  }
  let rebuilt: Promise<void> | null = null;
  if (waiting.size > 0) {
    log(`materialized views: ${waiting.size} rebuilt once the state restored from the checkpoint is loaded`);
    rebuilt = engine.stateLoaded().then(() => {
      for (const rel of rebuild) if (waiting.has(rel.id)) rebuildNow(rel);
    });
  }
  // Sinks over the MVs still waiting (or over loading tables) wait too (sink.ts).
  restoreSinks(engine, log, restoredSinks, { waiting, rebuilt });
  if (engine.jobCount > 0) engine.manager.injectBarrier();
  if (mvs.length > 0) {
    const from = recovered ? ` from checkpoint epoch ${recovered.epoch} (${replayed} table changes replayed)` : '';
    log(`materialized views: ${restored.size} restored${from}, ${rebuild.length} rebuilt by backfill, in ${Math.round(performance.now() - started)} ms`);
  }
}

/** Plans a stored MV's query as its creator's session did (schema, owner, time zone). */
function planStoredMv(engine: StreamingEngine, rel: RelationCatalog): PlannedMv {
  const stmt = parseSql(rel.query ?? '')[0];
  if (!stmt || stmt.kind !== 'pg') throw new SqlError(SqlState.InternalError, 'no stored query');
  return planMaterializedView(storedQueryContext(engine, rel), stmt.node, stmt.rw, engine);
}

/** The context a stored streaming job's query is planned in: its creator's schema, owner, time zone. */
export function storedQueryContext(engine: StreamingEngine, rel: RelationCatalog): StreamQueryContext {
  return {
    twoPhaseAgg: storedTwoPhaseAgg(rel.stream?.twoPhaseAgg),
    catalog: engine.catalog,
    storage: engine.storage,
    database: rel.database,
    searchPath: [rel.schema, 'public'],
    user: rel.owner,
    timeZone: rel.stream?.timeZone ?? 'UTC',
    now: () => Date.now() * 1000,
  };
}
