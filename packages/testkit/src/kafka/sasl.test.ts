/** A broker that requires SASL/PLAIN, as a SASL_PLAINTEXT listener does. */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand } from '../provision';
import { startKafkaBroker, type KafkaTestBroker } from './broker';
import { runKcat } from './kcat';

let broker: KafkaTestBroker;
beforeAll(async () => {
  broker = await startKafkaBroker({ saslUsers: { alice: 's3cret' } });
});
afterAll(async () => {
  await broker.close();
});

const client = (password: string) =>
  new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, sasl: { mechanism: 'plain', username: 'alice', password }, retry: { retries: 0 } });

describe('SASL/PLAIN', () => {
  it('serves an authenticated kafkajs client and refuses a wrong password', async () => {
    const producer = client('s3cret').producer();
    await producer.connect();
    await producer.send({ topic: 'secure', messages: [{ value: 'hi' }] });
    await producer.disconnect();
    expect(broker.records('secure', 0).map((r) => r.value!.toString())).toEqual(['hi']);
    await expect(client('wrong').producer().connect()).rejects.toThrow(/SASL|Authentication/i);
  });

  it('closes connections that skip authentication', async () => {
    const plain = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await expect(plain.connect().then(() => plain.fetchTopicMetadata({ topics: ['secure'] }))).rejects.toThrow();
    await plain.disconnect();
    expect(broker.logLines.some((l) => l.includes('before SASL authentication'))).toBe(true);
  });

  it.skipIf(!hasCommand('kcat'))('serves kcat with security.protocol=SASL_PLAINTEXT', async () => {
    const sasl = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=alice', '-X', 'sasl.password=s3cret'];
    expect((await runKcat(['-b', broker.bootstrap, ...sasl, '-P', '-t', 'secure'], 'from-kcat\n')).code).toBe(0);
    const c = await runKcat(['-b', broker.bootstrap, ...sasl, '-C', '-t', 'secure', '-o', 'beginning', '-e', '-f', '%s\n']);
    expect(c.stdout.trim().split('\n')).toEqual(['hi', 'from-kcat']);
  });
});
