/**
 * Session variables (SET / SHOW / RESET), with RisingWave's names and defaults.
 * Each variable has a normaliser that validates input and returns the canonical text,
 * so SHOW prints what RisingWave prints. Unknown names are an error (42704), as in
 * RisingWave, rather than silently accepted.
 */
import { SqlError, SqlState } from '@freshet/common';

interface VarSpec {
  /** Canonical (lower-case) name. */
  name: string;
  aliases?: string[];
  default: string;
  description: string;
  normalize?: (value: string) => string;
  /** Sent to the client as ParameterStatus when it changes (PG's GUC_REPORT). */
  report?: string;
  /** Other variables a new value implies (RisingWave's linked setters): [name, value] pairs. */
  implies?: (value: string) => [string, string][];
}

const bool = (name: string) => (v: string) => {
  const s = v.trim().toLowerCase();
  if (['true', 'on', 'yes', '1', 't', 'y'].includes(s)) return 'true';
  if (['false', 'off', 'no', '0', 'f', 'n'].includes(s)) return 'false';
  throw new SqlError(SqlState.InvalidParameterValue, `parameter "${name}" requires a Boolean value`);
};

/** `v` as a safe integer, or null. Number('') is 0: an empty value would otherwise pass as zero. */
function parseInteger(v: string): number | null {
  const s = v.trim();
  const n = s === '' ? NaN : Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = parseInteger(v);
  if (n === null || n < min || n > max)
    throw new SqlError(SqlState.InvalidParameterValue, `invalid value for parameter "${name}": "${v}"`);
  return String(n);
};

const oneOf = (name: string, values: string[]) => (v: string) => {
  const s = v.trim().toLowerCase();
  if (!values.includes(s))
    throw new SqlError(
      SqlState.InvalidParameterValue,
      `invalid value for parameter "${name}": "${v}" (expected one of ${values.join(', ')})`,
    );
  return s;
};

/** Rows per second: 'default' (no limit) or a non-negative integer (0 pauses). */
export const rateLimit = (name: string) => (v: string) => {
  const s = v.trim().toLowerCase();
  return s === 'default' ? s : int(name, 0, 2 ** 31 - 1)(s);
};

/**
 * A stored rows-per-second option (`source_rate_limit`, `backfill_rate_limit`) as the
 * executors take it: a non-negative integer, or undefined — no limit — when absent,
 * `default`, or not a valid limit (a source's WITH is not checked at CREATE; read as a
 * number, 'default' was NaN, and a source limited by NaN never emitted a row).
 */
export function rowsPerSecondOption(v: string | undefined): number | undefined {
  const n = v === undefined ? null : parseInteger(v);
  return n !== null && n >= 0 ? n : undefined;
}

const parallelism = (name: string) => (v: string) => {
  const s = v.trim().toLowerCase();
  if (s === 'default' || s === 'adaptive' || s === 'auto') return s;
  return int(name, 0, 1024)(s);
};

export function normalizeTimeZone(v: string): string {
  const s = v.trim();
  const upper = s.toUpperCase();
  if (upper === 'UTC' || upper === 'GMT' || upper === 'Z') return 'UTC';
  try {
    // Intl validates IANA names and fixed offsets such as "+08:00"; keep the user's spelling.
    new Intl.DateTimeFormat('en-US', { timeZone: s });
    return s;
  } catch {
    throw new SqlError(SqlState.InvalidParameterValue, `invalid value for parameter "TimeZone": "${v}"`);
  }
}

