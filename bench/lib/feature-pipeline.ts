/**
 * The seed feature pipeline (../shared/seeds/000_*.txt, "Real-Time Feature Store for
 * Machine Learning"): raw events in `user_events` and `transactions`, three features as
 * materialized views on top. The MV definitions are the article's text verbatim; the two
 * sources are tables standing in for its Kafka and CDC sources (same columns; the CDC
 * source names no columns, so `transactions` gets the ones its MV reads plus a key).
 *
 * The ingest and freshness scenarios share this file: the DDL, how it is created on each
 * target, and the deterministic event stream (every event a pure function of its index).
 */
import type pg from 'pg';

export const SOURCE_TABLES_SQL = [
  'CREATE TABLE user_events (user_id BIGINT, event_type VARCHAR, item_id BIGINT, timestamp TIMESTAMPTZ)',
  'CREATE TABLE transactions (transaction_id BIGINT PRIMARY KEY, user_id BIGINT, amount NUMERIC, created_at TIMESTAMPTZ)',
];

/** The seed article's three MVs, verbatim and in dependency order. */
export const SEED_MVS: readonly { name: string; sql: string }[] = [
  {
    name: 'user_purchase_count_7d',
    sql: `CREATE MATERIALIZED VIEW user_purchase_count_7d AS
SELECT
user_id,
COUNT(*) AS purchase_count_7d,
SUM(amount) AS purchase_value_7d,
MAX(created_at) AS last_purchase_at
FROM transactions
WHERE created_at > NOW() - INTERVAL '7 days'
GROUP BY user_id;`,
  },
  {
    name: 'user_session_features',
    sql: `CREATE MATERIALIZED VIEW user_session_features AS
SELECT
user_id,
COUNT(*) FILTER (WHERE event_type = 'click') AS clicks_30m,
COUNT(*) FILTER (WHERE event_type = 'view') AS views_30m,
COUNT(DISTINCT item_id) AS unique_items_30m,
MAX(timestamp) AS last_event_at
FROM user_events
WHERE timestamp > NOW() - INTERVAL '30 minutes'
GROUP BY user_id;`,
  },
  {
    name: 'ml_feature_vector',
    sql: `CREATE MATERIALIZED VIEW ml_feature_vector AS
SELECT
s.user_id,
s.clicks_30m,
s.views_30m,
s.unique_items_30m,
COALESCE(p.purchase_count_7d, 0) AS purchase_count_7d,
COALESCE(p.purchase_value_7d, 0.0) AS purchase_value_7d,
p.last_purchase_at
FROM user_session_features s
LEFT JOIN user_purchase_count_7d p USING (user_id);`,
  },
];

/**
 * The seed's Kafka source for `user_events`, verbatim. `kafka:9092` is the article's broker
 * address: `seedUserEventsSource` swaps in the benchmark's broker and changes nothing else.
 */
export const SEED_USER_EVENTS_SOURCE = `CREATE SOURCE user_events (
user_id BIGINT,
event_type VARCHAR,
item_id BIGINT,
timestamp TIMESTAMPTZ
) WITH (
connector = 'kafka',
topic = 'user-events',
properties.bootstrap.server = 'kafka:9092'
) FORMAT PLAIN ENCODE JSON;`;
/** The topic the seed's source reads. */
export const SEED_USER_EVENTS_TOPIC = 'user-events';

export function seedUserEventsSource(bootstrap: string): string {
  return SEED_USER_EVENTS_SOURCE.replace("properties.bootstrap.server = 'kafka:9092'", `properties.bootstrap.server = '${bootstrap}'`);
}

/**
 * `user_events` as a datagen source (`npm run bench -- ingest --load datagen`): the seed's
 * columns, generated inside the server — users uniform in 1..users, items in 1..ITEMS,
 * timestamps in the last 10 minutes (inside the 30-minute window), and a `seq` column
 * 1..events that ends the stream after exactly `events` rows (the MVs never read it).
 * Datagen draws strings at random, so `event_type` is never 'click' or 'view': the FILTERed
 * counts stay 0 while every other feature is computed as from Kafka.
 */
export function seedUserEventsDatagen(events: number, users: number): string {
  return `CREATE SOURCE user_events (
user_id BIGINT,
event_type VARCHAR,
item_id BIGINT,
timestamp TIMESTAMPTZ,
seq BIGINT
) WITH (
connector = 'datagen',
fields.user_id.min = '1',
fields.user_id.max = '${users}',
fields.event_type.length = '5',
fields.item_id.min = '1',
fields.item_id.max = '${ITEMS}',
fields.timestamp.max_past = '10m',
fields.timestamp.max_past_mode = 'relative',
fields.seq.kind = 'sequence',
fields.seq.start = '1',
fields.seq.end = '${events}',
datagen.rows.per.second = '${events}'
) FORMAT PLAIN ENCODE JSON;`;
}

const TEMPORAL_FILTER_LINE = /^WHERE \w+ > NOW\(\) - INTERVAL '[^']+'\n/m;

