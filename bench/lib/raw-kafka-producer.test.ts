import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaTestBroker, startKafkaBroker } from '@freshet/testkit';
import { RawKafkaProducer } from './raw-kafka-producer';

describe('RawKafkaProducer (the benchmarks\' background load)', () => {
  let broker: KafkaTestBroker;
  beforeAll(async () => {
    broker = await startKafkaBroker();
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('produces what a Kafka consumer reads back, per partition in order, and pipelines requests', async () => {
    broker.createTopic('raw', 3);
    const p = await RawKafkaProducer.connect(broker.bootstrap);
    const sent = Array.from({ length: 300 }, (_, i) => ({ value: `{"i":${i},"s":"é"}`, partition: i % 3 }));
    await Promise.all([p.send({ topic: 'raw', acks: -1, messages: sent.slice(0, 150) }), p.send({ topic: 'raw', acks: -1, messages: sent.slice(150) })]);
    await expect(p.send({ topic: 'raw', acks: -1, messages: [{ value: 'x', partition: 99 }] })).rejects.toThrow(/error code 3/);
    await p.close();

    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'raw-check' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'raw', fromBeginning: true });
    const got = new Map<number, string[]>();
    let n = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          got.set(partition, [...(got.get(partition) ?? []), message.value!.toString('utf8')]);
          if (++n === sent.length) resolve();
        },
      });
    });
    await done;
    await consumer.disconnect();
    for (let part = 0; part < 3; part++) expect(got.get(part)).toEqual(sent.filter((m) => m.partition === part).map((m) => m.value));
  });
});