const SPECS: VarSpec[] = [
  {
    name: 'rw_implicit_flush',
    aliases: ['implicit_flush'],
    default: 'false',
    description: 'If true, every INSERT/UPDATE/DELETE waits until its changes are visible to every table and MV.',
    normalize: bool('rw_implicit_flush'),
  },
  {
    name: 'create_compaction_group_for_mv',
    default: 'false',
    description: 'Accepted for compatibility; has no effect.',
    normalize: bool('create_compaction_group_for_mv'),
  },
  {
    name: 'query_mode',
    default: 'auto',
    description: 'Local or distributed batch execution. Freshet always runs queries locally.',
    normalize: oneOf('query_mode', ['auto', 'local', 'distributed']),
  },
  {
    name: 'extra_float_digits',
    default: '1',
    description: 'Number of digits displayed for floating-point values.',
    normalize: int('extra_float_digits', -15, 3),
  },
  { name: 'application_name', default: '', description: 'Application name reported in logs and pg_stat_activity.', report: 'application_name' },
  { name: 'datestyle', default: 'ISO, MDY', description: 'Display format for date and time values.', report: 'DateStyle' },
  { name: 'intervalstyle', default: 'postgres', description: 'Display format for interval values.', report: 'IntervalStyle', normalize: oneOf('intervalstyle', ['postgres']) },
  {
    name: 'search_path',
    default: '"$user", public',
    description: 'Schema search order for names that are not schema-qualified.',
  },
  {
    name: 'timezone',
    aliases: ['time zone'],
    default: 'UTC',
    description: 'Time zone for displaying and interpreting time stamps.',
    normalize: normalizeTimeZone,
    report: 'TimeZone',
  },
  { name: 'client_encoding', default: 'UTF8', description: 'Client-side character set encoding (only UTF8).', normalize: (v) => {
      const s = v.trim().toUpperCase().replace('-', '');
      if (s !== 'UTF8') throw new SqlError(SqlState.InvalidParameterValue, `invalid value for parameter "client_encoding": "${v}"`);
      return 'UTF8';
    }, report: 'client_encoding' },
  { name: 'client_min_messages', default: 'notice', description: 'Lowest message level sent to the client.', normalize: oneOf('client_min_messages', ['debug5', 'debug4', 'debug3', 'debug2', 'debug1', 'log', 'notice', 'warning', 'error']) },
  { name: 'standard_conforming_strings', default: 'on', description: "'...' strings treat backslashes literally.", report: 'standard_conforming_strings', normalize: oneOf('standard_conforming_strings', ['on']) },
  { name: 'bytea_output', default: 'hex', description: 'Output format for bytea values.', normalize: oneOf('bytea_output', ['hex']) },
  { name: 'transaction_isolation', default: 'read committed', description: 'Transaction isolation level (reads are snapshot reads of committed epochs).' },
  { name: 'statement_timeout', default: '0', description: 'Abort statements running longer than this many milliseconds (0 disables).', normalize: (v) => {
      const m = /^\s*(\d+)\s*(ms|s|min)?\s*$/i.exec(v);
      if (!m) throw new SqlError(SqlState.InvalidParameterValue, `invalid value for parameter "statement_timeout": "${v}"`);
      const n = Number(m[1]) * ({ ms: 1, s: 1000, min: 60000 }[(m[2] ?? 'ms').toLowerCase() as 'ms'] ?? 1);
      return String(n);
    } },
  { name: 'lock_timeout', default: '0', description: 'Accepted for compatibility; has no effect.' },
  { name: 'idle_in_transaction_session_timeout', default: '0', description: 'Accepted for compatibility; has no effect.' },
  { name: 'streaming_parallelism', default: 'default', description: 'Parallelism of new streaming jobs.', normalize: parallelism('streaming_parallelism') },
  { name: 'streaming_enable_delta_join', default: 'false', description: 'Use delta joins for streaming joins over indexes.', normalize: bool('streaming_enable_delta_join') },
  { name: 'streaming_enable_bushy_join', default: 'true', description: 'Allow bushy join trees in streaming plans.', normalize: bool('streaming_enable_bushy_join') },
  { name: 'streaming_use_arrangement_backfill', default: 'true', description: 'Accepted for compatibility.', normalize: bool('streaming_use_arrangement_backfill') },
  { name: 'rw_batch_enable_lookup_join', aliases: ['batch_enable_lookup_join'], default: 'true', description: 'Use lookup joins in batch queries when possible.', normalize: bool('rw_batch_enable_lookup_join') },
  { name: 'rw_batch_enable_sort_agg', aliases: ['batch_enable_sort_agg'], default: 'true', description: 'Use sort aggregation when input order allows.', normalize: bool('rw_batch_enable_sort_agg') },
  // As in RisingWave, forcing two-phase agg enables it, and disabling it un-forces it.
  { name: 'rw_enable_two_phase_agg', aliases: ['enable_two_phase_agg'], default: 'true', description: 'Allow two-phase aggregation in streaming plans.', normalize: bool('rw_enable_two_phase_agg'), implies: (v) => (v === 'false' ? [['rw_force_two_phase_agg', 'false']] : []) },
  { name: 'rw_force_two_phase_agg', aliases: ['force_two_phase_agg'], default: 'false', description: 'Force two-phase aggregation.', normalize: bool('rw_force_two_phase_agg'), implies: (v) => (v === 'true' ? [['rw_enable_two_phase_agg', 'true']] : []) },
  { name: 'rw_enable_share_plan', aliases: ['enable_share_plan'], default: 'true', description: 'Share common sub-plans in streaming jobs.', normalize: bool('rw_enable_share_plan') },
  { name: 'rw_streaming_enable_delta_join', default: 'false', description: 'Alias kept for older scripts.', normalize: bool('rw_streaming_enable_delta_join') },
  { name: 'visibility_mode', default: 'default', description: 'Read committed or all (checkpointed) data.', normalize: oneOf('visibility_mode', ['default', 'all', 'checkpoint']) },
  { name: 'background_ddl', default: 'false', description: 'Run CREATE MATERIALIZED VIEW backfill in the background.', normalize: bool('background_ddl') },
  { name: 'server_encoding', default: 'UTF8', description: 'Server-side character set encoding (read only).', normalize: oneOf('server_encoding', ['utf8']) },
  { name: 'sink_decouple', default: 'default', description: 'Decouple sinks from upstream with a log store.' },
  { name: 'max_parallelism', aliases: ['streaming_max_parallelism'], default: '256', description: 'Maximum parallelism of streaming jobs.', normalize: int('max_parallelism', 1, 32768) },
  { name: 'batch_parallelism', default: '0', description: 'Parallelism of batch queries (0 = automatic).', normalize: int('batch_parallelism', 0, 1024) },
  { name: 'rw_streaming_over_window_cache_policy', default: 'full', description: 'Cache policy for streaming OVER windows.' },
  { name: 'enable_join_ordering', default: 'true', description: 'Reorder joins in the optimizer.', normalize: bool('enable_join_ordering') },
  { name: 'streaming_rate_limit', aliases: ['source_rate_limit', 'dml_rate_limit', 'sink_rate_limit'], default: 'default', description: 'Rows per second limit for new streaming jobs.' },
  { name: 'backfill_rate_limit', default: 'default', description: 'Snapshot rows per second a new materialized view backfills from each upstream (0 pauses).', normalize: rateLimit('backfill_rate_limit') },
];

