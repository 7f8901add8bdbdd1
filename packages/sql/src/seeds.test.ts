/**
 * Every SQL statement from the workload articles (shared/seeds) must parse into the
 * right kind with the right options. The statements are copied here verbatim.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, parseSql } from './index';
import type { Statement } from './statement';

beforeAll(() => initParser());

const one = (sql: string): Statement => {
  const stmts = parseSql(sql);
  expect(stmts).toHaveLength(1);
  return stmts[0];
};
const pgType = (s: Statement) => (s.kind === 'pg' ? Object.keys(s.node)[0] : s.kind);

const SOURCE_KAFKA_000 = `CREATE SOURCE user_events (
user_id BIGINT,
event_type VARCHAR,
item_id BIGINT,
timestamp TIMESTAMPTZ
) WITH (
connector = 'kafka',
topic = 'user-events',
properties.bootstrap.server = 'kafka:9092'
) FORMAT PLAIN ENCODE JSON;`;

const SOURCE_CDC_000 = `CREATE SOURCE transactions WITH (
connector = 'postgres-cdc',
hostname = 'db.internal',
port = '5432',
username = 'cdc_user',
password = '...',
database.name = 'prod',
schema.name = 'public',
table.name = 'transactions'
);`;

const SOURCE_KAFKA_001 = `CREATE SOURCE user_events (
    user_id     BIGINT,
    event_type  VARCHAR,
    item_id     BIGINT,
    session_id  VARCHAR,
    ts          TIMESTAMPTZ
)
WITH (
    connector = 'kafka',
    topic = 'user-events',
    properties.bootstrap.server = 'kafka:9092',
    scan.startup.mode = 'earliest'
)
FORMAT PLAIN ENCODE JSON;`;

const SOURCE_CDC_001 = `CREATE SOURCE orders_cdc
WITH (
    connector = 'postgres-cdc',
    hostname = 'rds.example.com',
    port = '5432',
    username = 'replication_user',
    password = '...',
    database.name = 'production',
    schema.name = 'public',
    table.name = 'orders',
    slot.name = 'risingwave_slot'
);`;

const MVS = [
  `CREATE MATERIALIZED VIEW user_purchase_count_7d AS
SELECT
user_id,
COUNT(*) AS purchase_count_7d,
SUM(amount) AS purchase_value_7d,
MAX(created_at) AS last_purchase_at
FROM transactions
WHERE created_at > NOW() - INTERVAL '7 days'
GROUP BY user_id;`,
  `CREATE MATERIALIZED VIEW user_session_features AS
SELECT
user_id,
COUNT(*) FILTER (WHERE event_type = 'click') AS clicks_30m,
COUNT(*) FILTER (WHERE event_type = 'view') AS views_30m,
COUNT(DISTINCT item_id) AS unique_items_30m,
MAX(timestamp) AS last_event_at
FROM user_events
WHERE timestamp > NOW() - INTERVAL '30 minutes'
GROUP BY user_id;`,
  `CREATE MATERIALIZED VIEW ml_feature_vector AS
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
  `CREATE MATERIALIZED VIEW user_features_1h AS
SELECT
    user_id,
    COUNT(*)                                          AS event_count_1h,
    COUNT(DISTINCT session_id)                        AS session_count_1h,
    COUNT(*) FILTER (WHERE event_type = 'purchase')  AS purchase_count_1h,
    COUNT(*) FILTER (WHERE event_type = 'view')      AS view_count_1h,
    MAX(ts)                                           AS last_event_ts
FROM user_events
WHERE ts > NOW() - INTERVAL '1 hour'
GROUP BY user_id;`,
  `CREATE MATERIALIZED VIEW user_item_affinity AS
SELECT
    e.user_id,
    i.category,
    COUNT(*)              AS category_views_24h,
    SUM(i.price)          AS category_spend_24h
FROM user_events e
JOIN item_catalog i ON e.item_id = i.item_id
WHERE e.ts > NOW() - INTERVAL '24 hours'
  AND e.event_type IN ('view', 'purchase')
GROUP BY e.user_id, i.category;`,
  `CREATE MATERIALIZED VIEW order_value_features AS
SELECT
    customer_id,
    COUNT(*)                     AS total_orders,
    SUM(order_value)             AS lifetime_value,
    AVG(order_value)             AS avg_order_value,
    MAX(created_at)              AS last_order_ts
FROM orders_cdc
GROUP BY customer_id;`,
  `CREATE MATERIALIZED VIEW user_risk_features AS
SELECT
    user_id,
    COUNT(*) FILTER (WHERE status = 'declined') AS declined_count_24h,
    COUNT(DISTINCT merchant_id) AS unique_merchants_1h,
    SUM(amount) AS total_spend_1h,
    MAX(amount) AS max_single_txn_1h,
    COUNT(*) AS total_txn_24h
FROM transactions
WHERE event_time >= NOW() - INTERVAL '24 hours'
GROUP BY user_id;`,
  `CREATE MATERIALIZED VIEW session_activity AS
SELECT
    session_id,
    user_id,
    COUNT(*) AS page_views,
    COUNT(DISTINCT page_type) AS unique_page_types,
    SUM(dwell_time_seconds) AS total_dwell_seconds,
    MAX(event_time) AS last_activity_time
FROM page_events
WHERE event_time >= NOW() - INTERVAL '30 minutes'
GROUP BY session_id, user_id;`,
  `CREATE MATERIALIZED VIEW item_popularity AS
SELECT
    item_id,
    COUNT(*) AS view_count_1h,
    COUNT(DISTINCT user_id) AS unique_viewers_1h,
    COUNT(*) FILTER (WHERE action = 'add_to_cart') AS cart_adds_1h,
    COUNT(*) FILTER (WHERE action = 'purchase') AS purchases_1h
FROM item_events
WHERE event_time >= NOW() - INTERVAL '1 hour'
GROUP BY item_id;`,
];

const QUERIES = [
  `-- Serving query from ML inference service
SELECT
clicks_30m,
views_30m,
unique_items_30m,
purchase_count_7d,
purchase_value_7d
FROM ml_feature_vector
WHERE user_id = $1;`,
  `-- Generate training dataset with point-in-time feature values
-- (using historical event log with explicit timestamps)
SELECT
t.transaction_id,
t.label,
COUNT(e.event_type) FILTER (
WHERE e.timestamp BETWEEN t.created_at - INTERVAL '7 days' AND t.created_at
) AS clicks_pre_transaction
FROM transactions t
LEFT JOIN user_events e ON e.user_id = t.user_id
GROUP BY t.transaction_id, t.label, t.created_at;`,
  `SELECT * FROM user_features_1h WHERE user_id = $1`,
  `-- This runs at serving time. It is the wrong approach.
SELECT
    user_id,
    COUNT(*) FILTER (WHERE status = 'declined') AS declined_count_24h,
    COUNT(DISTINCT merchant_id) AS unique_merchants_1h,
    SUM(amount) AS total_spend_1h
FROM transactions
WHERE user_id = $1
  AND event_time >= NOW() - INTERVAL '24 hours'
GROUP BY user_id;`,
  `SELECT * FROM user_risk_features WHERE user_id = $1;`,
  `SELECT view_count_1h, unique_viewers_1h, cart_adds_1h
FROM item_popularity
WHERE item_id = $1;`,
  `SELECT
    u.declined_count_24h,
    u.total_spend_1h,
    u.unique_merchants_1h,
    s.page_views AS session_page_views,
    s.total_dwell_seconds
FROM user_risk_features u
LEFT JOIN session_activity s USING (user_id)
WHERE u.user_id = $1;`,
];

const SINK_REDIS_001 = `CREATE SINK user_features_to_redis
FROM user_features_1h
WITH (
    connector = 'redis',
    primary_key = 'user_id',
    redis.url = 'redis://redis:6379'
);`;

const SINK_S3_001 = `CREATE SINK user_features_daily_snapshot
FROM user_features_1h
WITH (
    connector = 's3',
    s3.region = 'us-east-1',
    s3.bucket_name = 'ml-feature-store',
    s3.path = 'snapshots/user_features_1h/date={snapshot_date}/',
    s3.credentials.access = '...',
    s3.credentials.secret = '...'
)
FORMAT PLAIN ENCODE PARQUET;`;

const SINK_REDIS_004 = `-- RisingWave writes feature updates to Redis via a sink
CREATE SINK user_risk_features_redis
FROM user_risk_features
WITH (
    connector = 'redis',
    redis.url = 'redis://localhost:6379',
    redis.key.format = 'user_risk:{user_id}'
);`;

describe('seed articles', () => {
  it('CREATE SOURCE with columns, dotted WITH keys and FORMAT/ENCODE', () => {
    const s = one(SOURCE_KAFKA_000);
    if (s.kind !== 'create_source') throw new Error(s.kind);
    expect(s.name).toBe('user_events');
    expect(s.tableElts.map((e) => e.ColumnDef.colname)).toEqual(['user_id', 'event_type', 'item_id', 'timestamp']);
    expect(s.tableElts[3].ColumnDef.typeName.names.map((n: any) => n.String.sval)).toEqual(['timestamptz']);
    expect(s.rw.withOptions).toEqual({ connector: 'kafka', topic: 'user-events', 'properties.bootstrap.server': 'kafka:9092' });
    expect([s.rw.format, s.rw.encode]).toEqual(['plain', 'json']);
    expect(s.text.endsWith('ENCODE JSON')).toBe(true);

    const s2 = one(SOURCE_KAFKA_001);
    if (s2.kind !== 'create_source') throw new Error(s2.kind);
    expect(s2.tableElts).toHaveLength(5);
    expect(s2.rw.withOptions['scan.startup.mode']).toBe('earliest');
  });

  it('CREATE SOURCE without a column list (CDC)', () => {
    for (const [sql, table, extra] of [
      [SOURCE_CDC_000, 'transactions', {}],
      [SOURCE_CDC_001, 'orders', { 'slot.name': 'risingwave_slot' }],
    ] as const) {
      const s = one(sql);
      if (s.kind !== 'create_source') throw new Error(s.kind);
      expect(s.tableElts).toEqual([]);
      expect(s.rw.withOptions).toMatchObject({ connector: 'postgres-cdc', port: '5432', 'schema.name': 'public', 'table.name': table, ...extra });
      expect(s.rw.format).toBeUndefined();
    }
  });

  it('materialized views are CreateTableAsStmt (matview) with plain PG queries', () => {
    for (const sql of MVS) {
      const s = one(sql);
      expect(pgType(s)).toBe('CreateTableAsStmt');
      if (s.kind !== 'pg') throw new Error();
      expect(s.node.CreateTableAsStmt.objtype).toBe('OBJECT_MATVIEW');
      expect(s.rw).toBeUndefined();
    }
  });

  it('serving and training queries are SelectStmt with $1 parameters', () => {
    for (const sql of QUERIES) expect(pgType(one(sql))).toBe('SelectStmt');
    const s = one(QUERIES[0]);
    expect(s.text.startsWith('SELECT')).toBe(true); // leading comments are not part of the text
    expect(JSON.stringify(s)).toContain('"ParamRef":{"number":1');
  });

  it('CREATE SINK … FROM mv WITH (…) [FORMAT … ENCODE …]', () => {
    const r = one(SINK_REDIS_001);
    if (r.kind !== 'create_sink') throw new Error(r.kind);
    expect(r.from).toBe('user_features_1h');
    expect(r.rw.withOptions).toEqual({ connector: 'redis', primary_key: 'user_id', 'redis.url': 'redis://redis:6379' });

    const s3 = one(SINK_S3_001);
    if (s3.kind !== 'create_sink') throw new Error(s3.kind);
    expect(s3.rw.withOptions['s3.path']).toBe('snapshots/user_features_1h/date={snapshot_date}/');
    expect(s3.rw.withOptions['s3.credentials.secret']).toBe('...');
    expect([s3.rw.format, s3.rw.encode]).toEqual(['plain', 'parquet']);

    const r4 = one(SINK_REDIS_004);
    if (r4.kind !== 'create_sink') throw new Error(r4.kind);
    expect(r4.from).toBe('user_risk_features');
    expect(r4.rw.withOptions['redis.key.format']).toBe('user_risk:{user_id}');
  });

  it('a whole article script parses as one multi-statement string', () => {
    const script = [SOURCE_KAFKA_000, SOURCE_CDC_000, ...MVS, ...QUERIES.slice(0, 2), SINK_REDIS_001, SINK_S3_001].join('\n');
    const kinds = parseSql(script).map(pgType);
    expect(kinds).toEqual([
      'create_source', 'create_source', ...MVS.map(() => 'CreateTableAsStmt'), 'SelectStmt', 'SelectStmt', 'create_sink', 'create_sink',
    ]);
  });
});
