/**
 * CREATE SINK / DROP SINK and rebuilding sinks at startup. A sink is a streaming job like
 * an MV (the same planner and executors) whose end is a SinkExecutor writing to a
 * `SinkTarget` instead of a served state table:
 *
 * - `CREATE SINK s INTO t [(cols)] AS <query>` / `… INTO t FROM rel`: the query's columns,
 *   assigned to `cols` (default: t's visible columns, in order) with assignment casts and
 *   the other columns' DEFAULTs, become t's physical rows; `TableSinkTarget` writes them
 *   as DML does, so t's MVs see them. Several sinks may write one table (fan-in).
 * - `CREATE SINK s [FROM rel | AS <query>] WITH (connector = 'blackhole')`: discards its
 *   input. Other connectors (Redis, S3, Kafka, PostgreSQL): external-sinks.ts.
 *
 * Options as RisingWave: `type = 'append-only'` (the query must never retract, else the
 * error asks for `force_append_only`), `force_append_only = 'true'` and
 * `ignore_delete = 'true'` (deletes dropped, updates become inserts). A sink into a table
 * without a primary key must be append-only.
 *
 * The catalog record (kind `sink`) depends on the relations read and on the target table,
 * so dropping either needs CASCADE. At startup each sink is re-planned from its definition
 * and its backfill output is dropped (the target received it before the restart).
 */
import { SqlError, SqlState, type StreamChunk } from '@freshet/common';
import { type CreateSinkStatement, type DropStatement, type PgNode, type RwExtras, parseSql } from '@freshet/sql';
import { BindContext, type QueryContext } from '../binder/context';
import { coerce } from '../binder/coerce';
import { bindDmlTarget, defaultValue, generatedValue } from '../binder/dml-target';
import { kindName } from '../catalog/catalog';
import type { RelationCatalog } from '../catalog/model';
import { inBatch, newRelationSchema } from '../handler/ddl/context';
import { dropWithDependents } from '../handler/ddl/drop-relation';
import { col } from '../planner/expr';
import { writeTargetOf } from '../query/lower';
import { ddlContext } from '../session/ddl-command';
import { type PreparedCommand, simpleCommand } from '../session/dispatch';
import { queryContext } from '../session/query-context';
import type { FrontendSession } from '../session/session';
import type { SinkMode, SinkTarget } from '@freshet/stream';
import { planMaterializedView, storedQueryContext } from './commands';
import { recordTwoPhaseAgg } from './to-stream-agg';
import type { ChangeRecording } from './change-recording';
import { STATE_TABLES_PER_JOB, type StreamingEngine } from './engine';
import type { StreamNode, StreamPlan } from './plan';
import { type ExternalSink, planExternalSink } from './external-sinks';
import { BlackholeTarget, TableSinkTarget } from './sink-targets';
import { appendOnlyStream } from './to-stream-join';
import { watermarkLoading } from './table-watermarks';

interface PlannedSink {
  readonly plan: StreamPlan;
  readonly evalCtx: ReturnType<typeof planMaterializedView>['evalCtx'];
  readonly mode: SinkMode;
  /** INTO's table, or null for a connector sink. */
  readonly into: RelationCatalog | null;
  readonly queryText: string;
  /** A connector sink other than blackhole (external-sinks.ts). */
  readonly external?: ExternalSink;
}

const optionTrue = (v: string | undefined) => v !== undefined && v.toLowerCase() === 'true';

