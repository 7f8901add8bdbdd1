/**
 * The Kafka connector inside the real server (`freshet start` as a child process) against
 * the Kafka-protocol test broker: what a user sees through SQL and the server log.
 *
 * - an ad-hoc `SELECT … FROM kafka_source` reads what the topic holds;
 * - malformed messages are skipped, logged to the server log with partition and offset,
 *   and listed in rw_catalog.rw_source_errors / rw_source_error_counts;
 * - `CREATE TABLE … WITH (connector = 'kafka')` without a primary key survives `kill -9`
 *   mid-ingest with exactly one row per produced message (offsets committed with the rows),
 *   and a watermarked table still drops late rows after the restart;
 * - produce → visible in a materialized view over the table (correctness, not speed).
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFreshet, startKafkaBroker, type FreshetServer, type KafkaTestBroker } from '@freshet/testkit';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let broker: KafkaTestBroker;
let producer: Producer;
const servers: FreshetServer[] = [];

beforeAll(async () => {
  broker = await startKafkaBroker();
  producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  await producer.disconnect();
  await broker.close();
});

async function start(dataDir?: string): Promise<FreshetServer> {
  const s = await startFreshet(dataDir ? { dataDir, removeDataDir: true } : {});
  servers.push(s);
  return s;
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

/** Polls `sql`'s first row's `n` until `done(n)`; returns the last value seen. */
async function pollCount(server: FreshetServer, sql: string, done: (n: number) => boolean, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = -1;
  while (Date.now() < deadline) {
    n = Number((await query(server, sql))[0].n);
    if (done(n)) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
  return n;
}

const kafkaWith = (topic: string) => `WITH (connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${broker.bootstrap}', scan.startup.mode = 'earliest')`;

describe('Kafka in the server', () => {
  it('answers an ad-hoc SELECT on a source with what the topic holds, logging and listing malformed messages', async () => {
    broker.createTopic('adhoc', 2);
    await producer.send({
      topic: 'adhoc',
      messages: [
        { value: '{"id": 1, "name": "a"}', partition: 0 },
        { value: '{"id": 2, "name": ', partition: 0 },
        { value: '{"id": 3, "name": "c"}', partition: 1 },
        { value: '{"id": "not a number"}', partition: 1 },
        { value: '{"id": 5, "name": "e"}', partition: 1 },
      ],
    });
    const server = await start();
    await query(server, `CREATE SOURCE adhoc_src (id INT, name VARCHAR) ${kafkaWith('adhoc')} FORMAT PLAIN ENCODE JSON`);
    expect(await query(server, 'SELECT id, name FROM adhoc_src ORDER BY id')).toEqual([
      { id: 1, name: 'a' },
      { id: 3, name: 'c' },
      { id: 5, name: 'e' },
    ]);
    // A later read sees messages produced since.
    await producer.send({ topic: 'adhoc', messages: [{ value: '{"id": 6, "name": "f"}', partition: 0 }] });
    expect(await query(server, 'SELECT count(*)::int AS n, max(id) AS m FROM adhoc_src')).toEqual([{ n: 4, m: 6 }]);

    const errors = await query(server, "SELECT partition, message_offset::int AS o, reason FROM rw_catalog.rw_source_errors WHERE source_name = 'adhoc_src'");
    // Each ad-hoc read parses the topic again, so both reads report both bad messages.
    expect(errors.map((e) => `${e.partition}:${e.o}`).sort()).toEqual(['0:1', '0:1', '1:1', '1:1']);
    expect(errors.every((e) => String(e.reason).length > 0)).toBe(true);
    expect(await query(server, "SELECT error_count::int AS n FROM rw_catalog.rw_source_error_counts WHERE source_name = 'adhoc_src'")).toEqual([{ n: 4 }]);
    const log = server.logs.toString();
    expect(log).toMatch(/WARN .*source adhoc_src: skipped malformed message at partition 0 offset 1/);
    expect(log).toMatch(/WARN .*source adhoc_src: skipped malformed message at partition 1 offset 1/);
    expect(await query(server, "SELECT name, connector FROM rw_catalog.rw_sources WHERE name = 'adhoc_src'")).toEqual([{ name: 'adhoc_src', connector: 'kafka' }]);
    // An MV's own reader of the source logs and counts the same way.
    await query(server, 'CREATE MATERIALIZED VIEW adhoc_mv AS SELECT count(*) AS n FROM adhoc_src');
    expect(await pollCount(server, 'SELECT n FROM adhoc_mv', (n) => n >= 4, 20_000)).toBe(4);
    expect(await pollCount(server, "SELECT error_count AS n FROM rw_catalog.rw_source_error_counts WHERE source_name = 'adhoc_src'", (n) => n >= 6, 10_000)).toBe(6);
    expect(server.logs.toString().match(/WARN .*source adhoc_src: skipped malformed message at partition 1 offset 1/g)).toHaveLength(3);
  }, 60_000);

  it('keeps a connector table exact across kill -9 mid-ingest (no primary key: no duplicates, nothing lost)', async () => {
    const TOTAL = 20_000;
    broker.createTopic('ingest', 3);
    let server = await start();
    await query(server, `CREATE TABLE ingested (n INT, p INT) ${kafkaWith('ingest')} FORMAT PLAIN ENCODE JSON`);
    await query(server, 'CREATE MATERIALIZED VIEW ingested_stats AS SELECT count(*) AS n, count(DISTINCT n) AS d FROM ingested');
    // A watermarked table's watermark survives the crash too (rebuilt from the stored rows).
    await query(server, "CREATE TABLE wm (ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) APPEND ONLY");
    await query(server, "INSERT INTO wm VALUES ('2024-01-01 00:01:00')");
    // Produce in batches while the server ingests; kill it once part of the data is in.
    const produced = (async () => {
      for (let from = 0; from < TOTAL; from += 1000) {
        const messages = Array.from({ length: 1000 }, (_, i) => ({ value: JSON.stringify({ n: from + i, p: (from + i) % 3 }), partition: (from + i) % 3 }));
        await producer.send({ topic: 'ingest', messages });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const before = await pollCount(server, 'SELECT count(*) AS n FROM ingested', (n) => n >= 3000);
    expect(before).toBeGreaterThanOrEqual(3000);
    expect(before).toBeLessThan(TOTAL); // mid-ingest
    const dataDir = server.dataDir!;
    await server.kill9();
    servers.splice(servers.indexOf(server), 1);
    await produced;

    server = await start(dataDir);
    const after = await pollCount(server, 'SELECT count(*) AS n FROM ingested', (n) => n >= TOTAL);
    expect(after).toBe(TOTAL);
    await new Promise((r) => setTimeout(r, 1000)); // nothing late arrives twice
    expect(await query(server, 'SELECT count(*)::int AS n, count(DISTINCT n)::int AS d, min(n) AS lo, max(n) AS hi FROM ingested')).toEqual([{ n: TOTAL, d: TOTAL, lo: 0, hi: TOTAL - 1 }]);
    await query(server, "INSERT INTO wm VALUES ('2024-01-01 00:00:54'), ('2024-01-01 00:00:56')"); // watermark 00:00:55
    expect(await query(server, "SELECT to_char(ts, 'MI:SS') AS t FROM wm ORDER BY ts")).toEqual([{ t: '00:56' }, { t: '01:00' }]);
    // The MV over the table agrees (restored from its checkpoint plus the table's change log).
    const mv = await pollCount(server, 'SELECT n FROM ingested_stats', (n) => n >= TOTAL, 30_000);
    expect(mv).toBe(TOTAL);
    expect(await query(server, 'SELECT n::int AS n, d::int AS d FROM ingested_stats')).toEqual([{ n: TOTAL, d: TOTAL }]);
  }, 180_000);

  it('makes a produced message visible in a materialized view lookup (freshness, correctness only)', async () => {
    broker.createTopic('fresh', 1);
    const server = servers[servers.length - 1] ?? (await start());
    await query(server, `CREATE TABLE fresh_events (user_id INT, amount INT) ${kafkaWith('fresh')} FORMAT PLAIN ENCODE JSON`);
    await query(server, 'CREATE MATERIALIZED VIEW fresh_totals AS SELECT user_id, sum(amount) AS total, count(*) AS n FROM fresh_events GROUP BY user_id');
    await producer.send({ topic: 'fresh', messages: [{ value: '{"user_id": 7, "amount": ' }] }); // malformed: skipped
    for (let i = 1; i <= 5; i++) {
      await producer.send({ topic: 'fresh', messages: [{ value: JSON.stringify({ user_id: 7, amount: i }) }] });
      const n = await pollCount(server, 'SELECT coalesce(max(n), 0) AS n FROM fresh_totals WHERE user_id = 7', (x) => x >= i, 10_000);
      expect(n).toBe(i);
    }
    expect(await query(server, 'SELECT user_id, total::int AS total, n::int AS n FROM fresh_totals WHERE user_id = 7')).toEqual([{ user_id: 7, total: 15, n: 5 }]);
    // A connector table's reader logs to the server log too, and counts.
    expect(server.logs.toString()).toMatch(/WARN .*source fresh_events: skipped malformed message at partition 0 offset 0/);
    expect(await query(server, "SELECT error_count::int AS n FROM rw_catalog.rw_source_error_counts WHERE source_name = 'fresh_events'")).toEqual([{ n: 1 }]);
  }, 60_000);
});
