/**
 * System information functions that read the catalog or the session (format_type,
 * pg_get_userbyid, pg_table_is_visible, pg_get_indexdef, has_*_privilege, …). The binder
 * asks `resolveSystemFunction` before the scalar registry; each resolved call captures
 * the statement's QueryContext, so it answers for the session that prepared it.
 * Privileges are not enforced yet: every has_*_privilege is true.
 */
import { type DataType, type Datum, SqlError, SqlState, T, listOf } from '@freshet/common';
import type { ScalarImpl } from '@freshet/expr';
import type { QueryContext } from '../../binder/context';
import { RW_CATALOG } from '../catalog';
import { hasDeclaredPrimaryKey, indexDefinition, primaryKeyDefinition, primaryKeyIndexDefinition, tableOfPrimaryKeyIndex, viewDefinition } from './definitions';
import { UTF8_ENCODING } from './pg-global';
import { formatType, pgTypeByName } from './type-info';

const I = T.Int32;
const V = T.Varchar;
const B = T.Boolean;

/** Server start as pg_postmaster_start_time() reports it: the process start, µs since epoch. */
const STARTED_AT_US = Math.round((Date.now() - process.uptime() * 1000) * 1000);

interface SystemFunctionDef {
  readonly name: string;
  /** Accepted signatures; the first with the call's arity wins (the binder casts to it). `null`: any types. */
  readonly sigs: readonly (readonly DataType[] | null)[];
  readonly ret: DataType;
  /** NULL in → NULL out. */
  readonly strict: boolean;
  eval(args: Datum[], q: QueryContext): Datum;
}

function def(name: string, sigs: (DataType[] | null)[], ret: DataType, evalFn: SystemFunctionDef['eval'], strict = true): SystemFunctionDef {
  return { name, sigs, ret, strict, eval: evalFn };
}

const TRUE = () => true;
const NULL = () => null;

/** has_table_privilege([user,] object, privilege) and friends: object by name or oid. */
const privilege = (name: string) => def(name, [null], B, TRUE, false);

const DEFS: SystemFunctionDef[] = [
  def('current_schemas', [[B]], listOf(V), (a, q) => currentSchemas(q, a[0] as boolean)),
  def('pg_backend_pid', [[]], I, (_a, q) => q.session?.processId ?? 0),
  def('format_type', [[I, I]], V, (a) => (a[0] === null ? null : formatType(a[0] as number, a[1] as number | null)), false),
  def('pg_get_userbyid', [[I]], V, (a, q) => userName(q, a[0] as number)),
  def('pg_table_is_visible', [[I]], B, (a, q) => tableIsVisible(q, a[0] as number)),
  def('pg_type_is_visible', [[I]], B, TRUE),
  def('pg_function_is_visible', [[I]], B, TRUE),
  def('pg_operator_is_visible', [[I]], B, TRUE),
  def('pg_conversion_is_visible', [[I]], B, TRUE),
  privilege('has_table_privilege'),
  privilege('has_schema_privilege'),
  privilege('has_database_privilege'),
  privilege('has_column_privilege'),
  privilege('has_any_column_privilege'),
  privilege('has_function_privilege'),
  privilege('has_sequence_privilege'),
  def('obj_description', [[I], [I, V]], V, NULL, false),
  def('col_description', [[I, I]], V, NULL, false),
  def('shobj_description', [[I, V]], V, NULL, false),
  // pg_attrdef.adbin and pg_index expressions are stored as SQL text already.
  def('pg_get_expr', [[V, I], [V, I, B]], V, (a) => a[0]),
  def('pg_get_indexdef', [[I], [I, I, B]], V, (a, q) => getIndexdef(q, a[0] as number, (a[1] as number | undefined) ?? 0)),
  def('pg_get_constraintdef', [[I], [I, B]], V, (a, q) => getConstraintdef(q, a[0] as number)),
  def('pg_get_viewdef', [[I], [I, B], [I, I]], V, (a, q) => {
    const rel = q.catalog.getRelationById(a[0] as number);
    return rel ? viewDefinition(rel) : null;
  }),
  def('pg_get_partkeydef', [[I]], V, NULL),
  def('pg_get_function_result', [[I]], V, NULL),
  def('pg_get_function_arguments', [[I]], V, NULL),
  def('pg_get_function_identity_arguments', [[I]], V, NULL),
  def('pg_encoding_to_char', [[I]], V, (a) => (a[0] === UTF8_ENCODING ? 'UTF8' : a[0] === 0 ? 'SQL_ASCII' : '')),
  def('pg_char_to_encoding', [[V]], I, (a) => ((a[0] as string).toUpperCase().replace(/[-_]/g, '') === 'UTF8' ? UTF8_ENCODING : -1)),
  def('pg_postmaster_start_time', [[]], T.Timestamptz, () => STARTED_AT_US),
  def('pg_is_in_recovery', [[]], B, () => false),
  def('pg_my_temp_schema', [[]], I, () => 0),
  def('pg_is_other_temp_schema', [[I]], B, () => false),
  def('pg_relation_size', [[I], [I, V]], T.Int64, () => 0n),
  // By oid or by name: either argument type.
  def('pg_database_size', [null], T.Int64, () => 0n),
  def('pg_table_size', [[I]], T.Int64, () => 0n),
  def('pg_indexes_size', [[I]], T.Int64, () => 0n),
  def('pg_total_relation_size', [[I]], T.Int64, () => 0n),
  def('pg_size_pretty', [[T.Int64]], V, (a) => sizePretty(a[0] as bigint)),
  // Transaction-local settings (is_local = true) last for the session: Freshet's
  // transactions are statement-level snapshots, with nothing to roll a setting back to.
  def('set_config', [[V, V, B]], V, (a, q) => setConfig(q, a[0] as string, a[1] as string), false),
  def('pg_relation_is_publishable', [[I]], B, () => false),
  def('to_regclass', [[V]], I, (a, q) => relationOid(q, a[0] as string, false)),
  // Grafana splits a qualified table name with parse_ident. `strict` only changes which
  // malformed inputs are errors; ours are never malformed enough to tell them apart.
  def('parse_ident', [[V], [V, B]], listOf(V), (a) => parseQualifiedName(a[0] as string)),
  def('to_regtype', [[V]], I, (a) => pgTypeOidByName(a[0] as string, false)),
];