/** Plans the sink's query, its output shaped as the target table's rows, and its mode. */
export function planSink(ctx: QueryContext, stmt: CreateSinkStatement, engine: StreamingEngine): PlannedSink {
  const opts = lowerKeys({ ...stmt.rw.withOptions, ...(stmt.rw.encodeOptions ?? {}) });
  let query: PgNode;
  let rw: RwExtras | undefined;
  let queryText: string;
  if (stmt.query) {
    query = stmt.query;
    rw = stmt.rw;
    queryText = stmt.queryText ?? '';
  } else if (stmt.from) {
    queryText = `SELECT * FROM ${stmt.from}`;
    const parsed = parseSql(queryText)[0];
    if (!parsed || parsed.kind !== 'pg') throw new SqlError(SqlState.SyntaxError, `invalid relation name: ${stmt.from}`);
    query = parsed.node;
    rw = parsed.rw;
  } else {
    throw new SqlError(SqlState.SyntaxError, 'CREATE SINK needs FROM <relation> or AS <query>');
  }
  const { plan, evalCtx } = planMaterializedView(ctx, query, rw, engine);

  const appendOnlyInput = appendOnlyStream(plan.root);
  const force = optionTrue(opts.force_append_only) || optionTrue(opts.ignore_delete);
  const type = opts.type?.toLowerCase();
  if (type !== undefined && type !== 'append-only' && type !== 'upsert') {
    throw new SqlError(SqlState.InvalidParameterValue, `sink type must be 'append-only' or 'upsert', not '${opts.type}'`);
  }
  if (type === 'append-only' && !appendOnlyInput && !force) {
    throw new SqlError(
      SqlState.InvalidParameterValue,
      "The sink cannot be append-only. Please add \"force_append_only='true'\" in options to force the sink to be append-only. Notice that this will cause the sink executor to drop DELETE messages and convert UPDATE messages to INSERT.",
    );
  }
  const mode: SinkMode = force || type === 'append-only' ? 'append-only' : 'upsert';

  if (!stmt.into) {
    const connector = opts.connector?.toLowerCase();
    if (connector === undefined) throw new SqlError(SqlState.InvalidParameterValue, 'connector is required: WITH (connector = …) or INTO a table');
    const external = connector === 'blackhole' ? undefined : planExternalSink(ctx, stmt, connector, plan, { mode, inputAppendOnly: appendOnlyInput });
    return { plan, evalCtx, mode, into: null, queryText, external };
  }

  const parts = stmt.into.nameParts;
  const name = parts[parts.length - 1];
  const into = ctx.catalog.resolveRelation(ctx.database, ctx.searchPath, parts.length > 1 ? parts[parts.length - 2] : null, name, ctx.user);
  if (!into) throw new SqlError(SqlState.UndefinedTable, `table not found: ${stmt.into.name}`);
  if (into.kind !== 'table') throw new SqlError(SqlState.WrongObjectType, `"${stmt.into.name}" is a ${kindName(into.kind)}: a sink can only write into a table`);
  if (plan.upstreams.includes(into.id) || dependsOnTransitively(ctx, plan.upstreams, into.id)) {
    throw new SqlError(SqlState.InvalidParameterValue, 'Creating such a sink will result in circular dependency.');
  }
  // Without the watermark: its late-row filter scans the table's rows, which may still be loading after a restart.
  const keyed = writeTargetOf({ ...into, watermarks: undefined }, ctx.storage, into.onConflict).rowIdColumn < 0;
  if (!keyed && mode === 'upsert' && !appendOnlyInput) {
    throw new SqlError(
      SqlState.InvalidParameterValue,
      "Only append-only sinks can sink to a table without primary keys. please try to add type = 'append-only' in the with option. e.g. create sink s into t as select * from t1 with (type = 'append-only')",
    );
  }
  return { plan: { ...plan, root: asTableRows(ctx, plan, into, stmt.into.columns) }, evalCtx, mode, into, queryText };
}

/**
 * The sink plan's output as `into`'s physical rows: each target column takes its query
 * column (assignment cast) or its DEFAULT; generated columns are computed over that row
 * (a second projection), as INSERT does; `_row_id` is left NULL for the writer to fill.
 */
