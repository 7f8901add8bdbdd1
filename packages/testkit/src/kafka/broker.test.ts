/**
 * The test broker against two independent clients: kafkajs (pure JS) and kcat
 * (librdkafka). Each produces and the other consumes, byte for byte.
 */
import { connect } from 'node:net';
import { CompressionTypes, Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaBroker, type KafkaTestBroker } from './broker';
import { runKcat } from './kcat';
import { encodeRecordBatch } from './protocol/record-batch';
import { Writer } from './protocol/writer';
import { hasCommand } from '../provision';
import { Prng } from '../prng';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let broker: KafkaTestBroker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startKafkaBroker({ defaultPartitions: 1 });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'broker-test', logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } });
});
afterAll(async () => {
  if (process.env.KAFKA_BROKER_LOG) console.log(broker.logLines.join('\n'));
  await broker.close();
});

/** Consumes until `count` messages arrived, then disconnects. */
async function consumeN(consumer: Consumer, topic: string, count: number): Promise<EachMessagePayload[]> {
  const got: EachMessagePayload[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async (p) => {
        got.push(p);
        if (got.length === count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return got;
}

describe('kafkajs', () => {
  it('creates topics, produces keys/headers/timestamps to several partitions, consumes them back', async () => {
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'kj-basic', numPartitions: 3 }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'kj-basic', numPartitions: 3 }] })).toBe(false); // already exists
    const meta = await admin.fetchTopicMetadata({ topics: ['kj-basic'] });
    expect(meta.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);

    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 30 }, (_, i) => ({
      key: `k${i % 7}`,
      value: JSON.stringify({ i }),
      partition: i % 3,
      timestamp: String(1_700_000_000_000 + i),
      headers: { seq: String(i), bin: Buffer.from([0, 255, i]) },
    }));
    await producer.send({ topic: 'kj-basic', messages });
    await producer.send({ topic: 'kj-basic', messages: [{ key: null, value: null, partition: 0 }] }); // a tombstone
    await producer.disconnect();
    expect(broker.endOffsets('kj-basic')).toEqual([11, 10, 10]);

    const got = await consumeN(kafka.consumer({ groupId: 'kj-basic-g', maxWaitTimeInMs: 100 }), 'kj-basic', 31);
    const byIndex = new Map(got.filter((g) => g.message.value).map((g) => [JSON.parse(g.message.value!.toString()).i as number, g]));
    for (let i = 0; i < 30; i++) {
      const g = byIndex.get(i)!;
      expect(g.partition).toBe(i % 3);
      expect(g.message.key!.toString()).toBe(`k${i % 7}`);
      expect(g.message.timestamp).toBe(String(1_700_000_000_000 + i));
      expect(g.message.headers!.seq!.toString()).toBe(String(i));
      expect([...(g.message.headers!.bin as Buffer)]).toEqual([0, 255, i]);
    }
    const tomb = got.find((g) => g.message.value === null)!;
    expect(tomb.partition).toBe(0);
    expect(tomb.message.offset).toBe('10');
    await admin.disconnect();
  });

  it('splits partitions between two members of a consumer group, each message once', async () => {
    const topic = 'kj-group';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ value: String(i), partition: i % 4 })) });

    const seen = new Map<string, string[]>();
    const partitionsOf = new Map<string, Set<number>>();
    const members = ['m1', 'm2'].map((name) => {
      const c = kafka.consumer({ groupId: 'kj-group-g', maxWaitTimeInMs: 100, heartbeatInterval: 100, sessionTimeout: 6000, rebalanceTimeout: 3000 });
      seen.set(name, []);
      partitionsOf.set(name, new Set());
      return { name, c };
    });
    for (const { c } of members) {
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
    }
    const lastAssignment = new Map<string, number[]>();
    const bothAssigned = new Promise<void>((resolve) => {
      for (const { name, c } of members) {
        c.on(c.events.GROUP_JOIN, (e) => {
          lastAssignment.set(name, e.payload.memberAssignment[topic] ?? []);
          if ([...lastAssignment.values()].filter((a) => a.length === 2).length === 2) resolve();
        });
      }
    });
    const total = () => [...seen.values()].reduce((n, l) => n + l.length, 0);
    let allDone!: () => void;
    const done = new Promise<void>((r) => (allDone = r));
    for (const { name, c } of members) {
      void c.run({
        autoCommit: true,
        eachMessage: async ({ partition, message }) => {
          seen.get(name)!.push(message.value!.toString());
          partitionsOf.get(name)!.add(partition);
          if (total() >= 80) allDone();
        },
      });
    }
    await bothAssigned;
    // More data after the group is stable: both members must take part.
    await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ value: String(40 + i), partition: i % 4 })) });
    await done;
    await producer.disconnect();
    await Promise.all(members.map(({ c }) => c.disconnect()));
    const all = [...seen.values()].flat();
    expect(new Set(all).size).toBe(80);
    const p1 = partitionsOf.get('m1')!;
    const p2 = partitionsOf.get('m2')!;
    expect(p1.size).toBeGreaterThan(0);
    expect(p2.size).toBeGreaterThan(0);
    // The final generation split the four partitions between the two members.
    expect([...lastAssignment.get('m1')!, ...lastAssignment.get('m2')!].sort()).toEqual([0, 1, 2, 3]);
    // Offsets were committed for every partition.
    const admin2 = kafka.admin();
    await admin2.connect();
    const committed = await admin2.fetchOffsets({ groupId: 'kj-group-g', topics: [topic] });
    expect(committed[0].partitions.map((p) => Number(p.offset)).reduce((a, b) => a + b, 0)).toBe(80);
    await admin2.disconnect();
  });

  it('answers ListOffsets for earliest, latest and timestamps', async () => {
    const topic = 'kj-offsets';
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [1000, 2000, 3000].map((t) => ({ value: String(t), timestamp: String(t) })) });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    expect((await admin.fetchTopicOffsets(topic)).map((o) => [o.low, o.high])).toEqual([['0', '3']]);
    expect((await admin.fetchTopicOffsetsByTimestamp(topic, 1500)).map((o) => o.offset)).toEqual(['1']);
    expect((await admin.fetchTopicOffsetsByTimestamp(topic, 3000)).map((o) => o.offset)).toEqual(['2']);
    await admin.disconnect();
  });

  it('long-polls a fetch until data arrives, then answers at once', async () => {
    const topic = 'kj-longpoll';
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'first' }] });
    const consumer = kafka.consumer({ groupId: 'kj-longpoll-g', maxWaitTimeInMs: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const arrivals: { value: string; at: number }[] = [];
    let second!: () => void;
    const gotSecond = new Promise<void>((r) => (second = r));
    void consumer.run({
      eachMessage: async ({ message }) => {
        arrivals.push({ value: message.value!.toString(), at: Date.now() });
        if (arrivals.length === 2) second();
      },
    });
    while (arrivals.length < 1) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300)); // the consumer is now parked in a 10 s fetch
    const sentAt = Date.now();
    await producer.send({ topic, messages: [{ value: 'second' }] });
    await gotSecond;
    expect(arrivals[1].value).toBe('second');
    expect(arrivals[1].at - sentAt).toBeLessThan(2000);
    await consumer.disconnect();
    await producer.disconnect();
  });

  it('sends no response to acks=0 produces and keeps the connection in step', async () => {
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'kj-acks0', acks: 0, messages: [{ value: `fire-${i}` }] });
    await producer.send({ topic: 'kj-acks0', acks: -1, messages: [{ value: 'acked' }] });
    await producer.disconnect();
    expect(broker.records('kj-acks0', 0).map((r) => r.value!.toString())).toEqual(['fire-0', 'fire-1', 'fire-2', 'fire-3', 'fire-4', 'acked']);
  });

  it('stores gzip batches and idempotent producers without duplicates', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: 'kj-gzip', compression: CompressionTypes.GZIP, messages: Array.from({ length: 50 }, (_, i) => ({ key: String(i), value: 'x'.repeat(100) })) });
    await producer.send({ topic: 'kj-gzip', messages: [{ value: 'plain' }] });
    await producer.disconnect();
    const records = broker.records('kj-gzip', 0);
    expect(records.length).toBe(51);
    expect(records[49].key!.toString()).toBe('49');
    expect(records[50].offset).toBe(50);
  });
});

