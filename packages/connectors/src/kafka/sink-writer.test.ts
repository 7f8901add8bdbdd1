/**
 * The Kafka sink writer against the test broker; what it wrote is read back with the
 * broker's own record decoder and, for Debezium, with our Debezium source parser.
 */
import { Decimal, Interval, Jsonb, T } from '@freshet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaBroker, type KafkaTestBroker } from '@freshet/testkit';
import { encodeJsonObject } from '../format/json-encode';
import { createRecordParser } from '../format/parser';
import { KafkaSinkWriter, validateKafkaSink, type KafkaSinkSpec } from './sink-writer';

let broker: KafkaTestBroker;
const writers: KafkaSinkWriter[] = [];

beforeAll(async () => {
  broker = await startKafkaBroker();
});
afterAll(async () => {
  await Promise.all(writers.map((w) => w.close()));
  await broker.close();
});

const columns = [
  { name: 'id', type: T.Int32 },
  { name: 'name', type: T.Varchar },
];

function writer(topic: string, format: string, extra: Partial<KafkaSinkSpec> = {}): KafkaSinkWriter {
  const w = new KafkaSinkWriter({ name: 's', options: { topic, 'properties.bootstrap.server': broker.bootstrap, primary_key: 'id' }, format, encode: 'json', columns, ...extra }, { retry: { initialMs: 50, maxMs: 300 }, now: () => 1000 });
  writers.push(w);
  return w;
}

const text = (b: Buffer | null) => (b === null ? null : b.toString());

describe('KafkaSinkWriter', () => {
  it('FORMAT UPSERT: key is the primary key, a delete is a tombstone, update halves collapse', async () => {
    const w = writer('sink-upsert', 'upsert');
    w.write('insert', [1, 'a']);
    w.write('update_delete', [1, 'a']);
    w.write('update_insert', [1, 'b']);
    w.write('delete', [1, 'b']);
    expect(w.pending).toBe(3);
    await w.flush();
    expect(broker.records('sink-upsert', 0).map((r) => [text(r.key), text(r.value)])).toEqual([
      ['{"id":1}', '{"id":1,"name":"a"}'],
      ['{"id":1}', '{"id":1,"name":"b"}'],
      ['{"id":1}', null],
    ]);
  });

  it('FORMAT PLAIN: appends inserts and the new side of updates, drops deletes', async () => {
    const w = writer('sink-plain', 'plain', { options: { topic: 'sink-plain', 'properties.bootstrap.server': broker.bootstrap } });
    w.write('insert', [1, 'a']);
    w.write('update_delete', [1, 'a']);
    w.write('update_insert', [1, 'b']);
    w.write('delete', [1, 'b']);
    await w.flush();
    expect(broker.records('sink-plain', 0).map((r) => [text(r.key), text(r.value)])).toEqual([
      [null, '{"id":1,"name":"a"}'],
      [null, '{"id":1,"name":"b"}'],
    ]);
  });

  it('FORMAT DEBEZIUM: c/u/d envelopes (plus a tombstone) that our Debezium source reads back', async () => {
    const w = writer('sink-dbz', 'debezium');
    w.write('insert', [1, 'a']);
    w.write('update_delete', [1, 'a']);
    w.write('update_insert', [1, 'b']);
    w.write('delete', [1, 'b']);
    await w.flush();
    const records = broker.records('sink-dbz', 0);
    expect(records.length).toBe(4);
    const envelope = JSON.parse(text(records[1].value)!);
    expect(envelope.payload).toEqual({ before: { id: 1, name: 'a' }, after: { id: 1, name: 'b' }, op: 'u', ts_ms: 1000, source: { db: 'dev', table: 's', ts_ms: 1000 } });
    expect(JSON.parse(text(records[0].key)!).payload).toEqual({ id: 1 });
    const parser = createRecordParser({ format: 'debezium', encode: 'json', columns });
    const changes = records.map((r) => parser.parse({ partition: 0, offset: r.offset, key: r.key, value: r.value, timestamp: r.timestamp, headers: [] }));
    expect(changes.map((c) => (c.ok ? c.change && [c.change.op, ...c.change.row] : c.error.reason))).toEqual([['insert', 1, 'a'], ['upsert', 1, 'b'], ['delete', 1, 'b'], null]);
  });

  it('keeps messages through a broker outage and delivers them once it is back', async () => {
    const w = writer('sink-outage', 'upsert');
    w.write('insert', [1, 'a']);
    await w.flush();
    await broker.stop();
    w.write('insert', [2, 'b']);
    const flushing = w.flush();
    await new Promise((r) => setTimeout(r, 700));
    expect(w.pending).toBe(1);
    await broker.start();
    await flushing;
    expect(broker.records('sink-outage', 0).map((r) => text(r.value))).toEqual(['{"id":1,"name":"a"}', '{"id":2,"name":"b"}']);
  }, 20_000);

  it('serialises concurrent flushes, so nothing is sent twice', async () => {
    const w = writer('sink-concurrent', 'upsert');
    for (let i = 0; i < 50; i++) w.write('insert', [i, 'x']);
    const first = w.flush();
    w.write('insert', [50, 'y']);
    await Promise.all([first, w.flush(), w.flush()]);
    expect(broker.records('sink-concurrent', 0).length).toBe(51);
    expect(w.sent).toBe(51);
  });

  it('refuses definitions RisingWave refuses', () => {
    const base = { name: 's', encode: 'json', columns, options: { topic: 't', 'properties.bootstrap.server': 'h:1' } };
    expect(() => validateKafkaSink({ ...base, format: 'upsert' })).toThrow(/primary_key must be set/);
    expect(() => validateKafkaSink({ ...base, format: 'plain', options: { ...base.options, primary_key: 'nope' } })).toThrow(/nope/);
    expect(() => validateKafkaSink({ ...base, format: 'plain', encode: 'avro' })).toThrow(/AVRO/);
  });
});

describe('encodeJsonObject', () => {
  it('writes every type as RisingWave JSON-encodes it for Kafka', () => {
    const cols = [
      { name: 'b', type: T.Boolean },
      { name: 'i', type: T.Int64 },
      { name: 'f', type: T.Float64 },
      { name: 'n', type: T.Float64 },
      { name: 'd', type: T.Decimal },
      { name: 'tz', type: T.Timestamptz },
      { name: 'ts', type: T.Timestamp },
      { name: 'day', type: T.Date },
      { name: 'tm', type: T.Time },
      { name: 'iv', type: T.Interval },
      { name: 'by', type: T.Bytea },
      { name: 'j', type: T.Jsonb },
      { name: 'nil', type: T.Varchar },
    ];
    const row = [true, 9_007_199_254_740_993n, 1.5, NaN, Decimal.parse('12.30'), Date.UTC(2018, 0, 26, 18, 30, 9, 453) * 1000, 1_000_000_000, 14_897, 3_723_000_000, new Interval(13, 2, 1_000_000), new Uint8Array([1, 2, 3, 4]), new Jsonb({ a: 1 }), null];
    expect(encodeJsonObject(cols, row)).toBe(
      '{"b":true,"i":9007199254740993,"f":1.5,"n":null,"d":"12.30","tz":"2018-01-26T18:30:09.453000Z","ts":1000000,"day":734060,"tm":3723000,"iv":"P1Y1M2DT0H0M1S","by":"AQIDBA","j":"{\\"a\\":1}","nil":null}',
    );
  });
});