const BY_NAME = new Map(DEFS.map((d) => [d.name, d]));

/** Names and return types, for pg_proc. */
export const SYSTEM_FUNCTIONS: readonly { name: string; ret: DataType; nargs: number }[] = DEFS.map((d) => ({
  name: d.name,
  ret: d.ret,
  nargs: d.sigs[0]?.length ?? 0,
}));

export function isSystemFunction(name: string): boolean {
  return BY_NAME.has(name);
}

/**
 * The system function `name` for these argument types, or undefined if `name` is not one
 * (the caller then tries the scalar registry). Throws 42883 for a known name with the
 * wrong number of arguments.
 */
export function resolveSystemFunction(q: QueryContext, name: string, argTypes: readonly DataType[]): ScalarImpl | undefined {
  const d = BY_NAME.get(name);
  if (!d) return undefined;
  const sig = d.sigs.find((s) => s === null || s.length === argTypes.length);
  if (sig === undefined) {
    throw new SqlError(SqlState.UndefinedFunction, `function ${name}(${argTypes.map(describeType).join(', ')}) does not exist`);
  }
  const chosen = sig === null ? argTypes.map((t) => (t.kind === 'unknown' ? V : t)) : [...sig];
  return {
    name,
    argTypes: chosen,
    returnType: d.ret,
    strict: d.strict,
    eval(args: Datum[]): Datum {
      if (d.strict) for (const a of args) if (a === null) return null;
      return d.eval(args, q);
    },
  };
}

function describeType(t: DataType): string {
  return t.kind === 'unknown' ? 'unknown' : t.kind;
}

function setConfig(q: QueryContext, name: string | null, value: string | null): string {
  if (name === null) throw new SqlError(SqlState.NullValueNotAllowed, 'SET requires parameter name');
  if (!q.session?.setSetting) throw new SqlError(SqlState.FeatureNotSupported, 'set_config is not available here');
  return q.session.setSetting(name, value ?? '');
}

function currentSchemas(q: QueryContext, implicit: boolean): Datum {
  const named = q.searchPath.map((s) => (s === '$user' ? q.user : s));
  // PostgreSQL's implicit schema is pg_catalog; rw_catalog, searched implicitly for
  // RisingWave's sake, is left out as it is for pg_table_is_visible.
  const path = implicit ? q.catalog.effectiveSearchPath(q.searchPath, q.user).filter((s) => s !== RW_CATALOG || named.includes(s)) : named;
  return path.filter((s, i) => path.indexOf(s) === i && q.catalog.getSchema(q.database, s) !== undefined);
}