function asTableRows(ctx: QueryContext, plan: StreamPlan, into: RelationCatalog, columns: readonly string[] | undefined): StreamNode {
  const outputs = plan.columns.flatMap((c, i) => (c.hidden ? [] : [i]));
  const targets = columns
    ? columns.map((n) => {
        const at = into.columns.findIndex((c) => !c.hidden && c.name === n);
        if (at < 0) throw new SqlError(SqlState.UndefinedColumn, `column "${n}" of table "${into.name}" does not exist`);
        if (into.columns[at].generatedExpr) throw new SqlError(SqlState.SyntaxError, `cannot insert a non-DEFAULT value into column "${n}"`, { detail: `Column "${n}" is a generated column.` });
        return at;
      })
    : into.columns.flatMap((c, i) => (c.hidden || c.generatedExpr ? [] : [i]));
  if (targets.length !== outputs.length) {
    throw new SqlError(
      SqlState.SyntaxError,
      `column count mismatch: the sink query has ${outputs.length} columns but ${targets.length} columns of table ${into.name} are written`,
    );
  }
  const bc = new BindContext(ctx, [], undefined);
  const exprs = into.columns.map((c, i) => {
    const at = targets.indexOf(i);
    if (at < 0) return defaultValue(bc, into, i);
    const o = outputs[at];
    return coerce(bc, col(o, plan.columns[o].type), c.type, 'assign');
  });
  const schema = into.columns.map((c) => ({ name: c.name, type: c.type, hidden: c.hidden }));
  const rows: StreamNode = { kind: 'project', input: plan.root, exprs, schema, streamKey: [] };
  if (!into.columns.some((c) => c.generatedExpr)) return rows;
  const target = bindDmlTarget(bc, { relname: into.name, schemaname: into.schema }, 'insert into');
  const withGenerated = into.columns.map((c, i) => (c.generatedExpr ? generatedValue(bc, target, i) : col(i, c.type)));
  return { kind: 'project', input: rows, exprs: withGenerated, schema, streamKey: [] };
}

/** Whether any of `ids` reads `target`, directly or through views/MVs/sinks. */
function dependsOnTransitively(ctx: QueryContext, ids: readonly number[], target: number): boolean {
  const seen = new Set<number>();
  const stack = [...ids];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === target) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(ctx.catalog.getRelationById(id)?.dependsOn ?? []));
  }
  return false;
}

function lowerKeys(o: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) out[k.toLowerCase()] = v;
  return out;
}

function targetOf(engine: StreamingEngine, planned: PlannedSink, log: (msg: string) => void): SinkTarget {
  if (!planned.into) return planned.external?.open({ log }) ?? new BlackholeTarget();
  const into = planned.into;
  const target = new TableSinkTarget(
    engine.storage,
    () => writeTargetOf(into, engine.storage, into.onConflict),
    (e) => log(`sink into ${into.name}: row skipped: ${e instanceof Error ? e.message : String(e)}`),
    () => watermarkLoading(engine.storage, into),
  );
  if (target.waitingForLoad) log(`sink into ${into.name}: writes wait for the table's rows loading after the restart (its watermark is rebuilt from them)`);
  return target;
}

export function createSinkCommand(session: FrontendSession, stmt: CreateSinkStatement): PreparedCommand {
  return simpleCommand(null, async () => {
    session.beginStatement(stmt.text);
    const engine = session.frontend.streaming;
    const catalog = session.frontend.catalog;
    const storage = session.frontend.storage;
    // Right after a restart: a sink from an MV snapshots it whole (engine.stateLoaded).
    if (engine.stateLoading) await engine.stateLoaded();
    engine.reconcile();
    const ddl = ddlContext(session);
    const qn = { schema: stmt.nameParts.length > 1 ? stmt.nameParts[stmt.nameParts.length - 2] : null, name: stmt.name };
    const schema = newRelationSchema(ddl, qn, stmt.ifNotExists);
    if (schema === null) return { tag: 'CREATE_SINK' };
    const planned = planSink(queryContext(session), stmt, engine);
    await planned.external?.check?.();
    const id = catalog.nextId();
    const rec: RelationCatalog = {
      id,
      kind: 'sink',
      database: session.database,
      schema,
      name: qn.name,
      owner: session.user,
      columns: planned.plan.columns.filter((c) => !c.hidden).map((c) => ({ name: c.name, type: c.type, hidden: false, notNull: false })),
      pk: [],
      appendOnly: planned.mode === 'append-only',
      onConflict: 'overwrite',
      definition: stmt.text,
      query: planned.queryText,
      withOptions: { ...stmt.rw.withOptions },
      dependsOn: [...new Set([...planned.plan.upstreams, ...(planned.into ? [planned.into.id] : [])])],
      createdAt: Date.now(),
      stream: { firstStateTableId: id * STATE_TABLES_PER_JOB, timeZone: session.timeZone(), ...recordTwoPhaseAgg(queryContext(session)) },
    };
    const log = (m: string) => session.frontend.log(m);
    const batch = storage.newBatch();
    catalog.addRelation(rec, batch);
    let job;
    try {
      job = engine.startSink(rec, planned.plan, planned.evalCtx, targetOf(engine, planned, log), {
        mode: planned.mode,
        intoTable: !!planned.into,
        sliced: true,
        decouple: !!planned.external,
      });
    } catch (e) {
      catalog.dropRelation(rec.id, storage.newBatch());
      throw e;
    }
    try {
      await storage.commit(batch);
      await job.backfilled;
    } catch (e) {
      const drop = storage.newBatch();
      catalog.dropRelation(rec.id, drop);
      engine.dropJob(rec.id);
      await storage.commit(drop);
      throw e;
    }
    // The backfill's rows are in the target (and its MVs) when the client sees the tag.
    await engine.flush();
    log(`ddl by ${session.user}: CREATE_SINK ${rec.name}`);
    return { tag: 'CREATE_SINK' };
  });
}

