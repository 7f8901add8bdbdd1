/**
 * Everything the broker knows, independent of sockets: topics and their partition logs,
 * the group coordinator, producer ids, and append notifications for long-polling fetches.
 * It survives `stop()`/`start()` of the listener, as a broker's disk survives a restart.
 */
import { GroupCoordinator } from './group-coordinator';
import { PartitionLog } from './partition-log';
import { ErrorCode } from './protocol/constants';

export interface BrokerConfig {
  host: string;
  port: number;
  nodeId: number;
  clusterId: string;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  /** SASL/PLAIN users (name → password); when set, every connection must authenticate. */
  saslUsers: ReadonlyMap<string, string> | undefined;
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export class BrokerState {
  readonly topics = new Map<string, PartitionLog[]>();
  readonly coordinator: GroupCoordinator;
  private nextProducerId = 1000;
  private readonly appendListeners = new Set<() => void>();
  /** True while the listener is stopped: parked fetches return at once. */
  closed = false;

  constructor(readonly config: BrokerConfig, initialRebalanceDelayMs: number) {
    this.coordinator = new GroupCoordinator({ initialRebalanceDelayMs });
  }

  createTopic(name: string, partitions: number): number {
    if (!LEGAL_TOPIC.test(name) || name === '.' || name === '..') return ErrorCode.INVALID_TOPIC_EXCEPTION;
    if (this.topics.has(name)) return ErrorCode.TOPIC_ALREADY_EXISTS;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10_000) return ErrorCode.INVALID_PARTITIONS;
    this.topics.set(name, Array.from({ length: partitions }, () => new PartitionLog()));
    return ErrorCode.NONE;
  }

  deleteTopic(name: string): number {
    return this.topics.delete(name) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  }

  /** The topic, auto-created with the default partition count when the broker allows it. */
  topicFor(name: string, autoCreate: boolean): PartitionLog[] | undefined {
    const t = this.topics.get(name);
    if (t || !autoCreate || !this.config.autoCreateTopics) return t;
    return this.createTopic(name, this.config.defaultPartitions) === ErrorCode.NONE ? this.topics.get(name) : undefined;
  }

  partition(topic: string, p: number): PartitionLog | undefined {
    return this.topics.get(topic)?.[p];
  }

  allocateProducerId(): number {
    return this.nextProducerId++;
  }

  /** Registers a callback for appends (and for shutdown); returns the unsubscribe function. */
  onAppend(cb: () => void): () => void {
    this.appendListeners.add(cb);
    return () => this.appendListeners.delete(cb);
  }

  notifyAppend(): void {
    for (const cb of [...this.appendListeners]) cb();
  }
}
