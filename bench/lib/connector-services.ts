/**
 * The external services of the connectors scenario, each in its own process so that the
 * benchmark client's event loop never slows them down: the Kafka-protocol test broker
 * (testkit's CLI, a child `node` process) and Redis (testkit's `startRedis`). Both are
 * stopped by the PID we started, never by name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export interface BrokerProcess {
  /** `host:port` for `properties.bootstrap.server` and kafkajs. */
  bootstrap: string;
  pid: number | null;
  stop(): Promise<void>;
}

/**
 * Starts `packages/testkit/src/kafka/cli.ts` on an ephemeral port and waits for `listening
 * HOST:PORT`. With `profileDir`, the broker writes a V8 CPU profile there when it stops.
 */
export async function startBrokerProcess(repoRoot: string, partitions: number, profileDir?: string): Promise<BrokerProcess> {
  const cli = join(repoRoot, 'packages/testkit/src/kafka/cli.ts');
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', join(profileDir, 'broker')] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', cli, '--port', '0', '--partitions', String(partitions)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  let output = '';
  const bootstrap = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Kafka test broker did not start within 60 s:\n${output}`)), 60_000);
    child.stdout!.on('data', (b: Buffer) => {
      output += b;
      const m = /listening (\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (b: Buffer) => (output = `${output}${b}`.slice(-4000)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Kafka test broker exited with ${code}:\n${output}`));
    });
  });
  return {
    bootstrap,
    pid: child.pid ?? null,
    async stop() {
      process.off('exit', kill);
      if (child.exitCode !== null) return;
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    },
  };
}

export function kafkaClient(bootstrap: string): Kafka {
  return new Kafka({ brokers: [bootstrap], clientId: 'freshet-bench', logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
}

export async function createTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export async function openProducer(kafka: Kafka): Promise<Producer> {
  const p = kafka.producer({ allowAutoTopicCreation: false });
  await p.connect();
  return p;
}

/**
 * Produces messages [0, n) of `valueOf` to `topic`, message i to partition i mod
 * `partitions`, as requests of `perRequest` messages with up to `inFlight` outstanding.
 */
export async function produceRange(
  producer: Producer,
  topic: string,
  partitions: number,
  n: number,
  valueOf: (i: number) => string,
  onProgress?: (done: number) => void,
  perRequest = 10_000,
  inFlight = 4,
): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < n) {
      const from = next;
      const to = Math.min(n, from + perRequest);
      next = to;
      const byPartition: { value: string }[][] = Array.from({ length: partitions }, () => []);
      for (let i = from; i < to; i++) byPartition[i % partitions].push({ value: valueOf(i) });
      await producer.sendBatch({
        acks: -1,
        topicMessages: byPartition.map((messages, partition) => ({ topic, messages: messages.map((m) => ({ ...m, partition })) })).filter((t) => t.messages.length),
      });
      done += to - from;
      onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (performance.now() - t0) / 1000;
}