/** The MV without its temporal filter (`WHERE ts > NOW() - INTERVAL …`): for engines without one. */
export function withoutTemporalFilter(sql: string): string {
  return sql.replace(TEMPORAL_FILTER_LINE, '');
}

/** PostgreSQL has no incremental MVs: the same query as a plain view, computed at read time. */
export function asPostgresView(sql: string): string {
  return sql.replace(/^CREATE MATERIALIZED VIEW /, 'CREATE VIEW ');
}

/**
 * How the pipeline was created on a target:
 * - `verbatim`: the seed MVs exactly as written;
 * - `no-temporal-filter`: Freshet rejected the temporal filters (not implemented yet), so
 *   the MVs were created without their `WHERE … > NOW() - INTERVAL …` lines. Every event
 *   the benchmark writes is timestamped "now", so the windows would hold all of them
 *   anyway during a run: the figures count the same rows, but the engine does less work
 *   (no temporal-filter operator, no expiry);
 * - `postgres-views`: the verbatim queries as regular PostgreSQL views (plus an index on
 *   `user_id` of each source table, so a lookup by user does not scan the table).
 */
export type PipelineMode = 'verbatim' | 'no-temporal-filter' | 'postgres-views';

export const PIPELINE_MODE_TEXT: Record<PipelineMode, string> = {
  verbatim: 'seed MVs verbatim (temporal filters included)',
  'no-temporal-filter':
    'seed MVs WITHOUT their temporal filters (`WHERE … > NOW() - INTERVAL …` removed: Freshet rejected them as not yet implemented); all events are timestamped now, so the MVs hold the same rows, but the engine skips the temporal-filter work',
  'postgres-views': 'seed queries as regular PostgreSQL views (computed at read time), with an index on user_id of each source table',
};

export interface Pipeline {
  mode: PipelineMode;
  /** Why the verbatim form was not used, when it was not. */
  fallbackReason?: string;
}

/**
 * Creates the source tables and the features on a fresh database. With `userEventsSource`
 * (Freshet only), `user_events` is created by that statement (the seed's Kafka source, or
 * datagen) instead of as a table; `transactions` stays a table standing in for the CDC
 * source. `beforeMvs` runs between the two (a source starts being read with its first MV).
 */
export async function createPipeline(
  client: pg.Client,
  target: 'freshet' | 'postgres',
  opts: { userEventsSource?: string; beforeMvs?: () => Promise<void> } = {},
): Promise<Pipeline> {
  if (opts.userEventsSource && target !== 'freshet') throw new Error('only Freshet reads user_events from a source');
  await client.query(opts.userEventsSource ?? SOURCE_TABLES_SQL[0]);
  for (const s of SOURCE_TABLES_SQL.slice(1)) await client.query(s);
  await opts.beforeMvs?.();
  if (target === 'postgres') {
    await client.query('CREATE INDEX user_events_user_id ON user_events (user_id)');
    await client.query('CREATE INDEX transactions_user_id ON transactions (user_id)');
    for (const mv of SEED_MVS) await client.query(asPostgresView(mv.sql));
    return { mode: 'postgres-views' };
  }
  try {
    for (const mv of SEED_MVS) await client.query(mv.sql);
    return { mode: 'verbatim' };
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code !== '0A000') throw e;
    for (const mv of [...SEED_MVS].reverse()) await client.query(`DROP MATERIALIZED VIEW IF EXISTS ${mv.name}`);
    for (const mv of SEED_MVS) await client.query(withoutTemporalFilter(mv.sql));
    return { mode: 'no-temporal-filter', fallbackReason: err.message };
  }
}

// ---- the event stream ---------------------------------------------------------------

/** Every TX_EVERY-th event (index ≡ TX_EVERY-1) is a purchase in `transactions`; the rest are `user_events`. */
export const TX_EVERY = 10;
const EVENT_TYPES = ['click', 'click', 'click', 'view', 'view', 'view', 'add_to_cart'];
const ITEMS = 50_000;

export const isTransaction = (i: number) => i % TX_EVERY === TX_EVERY - 1;
/**
 * Events and purchases walk the users separately (k-th event → user k·7919 mod users,
 * j-th purchase → user j·4099 mod users, both multipliers coprime to any 10^n), so every
 * user gets events once there are as many as users, and purchases land on users that have
 * sessions: ml_feature_vector's LEFT JOIN matches.
 */
export function userOf(i: number, users: number): number {
  if (isTransaction(i)) return ((Math.floor(i / TX_EVERY) * 4099) % users) + 1;
  return userOfEventOrdinal(eventOrdinal(i), users);
}
/** How many user_events precede event index i (i not a purchase). */
const eventOrdinal = (i: number) => i - Math.floor((i + 1) / TX_EVERY);
/** The user of the k-th user_event: users 1..k all have events once k ≥ users. */
export const userOfEventOrdinal = (k: number, users: number) => ((k * 7919) % users) + 1;
export const eventTypeOf = (i: number) => EVENT_TYPES[i % EVENT_TYPES.length];
export const itemOf = (i: number) => ((i * 104729) % ITEMS) + 1;
/** Amount in cents (exact sums are checked, so no floats). */
export const amountCentsOf = (i: number) => ((i * 37) % 10_000) + 1;
const centsText = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;

