/**
 * A per-session cache of prepared plans, so a serving workload pays for parsing, binding
 * and optimising once per statement shape instead of once per query:
 *
 * - Simple protocol: `SELECT … WHERE u.user_id = 42` is parameterised
 *   (plan-cache-literals.ts) into `… WHERE u.user_id = $1`; that template is planned once
 *   with the literals' types, and every later query of the same shape binds its own
 *   literals. A template whose plan is a point lookup runs on the fast path
 *   (../query/fast-path.ts); any other read-only SELECT (the serving join, aggregates,
 *   views) runs its cached plan through the executor.
 * - Extended protocol: Parse of the same text with the same parameter types (clients
 *   that use the unnamed statement re-send Parse for every query) reuses the prepared
 *   command.
 *
 * What may be cached: a SELECT (no INTO, no FOR UPDATE) whose planning read nothing a
 * reused plan would repeat stale — plan-cache-deps.ts records what planning asked the
 * catalog and marks plans that read session settings, system catalogs or sources
 * uncacheable. now() and friends are volatile: never folded, evaluated per execution.
 * Lifting a literal must not change the statement's meaning: `ORDER BY 1`, `GROUP BY 1`
 * and `DISTINCT ON (1)` are column positions, so templates with a bare parameter there
 * are not cached. A Parse'd statement (not a template) keeps its literals in the plan, and
 * a string literal may fold to a value of the moment (`'now'::timestamptz`): such text
 * is cached only when it plans to a point lookup, as before.
 *
 * Validity: each entry records the session's database, search_path and TimeZone (folded
 * casts read it) and the catalog answers its planning used; a hit requires the same
 * settings and the same answers (PlanDependencies.stillValid). DDL on any relation the
 * plan read — directly, through a view, or as an index it may use — changes an answer,
 * so the entry is dropped and the statement planned again. The answers are re-asked only
 * when the catalog's generation moved since they last held (any DDL anywhere), so a hit on
 * an unchanged catalog costs a few comparisons. Statements that cannot be
 * cached are remembered as such (with the same validation), so they cost one template
 * planning, not one per execution.
 */
import { type DataType, type Datum, T, parseDatum } from '@freshet/common';
import type { FieldInfo, Portal } from '@freshet/pgwire';
import { type PgNode, type Statement, parseSql } from '@freshet/sql';
import type { PointLookup } from '../query/fast-path';
import type { PreparedCommand } from './dispatch';
import { type PlanDependencies, recordingContext } from './plan-cache-deps';
import { type LiftedLiteral, parameteriseLiterals } from './plan-cache-literals';
import { prepareQueryCommand } from './query-command';
import { queryContext } from './query-context';
import type { FrontendSession } from './session';

/** Entries kept per session; beyond this the least recently used is dropped. */
export const PLAN_CACHE_SIZE = 256;

/** What query-command.ts returns for a SELECT: a command the cache can keep. */
export interface CachedCommand extends PreparedCommand {
  /** The fast path, when the plan is a primary-key lookup. */
  readonly pointLookup: PointLookup | null;
  readonly fields: FieldInfo[] | null;
  readonly paramTypes: DataType[];
  /** A portal for these parameters that reports `text` as the running statement. */
  bindAs(params: Datum[], text: string): Portal;
}

interface Entry {
  /** null: known not to be cacheable (a negative entry). */
  readonly command: CachedCommand | null;
  /** What planning read; null: the statement's shape never qualifies, whatever the catalog holds. */
  readonly deps: PlanDependencies | null;
  /** The settings the plan was made under. */
  readonly database: string;
  readonly searchPath: string;
  readonly timeZone: string;
  /** The cache's clock at the last use (least recently used goes first). */
  used: number;
  /**
   * The catalog's generation when `deps` last held: while it is unchanged the catalog gives
   * the same answers, so a hit skips asking them again (−1: never checked).
   */
  checkedAt: number;
}

export class PlanCache {
  private readonly entries = new Map<string, Entry>();
  /** Counts uses: a hit stamps its entry instead of moving it in the Map (which allocated per query). */
  private clock = 0;
  hits = 0;
  misses = 0;
  /** Simple queries answered from a cached template (tests read it). */
  served = 0;