/** DROP SINK [IF EXISTS] name [, …] [CASCADE]. */
export function dropSinkCommand(session: FrontendSession, stmt: DropStatement): PreparedCommand {
  return simpleCommand(null, async () => {
    const ddl = ddlContext(session);
    const targets: RelationCatalog[] = [];
    stmt.names.forEach((written, i) => {
      const parts = stmt.nameParts[i];
      const qn = { schema: parts.length > 1 ? parts[parts.length - 2] : null, name: parts[parts.length - 1] };
      const rel = ddl.catalog.resolveRelation(ddl.database, ddl.searchPath, qn.schema, qn.name, ddl.user);
      if (!rel || rel.kind !== 'sink') {
        if (rel) throw new SqlError(SqlState.WrongObjectType, `"${written}" is not a sink`, { hint: `Use DROP ${kindName(rel.kind).toUpperCase()} to remove a ${kindName(rel.kind)}.` });
        if (!stmt.ifExists) throw new SqlError(SqlState.UndefinedObject, `sink not found: ${written}`);
        session.notice(`sink "${written}" does not exist, skipping`);
        return;
      }
      targets.push(rel);
    });
    if (targets.length > 0) {
      await inBatch(ddl, (batch) => {
        const dropped = new Set<number>();
        for (const rel of targets) dropWithDependents(ddl, batch, rel, stmt.cascade, dropped);
      });
      session.frontend.streaming.reconcile();
    }
    return { tag: 'DROP_SINK' };
  });
}

/** Every sink in the catalog, oldest first. */
function catalogSinks(engine: StreamingEngine): RelationCatalog[] {
  const catalog = engine.catalog;
  return catalog
    .listDatabases()
    .flatMap((db) => catalog.listRelations(db.name, undefined, 'sink'))
    .sort((a, b) => a.id - b.id);
}

function plannedFromCatalog(engine: StreamingEngine, rel: RelationCatalog): PlannedSink {
  const stmt = parseSql(rel.definition)[0];
  if (!stmt || stmt.kind !== 'create_sink') throw new SqlError(SqlState.InternalError, 'no stored CREATE SINK');
  return planSink(storedQueryContext(engine, rel), stmt, engine);
}

/**
 * Recovery, with the MVs restored from the checkpoint and before the table changes after
 * it are replayed: each connector sink the checkpoint lists (backfilled by then) whose
 * upstream MVs are restored too is restored from its state — operators and log store —
 * so its target gets the log's undelivered changes and then exactly the changes the
 * replay recomputes. Returns the ids restored; `restoreSinks` rebuilds the others.
 */
