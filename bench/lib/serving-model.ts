/**
 * The serving scenario's data model: seed 004 ("How to Serve ML Features Under 10ms Using
 * Materialized Views", /work/shared/seeds/004_*.txt). Raw events in `transactions` and
 * `page_events`; the article's `user_risk_features` and `session_activity` MVs verbatim;
 * a 24-column per-user MV for its "wide feature row"; the article's serving queries
 * (the point lookup and the two-MV join) verbatim, and its "wrong approach" query-time
 * aggregation verbatim for PostgreSQL.
 *
 * Every event is a pure function of its index, so PostgreSQL and Freshet receive the same
 * rows. Every user has `baseTxns` transactions. Users 1..hotUsers are the heavy ("hot")
 * users the article's naive query fails on ("thousands of raw events" per user in the 24 h
 * window): hot user h has `hotTxns(d, h)` more, from `hotTxnsMax` (user 1) down to
 * `hotTxnsMin` (user hotUsers) in equal ratios — a log-uniform spread, a few very heavy
 * users and more moderately heavy ones. The hot transactions arrive interleaved (round r:
 * one transaction of every hot user with more than r), as concurrent users' events would.
 * Session s belongs to user ((s − 1) mod users) + 1 and has `pagesPerSession` page events.
 */
import { mix64 } from './dataset';

export interface ServingData {
  /** Entity rows in the per-user MVs. */
  users: number;
  hotUsers: number;
  baseTxns: number;
  /** Extra transactions of the lightest and of the heaviest hot user (see hotTxns). */
  hotTxnsMin: number;
  hotTxnsMax: number;
  /** Rows in session_activity (the high-cardinality GROUP BY key). */
  sessions: number;
  pagesPerSession: number;
}

/** Extra transactions of hot user h (1 ≤ h ≤ hotUsers): hotTxnsMax · (min/max)^((h−1)/(hotUsers−1)), rounded. */
export function hotTxns(d: ServingData, h: number): number {
  if (d.hotUsers <= 1) return d.hotTxnsMax;
  return Math.round(d.hotTxnsMax * (d.hotTxnsMin / d.hotTxnsMax) ** ((h - 1) / (d.hotUsers - 1)));
}

/**
 * The hot transactions in rounds: round r holds one transaction of each of users
 * 1..active[r] (hotTxns falls with h, so the users still active in a round are a prefix);
 * start[r] is how many hot transactions precede round r. Memoised per data shape.
 */
interface HotRounds {
  active: Int32Array;
  start: Float64Array;
  total: number;
}
const roundsCache = new Map<string, HotRounds>();
function hotRounds(d: ServingData): HotRounds {
  const key = `${d.hotUsers}/${d.hotTxnsMin}/${d.hotTxnsMax}`;
  let r = roundsCache.get(key);
  if (r) return r;
  const rounds = d.hotUsers > 0 ? hotTxns(d, 1) : 0;
  const active = new Int32Array(rounds);
  for (let h = 1; h <= d.hotUsers; h++) for (let i = 0, n = hotTxns(d, h); i < n; i++) active[i]++;
  const start = new Float64Array(rounds + 1);
  for (let i = 0; i < rounds; i++) start[i + 1] = start[i] + active[i];
  r = { active, start, total: start[rounds] };
  roundsCache.set(key, r);
  return r;
}

export const transactionCount = (d: ServingData): number => d.users * d.baseTxns + hotRounds(d).total;
export const pageEventCount = (d: ServingData): number => d.sessions * d.pagesPerSession;

/** The article names the columns its queries read; types and keys are ours. */
export const SOURCE_TABLES_SQL = [
  'CREATE TABLE transactions (txn_id BIGINT PRIMARY KEY, user_id BIGINT, merchant_id BIGINT, amount DOUBLE PRECISION, status VARCHAR, event_time TIMESTAMPTZ)',
  'CREATE TABLE page_events (event_id BIGINT PRIMARY KEY, session_id BIGINT, user_id BIGINT, page_type VARCHAR, dwell_time_seconds INT, event_time TIMESTAMPTZ)',
];
export const TXN_COLUMNS = ['txn_id', 'user_id', 'merchant_id', 'amount', 'status', 'event_time'] as const;
export const PAGE_COLUMNS = ['event_id', 'session_id', 'user_id', 'page_type', 'dwell_time_seconds', 'event_time'] as const;