/**
 * The k-th message of the seed's `user-events` topic, as its source parses it (FORMAT PLAIN
 * ENCODE JSON): the same user as the k-th row of the table path's `user_events` (every
 * user has events once k ≥ users), types and items cycling as there. `timestamp` is ISO 8601 text.
 */
export function userEventMessage(k: number, users: number, timestamp: string): string {
  return `{"user_id":${userOfEventOrdinal(k, users)},"event_type":"${EVENT_TYPES[k % EVENT_TYPES.length]}","item_id":${itemOf(k)},"timestamp":"${timestamp}"}`;
}

/** Clicks among user_events messages [0, n) (userEventMessage): the MV's sum(clicks_30m) after them. */
export function clicksInMessages(n: number): number {
  const perCycle = EVENT_TYPES.filter((t) => t === 'click').length;
  let clicks = Math.floor(n / EVENT_TYPES.length) * perCycle;
  for (let k = n - (n % EVENT_TYPES.length); k < n; k++) if (EVENT_TYPES[k % EVENT_TYPES.length] === 'click') clicks++;
  return clicks;
}

/** `now` as timestamptz text both systems accept. */
export function timestampText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '+00');
}

/** Text parameters of events [from, to): one INSERT's worth for each table. */
export interface EventBatch {
  events: string[];
  eventRows: number;
  transactions: string[];
  transactionRows: number;
}

export function eventBatch(from: number, to: number, users: number, ts: string): EventBatch {
  const events: string[] = [];
  const transactions: string[] = [];
  for (let i = from; i < to; i++) {
    const user = String(userOf(i, users));
    if (isTransaction(i)) transactions.push(String(i), user, centsText(amountCentsOf(i)), ts);
    else events.push(user, eventTypeOf(i), String(itemOf(i)), ts);
  }
  return { events, eventRows: events.length / 4, transactions, transactionRows: transactions.length / 4 };
}

export function insertSql(table: 'user_events' | 'transactions', rows: number): string {
  const cols = table === 'user_events' ? '(user_id, event_type, item_id, timestamp)' : '(transaction_id, user_id, amount, created_at)';
  const values: string[] = [];
  for (let r = 0; r < rows; r++) values.push(`($${r * 4 + 1}, $${r * 4 + 2}, $${r * 4 + 3}, $${r * 4 + 4})`);
  return `INSERT INTO ${table} ${cols} VALUES ${values.join(', ')}`;
}

/** What the features must say once events [0, n) are in, computed on the client. */
export interface ExpectedFeatures {
  usersWithEvents: number;
  clicks: number;
  views: number;
  usersWithPurchases: number;
  purchases: number;
  purchaseCents: bigint;
  /** Purchases of users who also have events (ml_feature_vector is driven by the event side). */
  purchasesOfEventUsers: number;
}

export function expectedFeatures(n: number, users: number): ExpectedFeatures {
  const hasEvents = new Uint8Array(users + 1);
  const purchasesBy = new Uint32Array(users + 1);
  const e: ExpectedFeatures = { usersWithEvents: 0, clicks: 0, views: 0, usersWithPurchases: 0, purchases: 0, purchaseCents: 0n, purchasesOfEventUsers: 0 };
  let cents = 0;
  for (let i = 0; i < n; i++) {
    const u = userOf(i, users);
    if (isTransaction(i)) {
      purchasesBy[u]++;
      e.purchases++;
      cents += amountCentsOf(i);
    } else {
      hasEvents[u] = 1;
      const t = eventTypeOf(i);
      if (t === 'click') e.clicks++;
      else if (t === 'view') e.views++;
    }
  }
  e.purchaseCents = BigInt(cents);
  for (let u = 1; u <= users; u++) {
    e.usersWithEvents += hasEvents[u];
    if (purchasesBy[u] > 0) e.usersWithPurchases++;
    if (hasEvents[u]) e.purchasesOfEventUsers += purchasesBy[u];
  }
  return e;
}

/** The checks run after ingest, as SQL whose one-row answer must equal the expected values. */
export function verificationQueries(e: ExpectedFeatures): { sql: string; expect: string[] }[] {
  const cents = e.purchaseCents;
  const money = `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
  return [
    { sql: 'SELECT count(*), sum(clicks_30m), sum(views_30m) FROM user_session_features', expect: [e.usersWithEvents, e.clicks, e.views].map(String) },
    {
      sql: 'SELECT count(*), sum(purchase_count_7d), sum(purchase_value_7d) FROM user_purchase_count_7d',
      expect: [String(e.usersWithPurchases), String(e.purchases), money],
    },
    { sql: 'SELECT count(*), sum(purchase_count_7d) FROM ml_feature_vector', expect: [e.usersWithEvents, e.purchasesOfEventUsers].map(String) },
  ];
}