describe.skipIf(!hasCommand('kcat'))('kcat (librdkafka)', () => {
  it('lists metadata', async () => {
    broker.createTopic('kc-meta', 3);
    const r = await runKcat(['-b', broker.bootstrap, '-L', '-t', 'kc-meta']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('topic "kc-meta" with 3 partitions');
    expect(r.stdout).toContain(`broker 1 at ${broker.bootstrap}`);
  });

  it('produces with keys and headers; kafkajs reads the same bytes', async () => {
    broker.createTopic('kc-produce', 2);
    const lines = Array.from({ length: 20 }, (_, i) => `key${i}\t{"n":${i},"s":"é ${i}"}`).join('\n');
    const r = await runKcat(['-b', broker.bootstrap, '-P', '-t', 'kc-produce', '-K', '\t', '-H', 'origin=kcat', '-p', '1'], lines + '\n');
    expect(r.code).toBe(0);
    const got = await consumeN(kafka.consumer({ groupId: 'kc-produce-g', maxWaitTimeInMs: 100 }), 'kc-produce', 20);
    got.sort((a, b) => Number(a.message.offset) - Number(b.message.offset));
    got.forEach((g, i) => {
      expect(g.partition).toBe(1);
      expect(g.message.key!.toString()).toBe(`key${i}`);
      expect(g.message.value!.toString()).toBe(`{"n":${i},"s":"é ${i}"}`);
      expect(g.message.headers!.origin!.toString()).toBe('kcat');
    });
  });

  it('consumes what kafkajs produced, byte for byte, from the beginning and from an offset', async () => {
    const topic = 'kc-consume';
    broker.createTopic(topic, 2);
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}:${'ü'.repeat(i)}`, partition: i % 2, timestamp: String(1_600_000_000_000 + i), headers: { h: `x${i}` } }));
    await producer.send({ topic, messages: sent });
    await producer.disconnect();
    const r = await runKcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J']);
    expect(r.code).toBe(0);
    const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(got.length).toBe(10);
    for (const m of got) {
      const i = Number(m.key.slice(1));
      expect(m.partition).toBe(i % 2);
      expect(m.payload).toBe(sent[i].value);
      expect(m.ts).toBe(1_600_000_000_000 + i);
      expect(m.headers).toEqual(['h', `x${i}`]);
    }
    const tail = await runKcat(['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', '3', '-e', '-f', '%o %k\n']);
    expect(tail.stdout.trim().split('\n')).toEqual(['3 k6', '4 k8']);
  });

  it('passes every compression codec through untouched (idempotent librdkafka producer)', async () => {
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      const topic = `kc-${codec}`;
      const lines = Array.from({ length: 200 }, (_, i) => `${codec}-${i}-${'z'.repeat(i % 50)}`);
      const p = await runKcat(['-b', broker.bootstrap, '-P', '-t', topic, '-z', codec, '-X', 'enable.idempotence=true'], lines.join('\n') + '\n');
      expect(p.code).toBe(0);
      const c = await runKcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%s\n']);
      expect(c.stdout.trim().split('\n')).toEqual(lines);
    }
    // kafkajs reads the gzip topic too (it has no built-in snappy/lz4/zstd codecs).
    const got = await consumeN(kafka.consumer({ groupId: 'kc-gzip-g', maxWaitTimeInMs: 100 }), 'kc-gzip', 200);
    expect(got.map((g) => g.message.value!.toString()).slice(0, 2)).toEqual(['gzip-0-', 'gzip-1-z']);
  });

  it('delivers binary keys and values byte for byte (kafkajs → kcat)', async () => {
    const topic = 'kc-binary';
    const rng = new Prng(7);
    const sent = Array.from({ length: 40 }, (_, i) => ({ key: rng.bytes(i % 9), value: rng.bytes(i * 37) }));
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: sent });
    await producer.disconnect();
    // %K/%S are the key and value sizes, so the binary output can be split exactly.
    const r = await runKcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%K %S %k%s']);
    const got: { key: Buffer; value: Buffer }[] = [];
    let at = 0;
    while (at < r.raw.length) {
      const sp1 = r.raw.indexOf(0x20, at);
      const sp2 = r.raw.indexOf(0x20, sp1 + 1);
      const klen = Number(r.raw.subarray(at, sp1).toString());
      const vlen = Number(r.raw.subarray(sp1 + 1, sp2).toString());
      const key = r.raw.subarray(sp2 + 1, sp2 + 1 + Math.max(klen, 0));
      const value = r.raw.subarray(sp2 + 1 + Math.max(klen, 0), sp2 + 1 + Math.max(klen, 0) + vlen);
      got.push({ key, value });
      at = sp2 + 1 + Math.max(klen, 0) + vlen;
    }
    expect(got.length).toBe(40);
    got.forEach((g, i) => {
      expect(g.key.equals(sent[i].key)).toBe(true);
      expect(g.value.equals(sent[i].value)).toBe(true);
    });
  });

  it('consumes in a balanced consumer group (-G)', async () => {
    broker.createTopic('kc-group', 2);
    await runKcat(['-b', broker.bootstrap, '-P', '-t', 'kc-group', '-p', '0'], 'a\nb\n');
    await runKcat(['-b', broker.bootstrap, '-P', '-t', 'kc-group', '-p', '1'], 'c\n');
    const r = await runKcat(['-b', broker.bootstrap, '-G', 'kc-group-g', '-X', 'auto.offset.reset=earliest', '-e', '-f', '%s\n', 'kc-group']);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('robustness', () => {
  function rawSend(bytes: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      const s = connect(broker.port, '127.0.0.1');
      const got: Buffer[] = [];
      s.on('data', (b) => got.push(b));
      s.on('close', () => resolve(Buffer.concat(got)));
      s.on('error', () => {});
      s.write(bytes);
      setTimeout(() => s.destroy(), 300);
    });
  }

  function request(apiKey: number, version: number, body: Buffer): Buffer {
    const w = new Writer();
    w.int32(0).int16(apiKey).int16(version).int32(7).string('raw').raw(body);
    const out = Buffer.from(w.finish());
    out.writeInt32BE(out.length - 4, 0);
    return out;
  }

  it('survives garbage, bogus sizes, truncated bodies, unknown APIs and corrupt batches', async () => {
    await rawSend(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    await rawSend(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    await rawSend(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await rawSend(request(3, 5, Buffer.from([0, 0, 0, 9]))); // Metadata claiming 9 topics, none there
    await rawSend(request(999, 0, Buffer.alloc(0)));
    await rawSend(request(1, 99, Buffer.alloc(0)));
    // A Produce whose batch has a wrong CRC: the partition gets CORRUPT_MESSAGE, nothing is stored.
    broker.createTopic('rb-corrupt', 1);
    const batch = encodeRecordBatch([{ value: 'x' }]);
    batch[batch.length - 1] ^= 0xff;
    const body = new Writer().string(null).int16(1).int32(1000).array(['rb-corrupt'], (w, t) => {
      w.string(t).array([0], (pw) => pw.int32(0).bytes(batch));
    });
    const resp = await rawSend(request(0, 7, body.finish()));
    expect(resp.readInt32BE(4)).toBe(7); // correlation id
    // responses[0].partitions[0].error_code: after size, corr, array len, topic name, array len, index
    const errorAt = 4 + 4 + 4 + 2 + 'rb-corrupt'.length + 4 + 4;
    expect(resp.readInt16BE(errorAt)).toBe(2);
    expect(broker.endOffsets('rb-corrupt')).toEqual([0]);
    // ApiVersions from the future gets a v0 answer with UNSUPPORTED_VERSION.
    const av = await rawSend(request(18, 9, Buffer.alloc(0)));
    expect(av.readInt16BE(8)).toBe(35);

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'rb-after', messages: [{ value: 'still alive' }] });
    await producer.disconnect();
    expect(broker.records('rb-after', 0)[0].value!.toString()).toBe('still alive');
    expect(broker.logLines.some((l) => l.includes('invalid frame size'))).toBe(true);
  });

  it('keeps serving after a burst of random frames', async () => {
    const rng = new Prng(42);
    const frames = Array.from({ length: 200 }, () => {
      const key = rng.pick([0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 18, 19, 20, 22, rng.int(0, 100)]);
      return request(key, rng.int(0, 12), rng.bytes(rng.int(0, 64)));
    });
    for (let i = 0; i < frames.length; i += 25) await Promise.all(frames.slice(i, i + 25).map(rawSend));
    const admin = kafka.admin();
    await admin.connect();
    expect((await admin.fetchTopicMetadata({ topics: ['rb-after'] })).topics[0].name).toBe('rb-after');
    await admin.disconnect();
  }, 60_000);

  it('simulates an outage: stop refuses connections, start serves the same data on the same port', async () => {
    const topic = 'rb-outage';
    const producer = kafka.producer({ retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 500 } });
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'before' }] });
    const port = broker.port;
    await broker.stop();
    expect(broker.running).toBe(false);
    const pending = producer.send({ topic, messages: [{ value: 'during' }] });
    await new Promise((r) => setTimeout(r, 400));
    await broker.start();
    expect(broker.port).toBe(port);
    await pending;
    await producer.disconnect();
    expect(broker.records(topic, 0).map((r) => r.value!.toString())).toEqual(['before', 'during']);
  });
});
