/**
 * The seed articles' feature pipelines (../shared/seeds/*.txt), created verbatim: every
 * CREATE MATERIALIZED VIEW and the serving queries are extracted from the article text at
 * runtime (never paraphrased), over tables standing in for the articles' sources (a CREATE
 * SOURCE with a column list becomes a CREATE TABLE with the same columns; CDC sources, which
 * have none, get the columns their views read). Each article runs in its own database, as
 * two articles use the same source names with different columns.
 *
 * Checked: values as rows arrive, change (UPDATE / DELETE) and age out of their windows —
 * rows stamped just inside a window (`now() - window + a few seconds`) must leave the MV,
 * and the aggregates over them must retract, without any new input.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, sleep, startFreshet, type FreshetServer } from '@freshet/testkit';

const seedsDir = resolve(repoRoot, '../shared/seeds');
const present = existsSync(seedsDir);
if (!present) process.stderr.write(`\n*** seeds.test: ${seedsDir} not found: seed MV checks SKIPPED ***\n\n`);

const seed = (name: string): string => readFileSync(join(seedsDir, name), 'utf8');

/** The statement starting at the first match of `start` in `text`, up to its `;`. */
function statement(text: string, start: RegExp): string {
  const m = start.exec(text);
  if (!m) throw new Error(`seed text has no statement matching ${start}`);
  const end = text.indexOf(';', m.index);
  return text.slice(m.index, end + 1);
}

/** `CREATE MATERIALIZED VIEW <name> …;` exactly as the article writes it. */
const mvSql = (text: string, name: string): string => statement(text, new RegExp(`CREATE MATERIALIZED VIEW ${name}\\b`));

/** The article's `CREATE SOURCE name (cols…) WITH (…) FORMAT …;` as a CREATE TABLE with the same columns. */
function sourceAsTable(text: string, name: string): string {
  const src = statement(text, new RegExp(`CREATE SOURCE ${name}\\s*\\(`));
  const open = src.indexOf('(');
  const close = src.search(/\)\s*WITH\s*\(/);
  return `CREATE TABLE ${name} ${src.slice(open, close + 1)}`;
}

let server: FreshetServer;
const clients: pg.Client[] = [];

