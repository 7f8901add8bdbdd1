/**
 * The Kafka-protocol test broker (DESIGN §6): a single-node "cluster" on a loopback port
 * that real clients (kafkajs, librdkafka/kcat) produce to and consume from. State lives in
 * memory and survives `stop()`/`start()`, which is how tests simulate a broker outage.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { BrokerState } from './broker-state';
import { Connection } from './connection';
import { decodeRecords, type DecodedRecord } from './protocol/record-batch';

export interface KafkaBrokerOptions {
  /** 0 (default) lets the OS pick; the port is kept across stop()/start(). */
  port?: number;
  host?: string;
  nodeId?: number;
  autoCreateTopics?: boolean;
  /** Partitions of an auto-created topic (Kafka's num.partitions). */
  defaultPartitions?: number;
  /** Kafka's group.initial.rebalance.delay.ms (3000 there; short here for fast tests). */
  initialRebalanceDelayMs?: number;
  maxFrameBytes?: number;
  /** Require SASL/PLAIN with these users (name → password), like a SASL_PLAINTEXT listener. */
  saslUsers?: Record<string, string>;
  /** Where protocol problems are reported (default: kept in `broker.logLines`). */
  log?: (line: string) => void;
}

export class KafkaTestBroker {
  readonly state: BrokerState;
  readonly logLines: string[] = [];
  private server: Server | undefined;
  private readonly connections = new Set<Connection>();
  private readonly sockets = new Set<Socket>();
  private readonly log: (line: string) => void;

  private constructor(private readonly opts: KafkaBrokerOptions) {
    this.log = opts.log ?? ((line) => this.logLines.push(line));
    this.state = new BrokerState(
      {
        host: opts.host ?? '127.0.0.1',
        port: opts.port ?? 0,
        nodeId: opts.nodeId ?? 1,
        clusterId: 'freshet-test-cluster',
        autoCreateTopics: opts.autoCreateTopics ?? true,
        defaultPartitions: opts.defaultPartitions ?? 1,
        saslUsers: opts.saslUsers ? new Map(Object.entries(opts.saslUsers)) : undefined,
      },
      opts.initialRebalanceDelayMs ?? 100,
    );
  }

  static async start(opts: KafkaBrokerOptions = {}): Promise<KafkaTestBroker> {
    const broker = new KafkaTestBroker(opts);
    await broker.start();
    return broker;
  }

  get port(): number {
    return this.state.config.port;
  }

  /** `host:port`, the value for `properties.bootstrap.server` / kafkajs `brokers`. */
  get bootstrap(): string {
    return `${this.state.config.host}:${this.port}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Starts listening (again), on the same port as before if it was started already. */
  async start(): Promise<void> {
    if (this.server) return;
    this.state.closed = false;
    const server = createServer((socket) => {
      this.sockets.add(socket);
      const conn = new Connection(socket, this.state, this.opts.maxFrameBytes ?? 100 * 1024 * 1024, this.log);
      this.connections.add(conn);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.connections.delete(conn);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.state.config.port, this.state.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    if (typeof addr === 'object' && addr) this.state.config.port = addr.port;
    this.server = server;
  }

  /** Simulates an outage: refuses connections and drops every open one; data is kept. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.state.closed = true;
    this.state.notifyAppend(); // release parked fetches
    this.state.coordinator.resetMembership();
    for (const c of this.connections) c.close();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Stops for good (timers included). */
  async close(): Promise<void> {
    await this.stop();
    this.state.coordinator.close();
  }

  createTopic(name: string, partitions = 1): void {
    const error = this.state.createTopic(name, partitions);
    if (error !== 0) throw new Error(`cannot create topic ${name}: Kafka error ${error}`);
  }

  /** Next offset per partition (the high watermarks). */
  endOffsets(topic: string): number[] {
    return (this.state.topics.get(topic) ?? []).map((p) => p.highWatermark);
  }

  /** Every record of one partition, decoded (tests inspect what producers wrote). */
  records(topic: string, partition: number): DecodedRecord[] {
    const log = this.state.partition(topic, partition);
    if (!log) return [];
    return log.read(0, Number.MAX_SAFE_INTEGER).flatMap((b) => decodeRecords(b));
  }
}

export function startKafkaBroker(opts: KafkaBrokerOptions = {}): Promise<KafkaTestBroker> {
  return KafkaTestBroker.start(opts);
}