  constructor(private readonly session: FrontendSession) {}

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  /**
   * A portal answering the simple query `sql` from a cached plan, or null when the
   * statement must take the normal path (which then reports any error).
   */
  simpleQuery(sql: string): Portal | null {
    if (this.session.txStatus === 'E') return null; // the normal path rejects it
    const p = parameteriseLiterals(sql);
    if (!p) return null;
    const key = `S${p.key}`;
    let entry = this.valid(key);
    if (!entry) {
      this.misses++;
      entry = this.planTemplate(p.template, p.literals);
      this.remember(key, entry);
    } else this.hits++;
    const cmd = entry.command;
    if (!cmd) return null;
    this.served++;
    return cmd.bindAs(this.literalParams(p.literals, cmd.paramTypes), sql);
  }

  /** A cached command for Parse of `sql` with these parameter types, or null. */
  prepared(sql: string, paramTypes: readonly (DataType | null)[]): PreparedCommand | null {
    if (this.session.txStatus === 'E') return null;
    const command = this.valid(preparedKey(sql, paramTypes))?.command ?? null;
    if (command) this.hits++;
    return command;
  }

  /**
   * Prepares a Parse that missed (`stmt` as parsed) and remembers the outcome. Returns the
   * command, or null when the statement is not a cacheable SELECT — the caller then
   * prepares it the normal way (which also reports its errors).
   */
  prepare(sql: string, paramTypes: (DataType | null)[], stmt: Statement | undefined): PreparedCommand | null {
    this.misses++;
    if (this.session.txStatus === 'E' || !stmt || !cacheableSelect(stmt)) return null; // not worth an entry
    const key = preparedKey(sql, paramTypes);
    if (this.valid(key)) return null; // known not cacheable: plan it the normal way only
    const planned = this.plan(stmt, paramTypes);
    const cmd = planned.command;
    const keep = cmd !== null && (cmd.pointLookup !== null || !hasStringLiteral(sql));
    this.remember(key, this.entry(keep ? cmd : null, planned.deps));
    return cmd;
  }

  /** The entry under `key` if it is still valid (stamped as just used). */
  private valid(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.deps) {
      const s = this.session;
      const catalog = s.frontend.catalog;
      if (
        entry.database !== s.database ||
        entry.searchPath !== s.config.get('search_path') ||
        entry.timeZone !== s.config.get('timezone') ||
        (entry.checkedAt !== catalog.generation && !entry.deps.stillValid(catalog))
      ) {
        this.entries.delete(key);
        return undefined;
      }
      entry.checkedAt = catalog.generation;
    }
    entry.used = ++this.clock;
    return entry;
  }

  private remember(key: string, entry: Entry): void {
    entry.used = ++this.clock;
    this.entries.set(key, entry);
    if (this.entries.size > PLAN_CACHE_SIZE) this.evictOldest();
  }

  /** Drops the least recently used entry: a scan, but only when a new shape overflows the cache. */
  private evictOldest(): void {
    let oldest: string | undefined;
    let at = Infinity;
    for (const [key, e] of this.entries) {
      if (e.used < at) {
        at = e.used;
        oldest = key;
      }
    }
    if (oldest !== undefined) this.entries.delete(oldest);
  }

  private entry(command: CachedCommand | null, deps: PlanDependencies | null): Entry {
    const s = this.session;
    // Planning read the catalog as it is now: the entry holds at this generation.
    return { command, deps, database: s.database, searchPath: s.config.get('search_path'), timeZone: s.config.get('timezone'), used: 0, checkedAt: s.frontend.catalog.generation };
  }

  /**
   * Plans a cacheable SELECT against a recording context. The command is null when
   * planning failed or read something a reused plan cannot re-check (the plan is then
   * unusable: see plan-cache-deps.ts); `deps` says what the outcome depends on.
   */
  private plan(stmt: Extract<Statement, { kind: 'pg' }>, paramTypes: (DataType | null)[]): { command: CachedCommand | null; deps: PlanDependencies } {
    const { ctx, deps } = recordingContext(queryContext(this.session));
    let cmd: CachedCommand;
    try {
      cmd = prepareQueryCommand(this.session, stmt, paramTypes, ctx) as CachedCommand;
    } catch {
      return { command: null, deps };
    } finally {
      deps.freeze();
    }
    return { command: deps.uncacheable ? null : cmd, deps };
  }

  /** Plans the parameterised template; any failure makes a negative entry. */
  private planTemplate(template: string, literals: readonly LiftedLiteral[]): Entry {
    let stmts: Statement[];
    try {
      stmts = parseSql(template);
    } catch {
      return this.entry(null, null);
    }
    const stmt = stmts.length === 1 ? stmts[0] : null;
    if (!stmt || !cacheableSelect(stmt) || hasPositionalParam(stmt.node as PgNode)) return this.entry(null, null);
    const planned = this.plan(stmt, literals.map(literalType));
    const cmd = planned.command;
    // Every literal must have become a parameter the plan reads with the literal's type.
    const ok = cmd !== null && cmd.paramTypes.length === literals.length;
    return this.entry(ok ? cmd : null, planned.deps);
  }

  /** The literals as parameter datums, parsed as Bind parses text parameters. */
  private literalParams(literals: readonly LiftedLiteral[], types: readonly DataType[]): Datum[] {
    const params: Datum[] = new Array(literals.length);
    for (let i = 0; i < literals.length; i++) {
      const l = literals[i];
      if (l.kind === 'int4') params[i] = Number(l.text);
      else if (l.kind === 'int8') params[i] = BigInt(l.text);
      else params[i] = types[i].kind === 'varchar' ? l.text : parseDatum(types[i], l.text, this.session.timeZone());
    }
    return params;
  }
}

