/**
 * The Kafka reader against the Kafka-protocol test broker (a real protocol peer: kafkajs
 * cannot tell it from Apache Kafka), fed by an ordinary kafkajs producer.
 */
import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';
import { T } from '@freshet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaBroker, type KafkaTestBroker } from '@freshet/testkit';
import type { SourceMessage } from '../format/types';
import { kafkaClientConfig } from './config';
import { KafkaReader } from './reader';
import { KafkaSinkWriter } from './sink-writer';
import { drain } from './test-reader';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let broker: KafkaTestBroker;
let producer: Producer;
const readers: KafkaReader[] = [];

beforeAll(async () => {
  broker = await startKafkaBroker();
  producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 300 } }).producer();
  await producer.connect();
});
afterAll(async () => {
  await Promise.all(readers.map((r) => r.close()));
  await producer.disconnect();
  await broker.close();
});

function reader(options: Record<string, string>, initialOffsets?: Record<number, number>, fetcher?: 'direct' | 'kafkajs'): KafkaReader {
  const r = new KafkaReader(kafkaClientConfig({ 'properties.bootstrap.server': broker.bootstrap, ...options }), { initialOffsets, retry: { initialMs: 50, maxMs: 300 }, fetcher });
  readers.push(r);
  return r;
}

const values = (ms: SourceMessage[]) => ms.map((m) => m.value!.toString()).sort();