/** PostgreSQL's pg_size_pretty: bytes below 10 kB, then kB/MB/GB/TB rounded half away from zero. */
export function sizePretty(bytes: bigint): string {
  const limit = 10n * 1024n;
  const limit2 = limit * 2n - 1n;
  const abs = (x: bigint) => (x < 0n ? -x : x);
  const halfRounded = (x: bigint) => (x + (x < 0n ? -1n : 1n)) / 2n;
  if (abs(bytes) < limit) return `${bytes} bytes`;
  // One extra bit is kept for rounding.
  let size = bytes >> 9n;
  for (const unit of ['kB', 'MB', 'GB']) {
    if (abs(size) < limit2) return `${halfRounded(size)} ${unit}`;
    size >>= 10n;
  }
  return `${halfRounded(size)} TB`;
}

function userName(q: QueryContext, oid: number): string {
  return q.catalog.listUsers().find((u) => u.id === oid)?.name ?? `unknown (OID=${oid})`;
}

/** Visible: the relation is what its bare name resolves to on the search path. */
function tableIsVisible(q: QueryContext, oid: number): boolean | null {
  // A primary key's index lives in its table's schema, so it is visible when the table is.
  const rel = tableOfPrimaryKeyIndex(q.catalog, oid) ?? q.catalog.getRelationById(oid);
  if (!rel) return null;
  // rw_catalog is searched implicitly (as RisingWave) but is not "visible" in PostgreSQL's
  // sense unless the path names it: psql's \d lists visible relations outside pg_catalog
  // and information_schema, and would otherwise list every rw_catalog table.
  if (rel.schema === RW_CATALOG && !q.searchPath.includes(RW_CATALOG)) return false;
  return q.catalog.resolveRelation(q.database, q.searchPath, null, rel.name, q.user) === rel;
}

function getIndexdef(q: QueryContext, oid: number, column: number): string | null {
  const table = tableOfPrimaryKeyIndex(q.catalog, oid);
  if (table) return column === 0 ? primaryKeyIndexDefinition(table) : (table.columns[table.pk[column - 1]]?.name ?? null);
  const rel = q.catalog.getRelationById(oid);
  if (!rel?.index) return null;
  if (column === 0) return indexDefinition(q.catalog, rel);
  const base = q.catalog.getRelationById(rel.index.on);
  const cols = [...rel.index.keys.map((k) => k.column), ...rel.index.include];
  const c = cols[column - 1];
  return base && c !== undefined ? (base.columns[c]?.name ?? null) : null;
}

function getConstraintdef(q: QueryContext, oid: number): string | null {
  // Primary keys are the only constraints, with their table's oid (definitions.ts).
  const rel = q.catalog.getRelationById(oid);
  if (!rel || !hasDeclaredPrimaryKey(rel)) return null;
  return primaryKeyDefinition(rel);
}

// ---------------------------------------------------------------------------------------
// Name → oid lookups shared with the ::regclass family of casts (reg-cast.ts).

/** Splits `schema.name` / `"Quoted".name` as PostgreSQL parses a qualified name. */
export function parseQualifiedName(text: string): string[] {
  const parts: string[] = [];
  let i = 0;
  const s = text.trim();
  while (i <= s.length) {
    let part = '';
    if (s[i] === '"') {
      i++;
      while (i < s.length) {
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += s[i++];
      }
    } else {
      while (i < s.length && s[i] !== '.') part += s[i++];
      part = part.trim().toLowerCase();
    }
    parts.push(part);
    if (s[i] !== '.') break;
    i++;
  }
  return parts;
}

/** `'t'::regclass`: the relation's oid (42P01 if `required` and not found, else NULL). */
export function relationOid(q: QueryContext, text: string, required: boolean): number | null {
  const parts = parseQualifiedName(text);
  const name = parts[parts.length - 1];
  const schema = parts.length > 1 ? parts[parts.length - 2] : null;
  const rel = name ? q.catalog.resolveRelation(q.database, q.searchPath, schema, name, q.user) : undefined;
  if (rel) return rel.id;
  if (!required) return null;
  throw new SqlError(SqlState.UndefinedTable, `relation "${text}" does not exist`);
}

export function pgTypeOidByName(text: string, required: boolean): number | null {
  const t = pgTypeByName(text);
  if (t) return t.oid;
  if (!required) return null;
  throw new SqlError(SqlState.UndefinedObject, `type "${text}" does not exist`);
}

export function namespaceOid(q: QueryContext, text: string): number {
  const name = parseQualifiedName(text)[0] ?? '';
  const s = q.catalog.getSchema(q.database, name);
  if (!s) throw new SqlError(SqlState.UndefinedSchema, `schema "${text}" does not exist`);
  return s.id;
}

export function roleOid(q: QueryContext, text: string): number {
  const name = parseQualifiedName(text)[0] ?? '';
  const u = q.catalog.getUser(name);
  if (!u) throw new SqlError(SqlState.UndefinedObject, `role "${text}" does not exist`);
  return u.id;
}