function literalType(l: LiftedLiteral): DataType | null {
  // Strings are untyped (PostgreSQL's `unknown`): the parameter's type is inferred from use.
  return l.kind === 'int4' ? T.Int32 : l.kind === 'int8' ? T.Int64 : null;
}

function preparedKey(sql: string, paramTypes: readonly (DataType | null)[]): string {
  let types = '';
  for (const t of paramTypes) types += `${t ? t.kind : '?'},`;
  return `P${types}\u0000${sql}`;
}

/** A read-only query: SELECT (or VALUES, set operations, WITH … SELECT) without INTO or FOR UPDATE/SHARE. */
function cacheableSelect(stmt: Statement): stmt is Extract<Statement, { kind: 'pg' }> {
  if (stmt.kind !== 'pg') return false;
  const select = (stmt.node as PgNode).SelectStmt as PgNode | undefined;
  return !!select && !select.intoClause && !select.lockingClause && !hasDataModifyingCte(select);
}

/** `WITH x AS (INSERT … RETURNING …) SELECT …` writes: never cached. */
function hasDataModifyingCte(select: PgNode): boolean {
  const ctes = (select.withClause as PgNode | undefined)?.ctes as PgNode[] | undefined;
  return !!ctes?.some((c) => {
    const q = (c.CommonTableExpr as PgNode | undefined)?.ctequery as PgNode | undefined;
    return !!q && !q.SelectStmt;
  });
}

/**
 * True if a template parameter stands where the original statement's integer literal was
 * not a value: an ORDER BY or DISTINCT ON item (a column position), anywhere in GROUP BY
 * (positions, also inside ROLLUP/CUBE), or a type modifier (`numeric(10, 2)`).
 */
function hasPositionalParam(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasPositionalParam);
  if (node === null || typeof node !== 'object') return false;
  const n = node as PgNode;
  const select = n.SelectStmt as PgNode | undefined;
  if (select) {
    const sorts = (select.sortClause as PgNode[] | undefined) ?? [];
    if (sorts.some((s) => isParam((s.SortBy as PgNode | undefined)?.node))) return true;
    if (containsParam(select.groupClause)) return true;
    if (((select.distinctClause as PgNode[] | undefined) ?? []).some(isParam)) return true;
  }
  const typeName = n.TypeName as PgNode | undefined;
  if (typeName && containsParam(typeName.typmods)) return true;
  for (const v of Object.values(n)) if (hasPositionalParam(v)) return true;
  return false;
}

function containsParam(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(containsParam);
  if (node === null || typeof node !== 'object') return false;
  if (isParam(node)) return true;
  for (const v of Object.values(node)) if (containsParam(v)) return true;
  return false;
}

function isParam(n: unknown): boolean {
  return n !== null && typeof n === 'object' && 'ParamRef' in (n as object);
}

/** A '…' or $$…$$ string in the text (conservatively: any quote or non-parameter `$`). */
function hasStringLiteral(sql: string): boolean {
  for (let i = 0; i < sql.length; i++) {
    const c = sql.charCodeAt(i);
    if (c === 39 /* ' */) return true;
    if (c === 36 /* $ */) {
      const next = sql.charCodeAt(i + 1);
      if (!(next >= 48 && next <= 57)) return true;
    }
  }
  return false;
}