describe('KafkaReader', () => {
  it('reads every partition from the earliest offset with keys, headers and timestamps', async () => {
    broker.createTopic('r-earliest', 3);
    await producer.send({
      topic: 'r-earliest',
      messages: Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 3, timestamp: String(1_000 + i), headers: { h: `x${i}` } })),
    });
    const r = reader({ topic: 'r-earliest', 'scan.startup.mode': 'earliest' });
    const got = await drain(r, 12);
    expect(values(got)).toEqual(Array.from({ length: 12 }, (_, i) => `v${i}`).sort());
    const m5 = got.find((m) => m.value!.toString() === 'v5')!;
    expect([m5.partition, m5.offset, m5.key!.toString(), m5.timestamp, m5.headers[0].key, m5.headers[0].value!.toString()]).toEqual([2, 1, 'k5', 1005, 'h', 'x5']);
    expect(r.offsets()).toEqual({ 0: 4, 1: 4, 2: 4 });
    expect(r.poll(10)).toEqual([]);
  });

  it('reads gzip batches, null keys and values, and repeated headers exactly as the kafkajs consumer does', async () => {
    broker.createTopic('r-gzip', 2);
    await producer.send({
      topic: 'r-gzip',
      compression: CompressionTypes.GZIP,
      messages: Array.from({ length: 40 }, (_, i) => ({
        key: i % 3 === 0 ? null : `k${i}`,
        value: i % 7 === 0 ? null : `{"n":${i}}`,
        partition: i % 2,
        timestamp: String(5_000 + i),
        headers: i % 5 === 0 ? { a: [`x${i}`, `y${i}`], b: 'z' } : undefined,
      })),
    });
    await producer.send({ topic: 'r-gzip', messages: [{ value: 'plain', partition: 1 }] });
    const direct = await drain(reader({ topic: 'r-gzip' }, undefined, 'direct'), 41);
    const viaKafkajs = await drain(reader({ topic: 'r-gzip' }, undefined, 'kafkajs'), 41);
    const comparable = (ms: SourceMessage[]) =>
      ms
        .map((m) => ({ ...m, key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, headers: m.headers.map((h) => `${h.key}=${h.value}`) }))
        .sort((x, y) => x.partition - y.partition || x.offset - y.offset);
    expect(comparable(direct)).toEqual(comparable(viaKafkajs));
    expect(comparable(direct).find((m) => m.value === '{"n":5}')?.headers).toEqual(['a=x5', 'a=y5', 'b=z']);
  });

  it.each(['direct', 'kafkajs'] as const)('continues from the earliest offset when its position is out of range (%s fetch)', async (fetcher) => {
    const topic = `r-range-${fetcher}`;
    broker.createTopic(topic, 1);
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] });
    const r = reader({ topic }, { 0: 50 }, fetcher);
    expect(values(await drain(r, 2))).toEqual(['a', 'b']);
    expect(r.offsets()).toEqual({ 0: 2 });
    await producer.send({ topic, messages: [{ value: 'c' }] });
    expect(values(await drain(r, 1))).toEqual(['c']);
  });

  it.each(['direct', 'kafkajs'] as const)('continues from the earliest offset when the topic is recreated under it (%s fetch)', async (fetcher) => {
    const topic = `r-recreated-${fetcher}`;
    broker.createTopic(topic, 1);
    await producer.send({ topic, messages: ['a', 'b', 'c', 'd', 'e'].map((value) => ({ value })) });
    const r = reader({ topic }, undefined, fetcher);
    expect(values(await drain(r, 5))).toEqual(['a', 'b', 'c', 'd', 'e']);
    // Deleted and created again while the reader is at offset 5: its position is now past the end.
    broker.state.deleteTopic(topic);
    broker.createTopic(topic, 1);
    await producer.send({ topic, messages: [{ value: 'x' }, { value: 'y' }] });
    expect(values(await drain(r, 2))).toEqual(['x', 'y']);
    expect(r.offsets()).toEqual({ 0: 2 });
  });

  it('starts at the end with scan.startup.mode = latest', async () => {
    broker.createTopic('r-latest', 2);
    await producer.send({ topic: 'r-latest', messages: [{ value: 'old', partition: 0 }, { value: 'old', partition: 1 }] });
    const r = reader({ topic: 'r-latest', 'scan.startup.mode': 'latest' });
    await r.whenAssigned();
    expect(r.offsets()).toEqual({ 0: 1, 1: 1 });
    await producer.send({ topic: 'r-latest', messages: [{ value: 'new0', partition: 0 }, { value: 'new1', partition: 1 }] });
    expect(values(await drain(r, 2))).toEqual(['new0', 'new1']);
  });

  it('starts at a timestamp with scan.startup.timestamp.millis', async () => {
    await producer.send({ topic: 'r-ts', messages: [10, 20, 30, 40].map((t) => ({ value: `t${t}`, timestamp: String(t) })) });
    const r = reader({ topic: 'r-ts', 'scan.startup.timestamp.millis': '25' });
    expect(values(await drain(r, 2))).toEqual(['t30', 't40']);
  });

  it('resumes exactly from offsets() in a new reader, and seek() rewinds', async () => {
    broker.createTopic('r-resume', 2);
    await producer.send({ topic: 'r-resume', messages: Array.from({ length: 10 }, (_, i) => ({ value: `a${i}`, partition: i % 2 })) });
    const first = reader({ topic: 'r-resume' });
    const part1 = await drain(first, 4);
    const checkpoint = first.offsets();
    await first.close();
    await producer.send({ topic: 'r-resume', messages: Array.from({ length: 4 }, (_, i) => ({ value: `b${i}`, partition: i % 2 })) });
    const second = reader({ topic: 'r-resume' }, checkpoint);
    const part2 = await drain(second, 10);
    expect(values([...part1, ...part2])).toEqual([...Array.from({ length: 10 }, (_, i) => `a${i}`), ...Array.from({ length: 4 }, (_, i) => `b${i}`)].sort());
    second.seek({ 0: 6, 1: 6 });
    expect(values(await drain(second, 2))).toEqual(['b2', 'b3'].sort());
    expect(second.offsets()).toEqual({ 0: 7, 1: 7 });
  });

  it('survives a broker outage and resumes where it left off, without duplicates', async () => {
    broker.createTopic('r-outage', 2);
    await producer.send({ topic: 'r-outage', messages: Array.from({ length: 6 }, (_, i) => ({ value: `p${i}`, partition: i % 2 })) });
    const r = reader({ topic: 'r-outage' });
    const before = await drain(r, 6);
    await broker.stop();
    await new Promise((res) => setTimeout(res, 1500));
    await broker.start();
    await producer.send({ topic: 'r-outage', messages: Array.from({ length: 6 }, (_, i) => ({ value: `q${i}`, partition: i % 2 })) });
    const after = await drain(r, 6, 20_000);
    await new Promise((res) => setTimeout(res, 300));
    expect(r.poll(100)).toEqual([]);
    expect(values([...before, ...after])).toEqual([...Array.from({ length: 6 }, (_, i) => `p${i}`), ...Array.from({ length: 6 }, (_, i) => `q${i}`)].sort());
    expect(r.stats.sessions).toBeGreaterThan(1);
  }, 30_000);

  it('holds fetching while its buffer is full (back-pressure) and loses nothing', async () => {
    // 50 record batches: a fetch returns whole batches, so pausing works at batch granularity.
    for (let b = 0; b < 50; b++) await producer.send({ topic: 'r-pressure', messages: Array.from({ length: 10 }, (_, i) => ({ value: String(b * 10 + i) })) });
    const r = new KafkaReader(kafkaClientConfig({ 'properties.bootstrap.server': broker.bootstrap, topic: 'r-pressure', 'properties.max.partition.fetch.bytes': '2000' }), { maxBuffered: 50 });
    readers.push(r);
    await r.whenAssigned();
    await new Promise((res) => setTimeout(res, 500));
    expect(r.stats.buffered).toBeLessThan(200);
    const got = await drain(r, 500);
    expect(got.map((m) => Number(m.value!.toString()))).toEqual(Array.from({ length: 500 }, (_, i) => i));
    // The batch handler waits (heartbeating) rather than pausing: one session, no failure.
    expect([r.stats.sessions, r.stats.failures]).toEqual([1, 0]);
  });
});