const BY_NAME = new Map<string, VarSpec>();
for (const s of SPECS) {
  BY_NAME.set(s.name, s);
  for (const a of s.aliases ?? []) BY_NAME.set(a, s);
}

function spec(name: string): VarSpec {
  // Callers mostly pass the lower-case name: look it up as given first (toLowerCase makes a
  // new string, and the plan cache reads two settings per cached query).
  const s = BY_NAME.get(name) ?? BY_NAME.get(name.toLowerCase());
  if (!s) throw new SqlError(SqlState.UndefinedObject, `unrecognized configuration parameter "${name}"`);
  return s;
}

export class SessionConfig {
  private readonly values = new Map<string, string>();
  private changes: [string, string][] = [];

  constructor(initial: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(initial)) {
      // Startup parameters we do not know (e.g. `replication`) are ignored, as PostgreSQL does
      // for GUCs it does not track per session.
      if (BY_NAME.has(k.toLowerCase())) this.set(k, v);
    }
    this.changes = [];
  }

  get(name: string): string {
    const s = spec(name);
    return this.values.get(s.name) ?? s.default;
  }

  set(name: string, value: string): void {
    const s = spec(name);
    const v = s.normalize ? s.normalize(value) : value;
    this.values.set(s.name, v);
    if (s.report) this.changes.push([s.report, v]);
    for (const [other, value] of s.implies?.(v) ?? []) this.values.set(other, value);
  }

  reset(name: string): void {
    const s = spec(name);
    this.values.delete(s.name);
    if (s.report) this.changes.push([s.report, s.default]);
  }

  has(name: string): boolean {
    return BY_NAME.has(name.toLowerCase());
  }

  bool(name: string): boolean {
    return this.get(name) === 'true';
  }

  /** Rows for SHOW ALL: Name, Setting, Description. */
  all(): [string, string, string][] {
    return SPECS.map((s) => [s.name, this.values.get(s.name) ?? s.default, s.description]);
  }

  /** ParameterStatus changes since the last call. */
  takeChanges(): [string, string][] {
    const c = this.changes;
    // Asked after every statement: no new array when nothing changed.
    if (c.length === 0) return c;
    this.changes = [];
    return c;
  }

  /** search_path as a list of schema names, `$user` kept for the catalog to expand. */
  searchPath(): string[] {
    return parseSearchPath(this.get('search_path'));
  }
}

export function parseSearchPath(text: string): string[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => (p.startsWith('"') && p.endsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.toLowerCase()));
}
