/**
 * `connector = 'kafka'` end to end below SQL: kafkajs produces JSON (good and bad) to the
 * test broker, the source reader parses it into rows / changes.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { T } from '@freshet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaBroker, type KafkaTestBroker } from '@freshet/testkit';
import type { SourceSpec } from '../api';
import { KafkaSourceReader, kafkaSourceConnector, readKafkaSnapshot } from './connector';
import { recentSourceErrors, sourceErrorCounts } from './source-errors';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let broker: KafkaTestBroker;
let producer: Producer;
const open: KafkaSourceReader[] = [];

beforeAll(async () => {
  broker = await startKafkaBroker();
  producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
});
afterAll(async () => {
  await Promise.all(open.map((r) => r.close()));
  await producer.disconnect();
  await broker.close();
});

function spec(name: string, topic: string, format: string, columns: SourceSpec['columns']): SourceSpec {
  return { name, connector: 'kafka', options: { connector: 'kafka', topic, 'properties.bootstrap.server': broker.bootstrap }, columns, format: { format, encode: 'json', options: {} } };
}

async function until<T>(f: () => T[], n: number): Promise<T[]> {
  const out: T[] = [];
  const deadline = Date.now() + 10_000;
  while (out.length < n && Date.now() < deadline) {
    out.push(...f());
    await new Promise((r) => setTimeout(r, 10));
  }
  return out;
}

describe('kafka source connector', () => {
  it('reads PLAIN JSON rows, skipping, counting and logging malformed messages', async () => {
    broker.createTopic('c-plain', 2);
    const lines: string[] = [];
    const s = spec('events', 'c-plain', 'plain', [
      { name: 'user_id', type: T.Int64 },
      { name: 'kind', type: T.Varchar },
      { name: 'p', type: T.Varchar, include: { what: 'partition' } },
    ]);
    expect(kafkaSourceConnector.validate(s).length).toBe(3);
    const r = kafkaSourceConnector.open!(s, { now: Date.now, log: (l) => lines.push(l) }) as KafkaSourceReader;
    open.push(r);
    await producer.send({
      topic: 'c-plain',
      messages: [
        { value: '{"user_id": 1, "kind": "click"}', partition: 0 },
        { value: '{"user_id": 2, "kind": ', partition: 0 },
        { value: '{"user_id": "x"}', partition: 1 },
        { value: '{"user_id": 3, "kind": "view"}', partition: 1 },
        { value: 'x'.repeat(100_000), partition: 1 },
        { value: '{"USER_ID": 4}', partition: 1 },
      ],
    });
    const rows = await until(() => r.pull(100), 3);
    expect(rows.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [1n, 'click', '0'],
      [3n, 'view', '1'],
      [4n, null, '1'],
    ]);
    expect(r.errorCount).toBe(3);
    expect(sourceErrorCounts().get('events')).toBe(3);
    expect(recentSourceErrors().filter((e) => e.source === 'events').map((e) => [e.partition, e.offset])).toEqual(
      expect.arrayContaining([
        [0, 1],
        [1, 0],
        [1, 2],
      ]),
    );
    expect(lines.some((l) => l.includes('partition 1 offset 0') && l.includes('user_id'))).toBe(true);
    expect(r.offsets()).toEqual({ 0: '2', 1: '4' });
  });

  it('reads UPSERT JSON as upserts and deletes keyed by INCLUDE KEY', async () => {
    const s = spec('users', 'c-upsert', 'upsert', [
      { name: 'id', type: T.Int32 },
      { name: 'name', type: T.Varchar },
      { name: 'k', type: T.Varchar, include: { what: 'key' } },
    ]);
    expect(() => kafkaSourceConnector.validate({ ...s, columns: s.columns.slice(0, 2) })).toThrow(/INCLUDE KEY/);
    await producer.send({ topic: 'c-upsert', messages: [{ key: '1', value: '{"id":1,"name":"a"}' }, { key: '1', value: '{"id":1,"name":"b"}' }, { key: '1', value: null }] });
    const r = new KafkaSourceReader(s, { now: Date.now });
    open.push(r);
    expect(() => r.pull(10)).toThrow(/pullChanges/);
    const changes = await until(() => r.pullChanges(10), 3);
    expect(changes.map((c) => [c.op, ...c.row])).toEqual([
      ['upsert', 1, 'a', '1'],
      ['upsert', 1, 'b', '1'],
      ['delete', null, null, '1'],
    ]);
  });

  it('answers an ad-hoc read with what the topic holds now, and seeks by split offsets', async () => {
    broker.createTopic('c-snap', 3);
    await producer.send({ topic: 'c-snap', messages: Array.from({ length: 9 }, (_, i) => ({ value: JSON.stringify({ n: i }), partition: i % 3 })) });
    const s = spec('nums', 'c-snap', 'plain', [{ name: 'n', type: T.Int32 }]);
    const all = await readKafkaSnapshot(s);
    expect(all.map((c) => c.row[0]).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const r = new KafkaSourceReader(s, { now: Date.now });
    open.push(r);
    r.seek({ 0: '2', 1: '3', 2: '1' });
    const rows = await until(() => r.pull(10), 3);
    expect(rows.map((x) => x[0]).sort()).toEqual([5, 6, 8]);
    expect(r.offsets()).toEqual({ 0: '3', 1: '3', 2: '3' });
  });
});
