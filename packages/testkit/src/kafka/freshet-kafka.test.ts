/**
 * Freshet (the real `freshet start` process) ingesting from the Kafka-protocol test broker:
 * a Kafka source feeding a materialized view through a broker outage and a `kill -9` of
 * Freshet, with malformed messages skipped. Counts must be exact: nothing lost, nothing
 * read twice (Freshet's checkpointed offsets, not Kafka's, are the truth).
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFreshet, type FreshetServer } from '../freshet';
import { startKafkaBroker, type KafkaTestBroker } from './broker';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let broker: KafkaTestBroker;
let producer: Producer;
let freshet: FreshetServer | undefined;

beforeAll(async () => {
  broker = await startKafkaBroker();
  broker.createTopic('user_events', 2);
  producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 50, initialRetryTime: 100, maxRetryTime: 500 } }).producer();
  await producer.connect();
});
afterAll(async () => {
  await freshet?.stop();
  await producer.disconnect();
  await broker.close();
});

/** `n` good events for users 0..2 across both partitions, plus the given raw messages. */
function send(from: number, n: number, raw: string[] = []) {
  const good = Array.from({ length: n }, (_, i) => ({ value: JSON.stringify({ user_id: (from + i) % 3, event_type: 'click', ts: '2024-01-01T00:00:00Z' }), partition: (from + i) % 2 }));
  return producer.send({ topic: 'user_events', messages: [...good, ...raw.map((value, i) => ({ value, partition: i % 2 }))] });
}

async function query(server: FreshetServer, sql: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client(server.url);
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

/** Polls the MV until it shows `total` events, then checks it stays there (no duplicates arriving late). */
async function expectCount(server: FreshetServer, total: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  let rows: Record<string, unknown>[] = [];
  while (Date.now() < deadline) {
    rows = await query(server, 'SELECT user_id, n FROM per_user ORDER BY user_id');
    if (rows.reduce((s, r) => s + Number(r.n), 0) >= total) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 1000));
  rows = await query(server, 'SELECT user_id, n FROM per_user ORDER BY user_id');
  const expected = [0, 1, 2].map((u) => ({ user_id: String(u), n: String(Math.floor(total / 3) + (u < total % 3 ? 1 : 0)) }));
  expect(rows).toEqual(expected);
}

describe('Freshet reading Kafka', () => {
  it('ingests exactly once through a broker outage and a kill -9, skipping malformed messages', async () => {
    await send(0, 30, ['{"user_id": ', 'not json', '{"user_id": "abc"}']);
    freshet = await startFreshet();
    await query(
      freshet,
      `CREATE SOURCE user_events (user_id BIGINT, event_type VARCHAR, ts TIMESTAMPTZ) WITH (connector = 'kafka', topic = 'user_events', properties.bootstrap.server = '${broker.bootstrap}', scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE JSON`,
    );
    await query(freshet, 'CREATE MATERIALIZED VIEW per_user AS SELECT user_id, count(*) AS n FROM user_events GROUP BY user_id');
    await expectCount(freshet, 30); // the three malformed messages were skipped, the source went on

    await broker.stop();
    await new Promise((r) => setTimeout(r, 1500));
    await broker.start();
    await send(30, 30);
    await expectCount(freshet, 60);

    const dataDir = freshet.dataDir!;
    await freshet.kill9();
    freshet = undefined;
    await send(60, 30);
    freshet = await startFreshet({ dataDir, removeDataDir: true });
    await expectCount(freshet, 90);
  }, 120_000);

  it('keeps tables fed by FORMAT UPSERT and FORMAT DEBEZIUM topics in step with the keys', async () => {
    await producer.send({ topic: 'users', messages: [{ key: '1', value: '{"id":1,"name":"a"}' }, { key: '2', value: '{"id":2,"name":"b"}' }, { key: '1', value: '{"id":1,"name":"c"}' }, { key: '2', value: null }] });
    const dbz = (before: object | null, after: object | null, op: string) => ({ value: JSON.stringify({ schema: {}, payload: { before, after, op } }) });
    await producer.send({ topic: 'orders_cdc', messages: [dbz(null, { id: 1, v: 'x' }, 'c'), dbz(null, { id: 2, v: 'y' }, 'r'), dbz({ id: 1, v: 'x' }, { id: 1, v: 'z' }, 'u'), dbz({ id: 2, v: 'y' }, null, 'd'), { value: null }] });
    freshet ??= await startFreshet();
    const server = freshet;
    const props = `properties.bootstrap.server = '${broker.bootstrap}'`;
    await query(server, `CREATE TABLE users (id INT, name VARCHAR, PRIMARY KEY (k)) INCLUDE KEY AS k WITH (connector = 'kafka', topic = 'users', ${props}) FORMAT UPSERT ENCODE JSON`);
    await query(server, `CREATE TABLE orders (id INT PRIMARY KEY, v VARCHAR) WITH (connector = 'kafka', topic = 'orders_cdc', ${props}) FORMAT DEBEZIUM ENCODE JSON`);
    const deadline = Date.now() + 30_000;
    let users: Record<string, unknown>[] = [];
    let orders: Record<string, unknown>[] = [];
    while (Date.now() < deadline) {
      users = await query(server, "SELECT id, name, encode(k, 'escape') AS k FROM users ORDER BY id");
      orders = await query(server, 'SELECT id, v FROM orders ORDER BY id');
      if (users.length === 1 && users[0].name === 'c' && orders.length === 1 && orders[0].v === 'z') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(users).toEqual([{ id: 1, name: 'c', k: '1' }]);
    expect(orders).toEqual([{ id: 1, v: 'z' }]);
  }, 60_000);
});