/** The SELECT of seed 004's `user_risk_features`, verbatim; `extraWhere` narrows it to one user. */
export function userRiskSelect(extraWhere = ''): string {
  return `SELECT
    user_id,
    COUNT(*) FILTER (WHERE status = 'declined') AS declined_count_24h,
    COUNT(DISTINCT merchant_id) AS unique_merchants_1h,
    SUM(amount) AS total_spend_1h,
    MAX(amount) AS max_single_txn_1h,
    COUNT(*) AS total_txn_24h
FROM transactions
WHERE ${extraWhere}event_time >= NOW() - INTERVAL '24 hours'
GROUP BY user_id`;
}

/** The SELECT of seed 004's `session_activity`, verbatim. */
export function sessionActivitySelect(extraWhere = ''): string {
  return `SELECT
    session_id,
    user_id,
    COUNT(*) AS page_views,
    COUNT(DISTINCT page_type) AS unique_page_types,
    SUM(dwell_time_seconds) AS total_dwell_seconds,
    MAX(event_time) AS last_activity_time
FROM page_events
WHERE ${extraWhere}event_time >= NOW() - INTERVAL '30 minutes'
GROUP BY session_id, user_id`;
}

/** The article's "wide feature row (20+ columns)": 24 columns per user (ours: the article gives no SQL). */
export const WIDE_AGGREGATES: readonly string[] = [
  'COUNT(*) AS txn_count',
  "COUNT(*) FILTER (WHERE status = 'declined') AS declined_count",
  "COUNT(*) FILTER (WHERE status = 'approved') AS approved_count",
  "COUNT(*) FILTER (WHERE status = 'refunded') AS refunded_count",
  'SUM(amount) AS total_amount',
  "SUM(amount) FILTER (WHERE status = 'declined') AS declined_amount",
  "SUM(amount) FILTER (WHERE status = 'approved') AS approved_amount",
  'MAX(amount) AS max_amount',
  'MIN(amount) AS min_amount',
  'AVG(amount) AS avg_amount',
  'COUNT(DISTINCT merchant_id) AS unique_merchants',
  'COUNT(*) FILTER (WHERE amount < 10) AS small_txn_count',
  'COUNT(*) FILTER (WHERE amount >= 10 AND amount < 100) AS medium_txn_count',
  'COUNT(*) FILTER (WHERE amount >= 100) AS large_txn_count',
  'SUM(amount) FILTER (WHERE amount < 10) AS small_amount',
  'SUM(amount) FILTER (WHERE amount >= 10 AND amount < 100) AS medium_amount',
  'SUM(amount) FILTER (WHERE amount >= 100) AS large_amount',
  'MAX(merchant_id) AS max_merchant_id',
  'MIN(merchant_id) AS min_merchant_id',
  'COUNT(*) FILTER (WHERE merchant_id % 2 = 0) AS online_txn_count',
  'MIN(event_time) AS first_txn_time',
  'MAX(event_time) AS last_txn_time',
  'MAX(txn_id) AS last_txn_id',
];

export function userWideSelect(extraWhere = ''): string {
  return `SELECT
    user_id,
    ${WIDE_AGGREGATES.join(',\n    ')}
FROM transactions
WHERE ${extraWhere}event_time >= NOW() - INTERVAL '24 hours'
GROUP BY user_id`;
}

/** The three feature relations: MVs in Freshet, plain tables (same rows) in PostgreSQL. */
export const FEATURES: readonly { name: string; select: () => string; key: string }[] = [
  { name: 'user_risk_features', select: () => userRiskSelect(), key: 'user_id' },
  { name: 'session_activity', select: () => sessionActivitySelect(), key: 'session_id, user_id' },
  { name: 'user_wide_features', select: () => userWideSelect(), key: 'user_id' },
];
/** Both systems get it; the join reads session_activity by user_id. */
export const SESSION_INDEX_SQL = 'CREATE INDEX session_activity_by_user ON session_activity (user_id)';

/** The article's serving join, verbatim. */
export const SERVING_JOIN_SQL = `SELECT
    u.declined_count_24h,
    u.total_spend_1h,
    u.unique_merchants_1h,
    s.page_views AS session_page_views,
    s.total_dwell_seconds
FROM user_risk_features u
LEFT JOIN session_activity s USING (user_id)
WHERE u.user_id = $1`;

/** The same join computed from raw events at query time (PostgreSQL's naive baseline). */
export const NAIVE_JOIN_SQL = `SELECT
    u.declined_count_24h,
    u.total_spend_1h,
    u.unique_merchants_1h,
    s.page_views AS session_page_views,
    s.total_dwell_seconds
FROM (${userRiskSelect('user_id = $1 AND ')}) u
LEFT JOIN (${sessionActivitySelect('user_id = $1 AND ')}) s USING (user_id)`;