async function database(name: string): Promise<pg.Client> {
  const admin = new pg.Client({ host: server.host, port: server.port, user: 'root', database: 'dev' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const c = new pg.Client({ host: server.host, port: server.port, user: 'root', database: name });
  c.on('error', () => {});
  await c.connect();
  clients.push(c);
  return c;
}

/** Rows as text arrays (what psql would print), sorted. */
async function rows(c: pg.Client, sql: string, params?: unknown[]): Promise<string[][]> {
  const r = await c.query({ text: sql, values: params, rowMode: 'array' });
  return (r.rows as unknown[][]).map((row) => row.map((v) => (v === null ? 'NULL' : String(v)))).sort((a, b) => (a.join('|') < b.join('|') ? -1 : 1));
}

/** Polls until `sql` returns `expected` (time-driven changes land at a barrier), or fails with the last answer. */
async function eventually(c: pg.Client, sql: string, expected: string[][], timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let got: string[][] = [];
  while (Date.now() < deadline) {
    got = await rows(c, sql);
    if (JSON.stringify(got) === JSON.stringify(expected)) return;
    await sleep(100);
  }
  expect(got).toEqual(expected);
}

/** A timestamp inside a window of `window` that leaves it `secs` seconds from now. */
const leaving = (window: string, secs: number) => `now() - interval '${window}' + interval '${secs} seconds'`;

describe.skipIf(!present)('seed article materialized views, verbatim', () => {
  beforeAll(async () => {
    server = await startFreshet({ playground: true });
  });
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => {});
    await server?.stop();
  });

  it('article 000: user_purchase_count_7d, user_session_features, ml_feature_vector and its serving query', { timeout: 60_000 }, async () => {
    const text = seed('000_70a101f4b4ec2b32.txt');
    const c = await database('seed000');
    await c.query(sourceAsTable(text, 'user_events'));
    // CDC source without a column list: the columns its views and the training query read.
    await c.query('CREATE TABLE transactions (transaction_id BIGINT PRIMARY KEY, user_id BIGINT, amount DECIMAL, created_at TIMESTAMPTZ, label INT)');
    for (const mv of ['user_purchase_count_7d', 'user_session_features', 'ml_feature_vector']) await c.query(mvSql(text, mv));
    await c.query('SET RW_IMPLICIT_FLUSH TO true');

    await c.query(`INSERT INTO transactions VALUES
      (1, 1, 10.50, now() - interval '1 day', 0),
      (2, 1, 20.00, now() - interval '2 days', 1),
      (3, 1, 99.00, now() - interval '8 days', 0),
      (4, 2, 5.25, ${leaving('7 days', 3)}, 0),
      (5, 3, 1.00, now() - interval '30 days', 0)`);
    await c.query(`INSERT INTO user_events VALUES
      (1, 'click', 100, now() - interval '1 minute'),
      (1, 'click', 101, now() - interval '2 minutes'),
      (1, 'view', 100, now() - interval '3 minutes'),
      (1, 'click', 102, now() - interval '31 minutes'),
      (2, 'view', 200, ${leaving('30 minutes', 3)}),
      (3, 'click', 300, now() - interval '2 hours')`);
    expect(await rows(c, 'SELECT user_id, purchase_count_7d, purchase_value_7d FROM user_purchase_count_7d')).toEqual([
      ['1', '2', '30.50'],
      ['2', '1', '5.25'],
    ]);
    expect(await rows(c, 'SELECT user_id, clicks_30m, views_30m, unique_items_30m FROM user_session_features')).toEqual([
      ['1', '2', '1', '2'],
      ['2', '0', '1', '1'],
    ]);
    expect(await rows(c, 'SELECT user_id, clicks_30m, views_30m, unique_items_30m, purchase_count_7d, purchase_value_7d FROM ml_feature_vector')).toEqual([
      ['1', '2', '1', '2', '2', '30.50'],
      ['2', '0', '1', '1', '1', '5.25'],
    ]);
    // The article's serving query, with its $1 as a bound parameter.
    const serving = statement(text, /SELECT\s+clicks_30m,/);
    expect(await rows(c, serving, [1])).toEqual([['2', '1', '2', '2', '30.50']]);
    // ml_feature_vector is keyed by user_id (its LEFT JOIN's key covers the right side's
    // key), so serving is a primary-key lookup, not a scan.
    const plan = (await rows(c, `EXPLAIN ${serving.replace('$1', '1')}`)).map((r) => r[0]);
    expect(plan.some((l) => l.includes('BatchLookup { table: ml_feature_vector, key: [1] }'))).toBe(true);

    // Change: a purchase moves out of the window by update, another is deleted.
    await c.query(`UPDATE transactions SET created_at = now() - interval '9 days' WHERE transaction_id = 2`);
    await c.query(`INSERT INTO user_events VALUES (1, 'view', 103, now())`);
    expect(await rows(c, serving, [1])).toEqual([['2', '2', '3', '1', '10.50']]);
    await c.query('DELETE FROM transactions WHERE transaction_id = 1');
    expect(await rows(c, serving, [1])).toEqual([['2', '2', '3', '0', '0.0']]);

    // Age out: user 2's only event and purchase leave their windows with no new input.
    await eventually(c, 'SELECT user_id FROM user_session_features', [['1']]);
    await eventually(c, 'SELECT user_id FROM user_purchase_count_7d', []);
    expect(await rows(c, 'SELECT user_id, purchase_count_7d FROM ml_feature_vector')).toEqual([['1', '0']]);
  });

  it('article 001: user_features_1h, user_item_affinity, order_value_features', { timeout: 60_000 }, async () => {
    const text = seed('001_8197f10e474440e7.txt');
    const c = await database('seed001');
    await c.query(sourceAsTable(text, 'user_events'));
    await c.query('CREATE TABLE item_catalog (item_id BIGINT PRIMARY KEY, category VARCHAR, price DECIMAL)');
    await c.query('CREATE TABLE orders_cdc (order_id BIGINT PRIMARY KEY, customer_id BIGINT, order_value DECIMAL, created_at TIMESTAMPTZ)');
    for (const mv of ['user_features_1h', 'user_item_affinity', 'order_value_features']) await c.query(mvSql(text, mv));
    await c.query('SET RW_IMPLICIT_FLUSH TO true');

    await c.query(`INSERT INTO item_catalog VALUES (1, 'books', 10), (2, 'books', 25), (3, 'games', 60)`);
    await c.query(`INSERT INTO user_events VALUES
      (7, 'view', 1, 's1', now() - interval '5 minutes'),
      (7, 'purchase', 2, 's1', now() - interval '4 minutes'),
      (7, 'view', 3, 's2', now() - interval '2 hours'),
      (7, 'click', 3, 's2', now() - interval '3 minutes'),
      (8, 'view', 3, 's3', ${leaving('1 hour', 3)}),
      (8, 'purchase', 3, 's4', now() - interval '25 hours')`);
    expect(await rows(c, 'SELECT user_id, event_count_1h, session_count_1h, purchase_count_1h, view_count_1h FROM user_features_1h')).toEqual([
      ['7', '3', '2', '1', '1'],
      ['8', '1', '1', '0', '1'],
    ]);
    expect(await rows(c, 'SELECT * FROM user_item_affinity')).toEqual([
      ['7', 'books', '2', '35'],
      ['7', 'games', '1', '60'],
      ['8', 'games', '1', '60'],
    ]);
    // Change: an item's price and category (the join's other side).
    await c.query(`UPDATE item_catalog SET price = 30, category = 'comics' WHERE item_id = 2`);
    expect(await rows(c, 'SELECT * FROM user_item_affinity')).toEqual([
      ['7', 'books', '1', '10'],
      ['7', 'comics', '1', '30'],
      ['7', 'games', '1', '60'],
      ['8', 'games', '1', '60'],
    ]);

    await c.query(`INSERT INTO orders_cdc VALUES (1, 50, 100, now()), (2, 50, 50, now()), (3, 51, 10, now())`);
    expect(await rows(c, 'SELECT customer_id, total_orders, lifetime_value, avg_order_value FROM order_value_features')).toEqual([
      ['50', '2', '150', '75'],
      ['51', '1', '10', '10'],
    ]);
    await c.query('UPDATE orders_cdc SET order_value = 200 WHERE order_id = 2');
    await c.query('DELETE FROM orders_cdc WHERE order_id = 3');
    expect(await rows(c, 'SELECT customer_id, total_orders, lifetime_value, avg_order_value FROM order_value_features')).toEqual([['50', '2', '300', '150']]);

    // Age out: user 8's event leaves the 1-hour window; the 24-hour affinity keeps it.
    await eventually(c, 'SELECT user_id, event_count_1h FROM user_features_1h', [['7', '3']]);
    expect(await rows(c, `SELECT * FROM user_item_affinity WHERE user_id = 8`)).toEqual([['8', 'games', '1', '60']]);
  });

  it('article 004: user_risk_features, session_activity, item_popularity and the serving-time join', { timeout: 60_000 }, async () => {
    const text = seed('004_65a06017dcb4d020.txt');
    const c = await database('seed004');
    await c.query('CREATE TABLE transactions (txn_id BIGINT PRIMARY KEY, user_id BIGINT, merchant_id BIGINT, amount DECIMAL, status VARCHAR, event_time TIMESTAMPTZ)');
    await c.query('CREATE TABLE page_events (session_id VARCHAR, user_id BIGINT, page_type VARCHAR, dwell_time_seconds INT, event_time TIMESTAMPTZ)');
    await c.query('CREATE TABLE item_events (item_id BIGINT, user_id BIGINT, action VARCHAR, event_time TIMESTAMPTZ)');
    for (const mv of ['user_risk_features', 'session_activity', 'item_popularity']) await c.query(mvSql(text, mv));
    await c.query('SET RW_IMPLICIT_FLUSH TO true');

    await c.query(`INSERT INTO transactions VALUES
      (1, 42, 1, 100, 'approved', now() - interval '1 hour'),
      (2, 42, 2, 250, 'declined', now() - interval '2 hours'),
      (3, 42, 1, 30, 'declined', ${leaving('24 hours', 3)}),
      (4, 42, 3, 999, 'approved', now() - interval '25 hours'),
      (5, 43, 9, 5, 'approved', now())`);
    expect(await rows(c, 'SELECT * FROM user_risk_features')).toEqual([
      ['42', '2', '2', '380', '250', '3'],
      ['43', '0', '1', '5', '5', '1'],
    ]);
    await c.query(`INSERT INTO page_events VALUES
      ('a', 42, 'home', 10, now() - interval '1 minute'),
      ('a', 42, 'product', 20, now() - interval '2 minutes'),
      ('a', 42, 'product', 5, ${leaving('30 minutes', 3)}),
      ('b', 43, 'home', 7, now() - interval '40 minutes')`);
    expect(await rows(c, 'SELECT session_id, user_id, page_views, unique_page_types, total_dwell_seconds FROM session_activity')).toEqual([['a', '42', '3', '2', '35']]);
    await c.query(`INSERT INTO item_events VALUES
      (5, 42, 'view', now()), (5, 43, 'add_to_cart', now()), (5, 42, 'purchase', now()),
      (6, 42, 'view', ${leaving('1 hour', 3)}), (7, 1, 'view', now() - interval '2 hours')`);
    expect(await rows(c, 'SELECT * FROM item_popularity')).toEqual([
      ['5', '3', '2', '1', '1'],
      ['6', '1', '1', '0', '0'],
    ]);
    const serving = statement(text, /SELECT\s+view_count_1h,/);
    expect(await rows(c, serving, [5])).toEqual([['3', '2', '1']]);
    const join = statement(text, /SELECT\s+u\.declined_count_24h/);
    expect(await rows(c, join, [42])).toEqual([['2', '380', '2', '3', '35']]);
    expect(await rows(c, statement(text, /^SELECT \* FROM user_risk_features WHERE user_id = \$1;/m), [43])).toEqual([['43', '0', '1', '5', '5', '1']]);

    // Change: a declined transaction is corrected, a page event deleted.
    await c.query(`UPDATE transactions SET status = 'approved' WHERE txn_id = 2`);
    await c.query(`DELETE FROM page_events WHERE page_type = 'home'`);
    expect(await rows(c, join, [42])).toEqual([['1', '380', '2', '2', '25']]);

    // Age out: txn 3, the third page view and item 6's view leave their windows.
    await eventually(c, 'SELECT user_id, declined_count_24h, total_spend_1h, total_txn_24h FROM user_risk_features', [
      ['42', '0', '350', '2'],
      ['43', '0', '5', '1'],
    ]);
    await eventually(c, 'SELECT session_id, page_views, total_dwell_seconds FROM session_activity', [['a', '1', '20']]);
    await eventually(c, 'SELECT item_id FROM item_popularity', [['5']]);
    expect(await rows(c, join, [42])).toEqual([['0', '350', '2', '1', '20']]);
  });
});
