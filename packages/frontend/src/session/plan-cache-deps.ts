/**
 * What a cached plan was built from, so the plan cache (plan-cache.ts) can tell whether it
 * still holds — for any read-only SELECT, not only single-relation lookups.
 *
 * A plan depends on the catalog through the answers the binder and optimizer got from it:
 * every name they resolved (the statement's relations, those inside the views it reads,
 * functions, schemas) and every list they asked for (the secondary indexes of a relation).
 * Rather than re-deriving that set from the statement — which would repeat the binder's
 * rules for CTEs, views and functions and drift from them — planning runs against a
 * catalog that records each read-only lookup's arguments and answer. Validating a cached
 * plan asks the real catalog the same questions again: DDL replaces catalog records
 * (CREATE/DROP give new ones, ALTER/RENAME a new record for the same id, CREATE/DROP
 * INDEX change a relation's dependents), so any change the plan could have seen changes
 * at least one answer. The session state a lookup depends on (database, search_path,
 * user) is part of its arguments; the plan cache also compares it before asking.
 *
 * Planning that reads anything this cannot re-check marks the plan uncacheable:
 * listings of the catalog and session settings (system catalogs, current_setting(),
 * pg_backend_pid()… are answered at bind time or from the planning context, so a reused
 * plan would repeat stale answers), system relations, sources (attached to a reader at
 * bind time), and any catalog method not known to be a pure lookup. Such a plan must not be
 * executed at all: system relations are looked up by catalog identity, which the recording
 * catalog does not have — the caller plans the statement again against the real context.
 */
import type { Catalog } from '../catalog/catalog';
import type { RelationCatalog } from '../catalog/model';
import type { QueryContext } from '../binder/context';

/** Catalog lookups whose answer a plan may be built from: recorded, and re-asked to validate. */
const RECORDED = new Set(['resolveRelation', 'getRelation', 'getRelationById', 'resolveFunctions', 'getFunctions', 'getFunctionById', 'getSchema', 'getDatabase', 'dependents']);
/** Catalog methods that depend only on their arguments. */
const PURE = new Set(['effectiveSearchPath']);
/** Relations a reused plan reads correctly: their rows come from storage at execution. */
const CACHEABLE_KINDS = new Set(['table', 'materialized_view', 'view', 'index']);

type CatalogMethod = (this: Catalog, ...args: unknown[]) => unknown;

interface CatalogRead {
  readonly method: CatalogMethod;
  readonly args: readonly unknown[];
  readonly answer: unknown;
}

export class PlanDependencies {
  private readonly reads: CatalogRead[] = [];
  private readonly seen = new Set<string>();
  /** Why the plan cannot be reused (null: it can, while `stillValid`). */
  uncacheable: string | null = null;
  /**
   * Set once planning is over. Functions evaluated per execution may still read the
   * planning context (pg_get_userbyid(oid)…): they get live answers, which are not part
   * of what the plan was built from (and would grow the list with every new argument).
   */
  private frozen = false;

  /** Number of distinct catalog answers the plan depends on. */
  get size(): number {
    return this.reads.length;
  }

  /** True if the catalog still gives every recorded answer. */
  stillValid(catalog: Catalog): boolean {
    const reads = this.reads;
    for (let i = 0; i < reads.length; i++) {
      const r = reads[i];
      if (!sameAnswer(r.method.apply(catalog, r.args as unknown[]), r.answer)) return false;
    }
    return true;
  }

  /** Ends the recording (see `frozen`). */
  freeze(): void {
    this.frozen = true;
    this.seen.clear();
  }

  note(name: string, method: CatalogMethod, args: readonly unknown[], answer: unknown): void {
    if (this.frozen || PURE.has(name)) return;
    if (!RECORDED.has(name)) {
      this.taint(`reads the catalog with ${name}()`);
      return;
    }
    if (name === 'resolveRelation' || name === 'getRelation' || name === 'getRelationById') checkRelation(this, answer as RelationCatalog | undefined);
    // Planning asks the same question many times (each reference to a relation): keep one.
    const key = `${name}\u0000${args.map(argKey).join('\u0000')}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.reads.push({ method, args: [...args], answer: Array.isArray(answer) ? [...answer] : answer });
  }

  taint(reason: string): void {
    if (!this.frozen) this.uncacheable ??= reason;
  }
}

/** An argument as part of a dedupe key (null and undefined apart from the strings 'null'/'undefined'). */
function argKey(a: unknown): string {
  return a === null ? '\u0001' : a === undefined ? '\u0002' : Array.isArray(a) ? `[${a.map(argKey).join(',')}]` : String(a);
}

function checkRelation(deps: PlanDependencies, rel: RelationCatalog | undefined): void {
  if (!rel) return;
  // System relations (database '') are answered from the planning context at execution.
  if (rel.database === '') deps.taint(`reads the system relation ${rel.schema}.${rel.name}`);
  else if (!CACHEABLE_KINDS.has(rel.kind)) deps.taint(`reads the ${rel.kind} ${rel.name}`);
}

/** Same record, or arrays of the same records (overload lists, index lists). */
function sameAnswer(now: unknown, then: unknown): boolean {
  if (now === then) return true;
  if (!Array.isArray(now) || !Array.isArray(then) || now.length !== then.length) return false;
  for (let i = 0; i < now.length; i++) if (now[i] !== then[i]) return false;
  return true;
}

/** Names of a catalog's methods (its class's prototype; Catalog has no base class). */
function methodNames(catalog: Catalog): string[] {
  const proto = Object.getPrototypeOf(catalog) as object;
  return Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, n)?.value === 'function');
}

/** `catalog` with every method recording into `deps` (own properties over the prototype's). */
function recordingCatalog(catalog: Catalog, deps: PlanDependencies): Catalog {
  const rec = Object.create(catalog) as Record<string, unknown>;
  for (const name of methodNames(catalog)) {
    const method = (catalog as unknown as Record<string, CatalogMethod>)[name];
    rec[name] = (...args: unknown[]) => {
      const answer = method.apply(catalog, args);
      deps.note(name, method, args, answer);
      return answer;
    };
  }
  return rec as unknown as Catalog;
}

/**
 * `ctx` for planning a statement whose plan may be cached: its catalog records into the
 * returned dependencies, and reading session settings or session information marks them
 * uncacheable.
 */
export function recordingContext(ctx: QueryContext): { ctx: QueryContext; deps: PlanDependencies } {
  const deps = new PlanDependencies();
  const { sessionVar, session } = ctx;
  const recording: QueryContext = { ...ctx, catalog: recordingCatalog(ctx.catalog, deps) };
  if (sessionVar) {
    recording.sessionVar = (name) => {
      deps.taint(`reads the setting ${name}`);
      return sessionVar(name);
    };
  }
  Object.defineProperty(recording, 'session', {
    enumerable: true,
    get() {
      deps.taint('reads session information');
      return session;
    },
  });
  return { ctx: recording, deps };
}