/** The article's naive serving query ("This runs at serving time. It is the wrong approach."), verbatim. */
export const NAIVE_RISK_SQL = `SELECT
    user_id,
    COUNT(*) FILTER (WHERE status = 'declined') AS declined_count_24h,
    COUNT(DISTINCT merchant_id) AS unique_merchants_1h,
    SUM(amount) AS total_spend_1h
FROM transactions
WHERE user_id = $1
  AND event_time >= NOW() - INTERVAL '24 hours'
GROUP BY user_id`;

const STATUSES = ['approved', 'approved', 'approved', 'approved', 'approved', 'approved', 'approved', 'declined', 'declined', 'refunded'];
const PAGE_TYPES = ['home', 'search', 'product', 'cart', 'checkout', 'account'];

/** The user of transaction i: every user `baseTxns` times, then the hot users' rounds. */
export function userOfTransaction(d: ServingData, i: number): number {
  const base = d.users * d.baseTxns;
  if (i < base) return (i % d.users) + 1;
  const { start } = hotRounds(d);
  const j = i - base;
  // The last round starting at or before j (binary search over the round starts).
  let lo = 0;
  let hi = start.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (start[mid] <= j) lo = mid;
    else hi = mid - 1;
  }
  return j - start[lo] + 1;
}

export const userOfSession = (d: ServingData, session: number): number => ((session - 1) % d.users) + 1;

/** Text parameters of transaction i (txn ids start at 1), in TXN_COLUMNS order. */
export function transactionParams(d: ServingData, i: number, ts: string): string[] {
  return transactionRow(i, userOfTransaction(d, i), ts);
}

/** Transaction i of `user`: merchant, amount and status are a pure function of i (TXN_COLUMNS order). */
export function transactionRow(i: number, user: number, ts: string): string[] {
  const h = mix64(i, 41);
  const cents = Number(h % 50_000n);
  return [
    String(i + 1),
    String(user),
    String(Number((h >> 20n) % 1000n) + 1),
    `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    STATUSES[Number((h >> 40n) % 10n)],
    ts,
  ];
}

/** Text parameters of page event j: session (j mod sessions) + 1, in PAGE_COLUMNS order. */
export function pageEventParams(d: ServingData, j: number, ts: string): string[] {
  const h = mix64(j, 43);
  const session = (j % d.sessions) + 1;
  return [String(j + 1), String(session), String(userOfSession(d, session)), PAGE_TYPES[Number(h % 6n)], String(Number((h >> 8n) % 300n)), ts];
}

/** A prepared multi-row INSERT of `rows` rows into `table`. */
export function multiRowInsertSql(table: string, columns: readonly string[], rows: number): string {
  const n = columns.length;
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) tuples.push(`(${columns.map((_, c) => `$${r * n + c + 1}`).join(', ')})`);
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`;
}

/**
 * What both systems must agree on after the load, read by key (a scan would not work on a
 * memory-limited Freshet): integer columns only, since a float SUM depends on the order
 * the rows were added in.
 */
export const CHECKS: readonly { what: string; sql: string; keys: (d: ServingData) => number[]; params: (d: ServingData, k: number) => number[] }[] = [
  {
    what: 'user_risk_features',
    sql: 'SELECT user_id, declined_count_24h, unique_merchants_1h, total_txn_24h FROM user_risk_features WHERE user_id = $1',
    keys: (d) => sampleKeys(1, d.users),
    params: (_d, k) => [k],
  },
  {
    what: 'session_activity',
    sql: 'SELECT session_id, page_views, unique_page_types, total_dwell_seconds FROM session_activity WHERE session_id = $1 AND user_id = $2',
    keys: (d) => sampleKeys(1, d.sessions),
    params: (d, k) => [k, userOfSession(d, k)],
  },
  {
    what: 'user_wide_features',
    sql: 'SELECT user_id, txn_count, declined_count, refunded_count, unique_merchants, large_txn_count, online_txn_count, last_txn_id FROM user_wide_features WHERE user_id = $1',
    keys: (d) => sampleKeys(1, d.users),
    params: (_d, k) => [k],
  },
];

/** 100 keys spread over [lo, hi]: both ends and evenly between (hot and long-tail keys alike). */
export function sampleKeys(lo: number, hi: number, n = 100): number[] {
  const span = hi - lo;
  return [...new Set(Array.from({ length: n }, (_, i) => lo + Math.round((span * i) / Math.max(1, n - 1))))];
}

/** Expected (count, total transactions) of user_risk_features, computed on the client. */
export function expectedRiskTotals(d: ServingData): { users: number; transactions: number } {
  return { users: d.users, transactions: transactionCount(d) };
}