export function restoreSinkJobs(engine: StreamingEngine, restoredMvs: ReadonlySet<number>, log: (msg: string) => void): Set<number> {
  const recovered = engine.durability?.recovered ?? null;
  const restored = new Set<number>();
  if (!recovered) return restored;
  for (const rel of catalogSinks(engine)) {
    if (!recovered.jobs.has(rel.id)) continue;
    if (!rel.dependsOn.every((up) => engine.catalog.getRelationById(up)?.kind !== 'materialized_view' || restoredMvs.has(up))) continue;
    try {
      const planned = plannedFromCatalog(engine, rel);
      if (!planned.external) continue;
      const job = engine.restoreSink(rel, planned.plan, planned.evalCtx, targetOf(engine, planned, log), planned.mode);
      for (const v of job.valueSources) v.markEmitted();
      restored.add(rel.id);
    } catch (e) {
      log(`sink ${rel.name} could not be restored from the checkpoint: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (restored.size > 0) log(`sinks: ${restored.size} restored from checkpoint epoch ${recovered.epoch} with their logs`);
  return restored;
}

/**
 * Whether a stream plan keeps no state: scans through row-by-row operators only. Such a
 * sink's operators need no snapshot to be right afterwards (one with an aggregate or a join
 * does: its state is rebuilt from the snapshot even when the snapshot's output is dropped).
 */
function statelessStream(n: StreamNode): boolean {
  switch (n.kind) {
    case 'table_scan':
    case 'values':
      return true;
    case 'filter':
    case 'project':
    case 'project_set':
    case 'hop_window':
      return statelessStream(n.input);
    case 'union':
      return n.inputs.every(statelessStream);
    default:
      return false;
  }
}

/** What `restoreMaterializedViews` tells `restoreSinks` about MVs it could not rebuild yet. */
export interface DeferredRebuilds {
  /** MVs whose rebuild waits for the restart's background load. */
  readonly waiting: ReadonlySet<number>;
  /** Settles once those are rebuilt (null: none waits). */
  readonly rebuilt: Promise<void> | null;
}

/** The relations sink `rel` reads (not the table it writes INTO). */
function sinkInputs(rel: RelationCatalog): number[] {
  const stmt = parseSql(rel.definition)[0];
  const into = stmt?.kind === 'create_sink' && stmt.into ? rel.dependsOn[rel.dependsOn.length - 1] : undefined;
  return rel.dependsOn.filter((id) => id !== into);
}

/**
 * Startup: re-plans every sink not restored by `restoreSinkJobs` from its definition, after
 * the MVs it may read. Its backfill is dropped (the target had it before the restart),
 * up to a barrier so that what stateful operators flush from it is dropped too, except for
 * upsert connector targets, which get the upstream's current rows again.
 *
 * That backfill (dropped or not) reads its upstreams whole, as an MV's rebuild does: a
 * sink over a table whose rows still load after the restart, over a restored MV whose
 * state does, or over an MV whose rebuild waits (`deferred`), is started once the load is
 * done and those MVs are rebuilt, like them. The changes its tables and restored MVs go
 * through meanwhile are recorded and reach the target once it starts (StreamingEngine
 * `startCaughtUp`); those of an MV rebuilt after the restart cannot be, and are logged.
 * (A sink INTO a table still loading starts at once: only its writes wait, TableSinkTarget.)
 */
export function restoreSinks(engine: StreamingEngine, log: (msg: string) => void, restored: ReadonlySet<number> = new Set(), deferred?: DeferredRebuilds): void {
  const catalog = engine.catalog;
  /** Starts sink `rel`; true when its backfill's output was dropped. */
  const start = (rel: RelationCatalog, planned: PlannedSink | null = null, missed?: ReadonlyMap<number, readonly StreamChunk[]>): boolean => {
    try {
      planned ??= plannedFromCatalog(engine, rel);
      const skipBackfill = !planned.external?.resendOnRestart;
      const noSnapshot = skipBackfill && statelessStream(planned.plan.root);
      const onDisk = sinkInputs(rel).filter((up) => engine.snapshotOnDisk(up) && engine.storage.hasTable(up));
      // Dropping the backfill (or undoing `missed` in it) needs the snapshot at once, in this
      // call stack (StreamingEngine.startCaughtUp): a table kept in LevelDB cannot give it.
      if (!noSnapshot && (skipBackfill || missed) && onDisk.length > 0) {
        const names = onDisk.map((id) => catalog.getRelationById(id)?.name ?? String(id)).join(', ');
        log(`sink ${rel.name} could not be restored: its state is rebuilt from a snapshot of its inputs taken at once, and ${names} is read from disk (memory limit)`);
        return false;
      }
      engine.startSink(rel, planned.plan, planned.evalCtx, targetOf(engine, planned, log), {
        mode: planned.mode,
        intoTable: !!planned.into,
        // A resend whose snapshot is read from disk (memory limit) runs in slices, as CREATE SINK's.
        sliced: !skipBackfill && !missed && onDisk.length > 0,
        skipBackfill,
        decouple: !!planned.external,
        noSnapshot,
        missed,
      });
      return skipBackfill;
    } catch (e) {
      log(`sink ${rel.name} could not be restored: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  };
  const waiting: RelationCatalog[] = [];
  for (const rel of catalogSinks(engine)) {
    if (restored.has(rel.id)) continue;
    const inputs = sinkInputs(rel);
    // Over an MV whose rebuild waits: it cannot even be planned before that MV runs.
    if (engine.stateLoading && inputs.some((up) => !!deferred?.waiting.has(up))) {
      waiting.push(rel);
      continue;
    }
    let planned: PlannedSink;
    try {
      planned = plannedFromCatalog(engine, rel);
    } catch (e) {
      log(`sink ${rel.name} could not be restored: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    // A sink that keeps no state and drops its backfill reads no snapshot: it only needs its
    // inputs running, and then no change made during the load can slip past it.
    const needsSnapshot = !!planned.external?.resendOnRestart || !statelessStream(planned.plan.root);
    const needsLoad = needsSnapshot && inputs.some((up) => catalog.getRelationById(up)?.kind === 'materialized_view' || engine.storage.tableLoading(up) !== null);
    if (engine.stateLoading && needsLoad) waiting.push(rel);
    else start(rel, planned);
  }
  if (waiting.length === 0) return;
  log(`sinks: ${waiting.length} restored once the state and table rows restored from the checkpoint are loaded`);
  // The target is at the restart's point; the sink starts later from a snapshot of its
  // inputs as they are then. What its inputs do meanwhile is recorded and handed to the
  // start (startSink `missed`), which undoes it in the snapshot and replays it as changes.
  // An MV rebuilt at the restart has no such point: its rows come from the rebuild.
  const recordings = new Map<number, Map<number, ChangeRecording>>();
  const unrecorded = new Map<number, string[]>();
  for (const rel of waiting) {
    const byInput = new Map<number, ChangeRecording>();
    for (const up of sinkInputs(rel)) {
      const r = deferred?.waiting.has(up) ? null : engine.recordChanges(up);
      if (r) byInput.set(up, r);
      else if (catalog.getRelationById(up)?.kind !== 'source') unrecorded.set(rel.id, [...(unrecorded.get(rel.id) ?? []), `${catalog.getRelationById(up)?.name ?? up} (rebuilt after the restart)`]);
    }
    recordings.set(rel.id, byInput);
  }
  const stopAll = () => {
    for (const byInput of recordings.values()) for (const r of byInput.values()) r.stop();
  };
  void (deferred?.rebuilt ?? Promise.resolve())
    .then(() => engine.stateLoaded())
    .then(() => {
      stopAll();
      for (const rel of waiting) {
        // Dropped meanwhile: nothing to start.
        if (catalog.getRelationById(rel.id)?.kind !== 'sink') continue;
        const missed = new Map<number, readonly StreamChunk[]>();
        const lost = unrecorded.get(rel.id) ?? [];
        for (const [up, r] of recordings.get(rel.id)!) {
          if (r.chunks) missed.set(up, r.chunks);
          else lost.push(`${catalog.getRelationById(up)?.name ?? up} (${r.changedRows} rows changed, more than a wait keeps)`);
        }
        if (start(rel, null, missed) && lost.length > 0) {
          log(`sink ${rel.name}: changes made while it waited for the restart's load may be missing from its target: ${lost.join(', ')}`);
        }
      }
    })
    .catch((e) => {
      stopAll();
      log(`sinks: ${waiting.length} not restored: ${e instanceof Error ? e.message : String(e)}`);
    });
}
