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
import { relationExists } from '../catalog/catalog';
import type { RelationCatalog } from '../catalog/model';
import { displayName, targetSchema } from '../handler/ddl/context';
import { queryText } from '../handler/ddl/create-view';
import { rangeVarName, strVal } from '../handler/ddl/pg-nodes';
import { optimize } from '../optimizer';
import { ddlContext } from '../session/ddl-command';
import { type PreparedCommand, simpleCommand } from '../session/dispatch';
import { queryContext } from '../session/query-context';
import type { FrontendSession } from '../session/session';
import type { StreamingEngine } from './engine';
import { STATE_TABLES_PER_JOB } from './engine';
import { explainStreamPlan } from './explain';
import type { StreamPlan } from './plan';
import { checkStreamablePlan } from './streamable';
import { type StreamPlannerEnv, planStream } from './to-stream';

export interface PlannedMv {
  readonly plan: StreamPlan;
  readonly evalCtx: EvalContext;
}

/** Binds and optimizes an MV's query with the batch front end, then plans its dataflow. */
export function planMaterializedView(ctx: QueryContext, query: PgNode, rw: RwExtras | undefined, env: StreamPlannerEnv): PlannedMv {
  if (nodeType(query) !== 'SelectStmt') throw notSupported(`CREATE MATERIALIZED VIEW over ${nodeType(query)}`);
  if (rw?.emitOnWindowClose) throw notSupported('EMIT ON WINDOW CLOSE');
  // A temporal join must not retract when the right side changes; planned as a regular
  // join it would, silently giving different answers than RisingWave. Refuse until it exists.
  if (rw?.temporalJoins?.length) throw notSupported('temporal join (FOR SYSTEM_TIME AS OF) in a materialized view');
  const bc = new BindContext(ctx, [], rw);
  const bound = bindStatement(bc, query);
  const evalCtx = bc.evalContext();
  // After decorrelation (EXISTS / IN are semi / anti joins by then); NOW() is volatile,
  // so constant folding leaves it for the temporal filters.
  const optimized = optimize(bound, evalCtx);
  checkStreamablePlan(optimized);
  return { plan: planStream(optimized, env), evalCtx };
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
    withOptions: { ...(stmt.rw?.withOptions ?? {}) },
    dependsOn: [...plan.upstreams],
    createdAt: Date.now(),
    stream: { firstStateTableId: id * STATE_TABLES_PER_JOB, timeZone: session.timeZone() },
  };
}

export function createMaterializedViewCommand(session: FrontendSession, stmt: CreateStmt): PreparedCommand {
  const body = (stmt.node as Record<string, PgNode>).CreateTableAsStmt;
  return simpleCommand(null, async () => {
    session.beginStatement(stmt.text);
    const engine = session.frontend.streaming;
    const catalog = session.frontend.catalog;
    const storage = session.frontend.storage;
    engine.reconcile();
    const ddl = ddlContext(session);
    const qn = rangeVarName(body.into.rel);
    const schema = targetSchema(ddl, qn);
    const existing = catalog.getRelation(session.database, schema, qn.name);
    if (existing) {
      if (body.if_not_exists) {
        session.notice(`relation "${qn.name}" already exists, skipping`);
        return { tag: 'CREATE_MATERIALIZED_VIEW' };
      }
      throw relationExists(existing.kind, displayName(qn));
    }
    const { plan, evalCtx } = planMaterializedView(queryContext(session), body.query, stmt.rw, engine);
    const rec = mvRecord(session, stmt, schema, qn.name, plan);
    // Catalog entry and job start together (synchronously), so the barrier timer's
    // reconcile never sees one without the other.
    const batch = storage.newBatch();
    catalog.addRelation(rec, batch);
    try {
      engine.startJob(rec, plan, evalCtx);
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
    await engine.flush();
    session.frontend.log(`ddl by ${session.user}: CREATE_MATERIALIZED_VIEW ${rec.name}`);
    return { tag: 'CREATE_MATERIALIZED_VIEW' };
  });
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
 * Startup: rebuilds every MV's job from its stored definition, in id order (an MV's
 * upstreams always have smaller ids), backfilling from the durable tables, then commits
 * one epoch. MVs that fail to plan are logged and left unserved.
 */
export function restoreMaterializedViews(engine: StreamingEngine, log: (msg: string) => void): void {
  const catalog = engine.catalog;
  const mvs = catalog
    .listDatabases()
    .flatMap((db) => catalog.listRelations(db.name, undefined, 'materialized_view'))
    .sort((a, b) => a.id - b.id);
  for (const rel of mvs) {
    try {
      const stmt = parseSql(rel.query ?? '')[0];
      if (!stmt || stmt.kind !== 'pg') throw new SqlError(SqlState.InternalError, 'no stored query');
      const ctx: QueryContext = {
        catalog,
        storage: engine.storage,
        database: rel.database,
        searchPath: [rel.schema, 'public'],
        user: rel.owner,
        timeZone: rel.stream?.timeZone ?? 'UTC',
        now: () => Date.now() * 1000,
      };
      const { plan, evalCtx } = planMaterializedView(ctx, stmt.node, stmt.rw, engine);
      engine.startJob(rel, plan, evalCtx);
    } catch (e) {
      log(`materialized view ${rel.name} could not be restored: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (engine.jobCount > 0) engine.manager.injectBarrier();
}