describe('kafkaClientConfig', () => {
  it('maps RisingWave options and properties.* to kafkajs settings', () => {
    const c = kafkaClientConfig({
      topic: 't',
      'properties.bootstrap.server': 'a:1, b:2',
      'properties.client.id': 'me',
      'properties.security.protocol': 'SASL_SSL',
      'properties.sasl.mechanism': 'SCRAM-SHA-512',
      'properties.sasl.username': 'u',
      'properties.sasl.password': 'p',
      'properties.request.timeout.ms': '5000',
      'properties.linger.ms': '5',
      'scan.startup.mode': 'latest',
    });
    expect(c.brokers).toEqual(['a:1', 'b:2']);
    expect(c.client).toMatchObject({ clientId: 'me', ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' }, requestTimeout: 5000 });
    expect(c.startup).toEqual({ kind: 'latest' });
    expect(c.unmapped).toEqual(['properties.linger.ms']);
  });

  it('names the option in its errors', () => {
    expect(() => kafkaClientConfig({ 'properties.bootstrap.server': 'a:1' })).toThrow(/topic/);
    expect(() => kafkaClientConfig({ topic: 't' })).toThrow(/properties.bootstrap.server/);
    expect(() => kafkaClientConfig({ topic: 't', 'properties.bootstrap.server': 'a:1', 'scan.startup.mode': 'middle' })).toThrow(/scan.startup.mode/);
    expect(() => kafkaClientConfig({ topic: 't', 'properties.bootstrap.server': 'nohost' })).toThrow(/bootstrap/);
    expect(() => kafkaClientConfig({ topic: 't', 'properties.bootstrap.server': 'a:1', 'properties.security.protocol': 'SASL_PLAINTEXT' })).toThrow(/sasl.username/);
  });
});

describe('KafkaReader with SASL/PLAIN properties', () => {
  it('authenticates with properties.sasl.* and reads; the sink writer too', async () => {
    const secure = await startKafkaBroker({ saslUsers: { svc: 'pw' } });
    const options = {
      topic: 'r-sasl',
      'properties.bootstrap.server': secure.bootstrap,
      'properties.security.protocol': 'SASL_PLAINTEXT',
      'properties.sasl.mechanism': 'PLAIN',
      'properties.sasl.username': 'svc',
      'properties.sasl.password': 'pw',
    };
    const sink = new KafkaSinkWriter({ name: 'k', options, format: 'plain', encode: 'json', columns: [{ name: 'a', type: T.Int32 }] });
    sink.write('insert', [7]);
    await sink.flush();
    await sink.close();
    const r = new KafkaReader(kafkaClientConfig(options));
    try {
      expect((await drain(r, 1)).map((m) => m.value!.toString())).toEqual(['{"a":7}']);
    } finally {
      await r.close();
      await secure.close();
    }
  });
});
