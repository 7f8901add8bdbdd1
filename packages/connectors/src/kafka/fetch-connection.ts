/**
 * One connection to a partition leader that speaks Kafka's Fetch request (v4: record
 * batches, isolation level, aborted transactions; served by every broker from 0.11 to 4.x)
 * and decodes the answer with record-batch.ts, without kafkajs's per-record objects.
 * Everything else a source needs — metadata, leaders, offsets, SASL — stays with kafkajs
 * (reader.ts): this is only the hot path.
 *
 * One request in flight at a time (the reader sends the next fetch once it has the
 * answer). A socket error, a timeout or a malformed frame fails the pending request and
 * closes the connection; the reader then starts a new session.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { SourceMessage } from '../format/types';
import { type AbortedTransaction, AbortTracker, decodeRecordSet } from './record-batch';

const FETCH = 1;
const FETCH_VERSION = 4;

export interface FetchConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  /** TLS (security.protocol = SSL): kafkajs's `ssl` setting, `true` or tls options. */
  readonly ssl?: boolean | ConnectionOptions;
  readonly connectTimeoutMs?: number;
  /** A response later than the fetch's max wait plus this fails the connection. */
  readonly requestTimeoutMs?: number;
}

export interface FetchSettings {
  readonly topic: string;
  readonly maxWaitMs: number;
  readonly maxBytes: number;
  readonly maxBytesPerPartition: number;
  readonly readCommitted: boolean;
}

/** One partition's part of a fetch answer; its messages were appended to the caller's array. */
export interface PartitionFetch {
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  /** Messages appended (CorruptBatch stand-ins included). */
  readonly count: number;
  /** CorruptBatch stand-ins among them (record-batch.ts). */
  readonly corrupt: number;
  /** Where the next fetch of this partition starts. */
  readonly nextOffset: number;
}

/** Kafka error codes the reader acts on. */
export const KafkaErrorCode = { NONE: 0, OFFSET_OUT_OF_RANGE: 1 } as const;

export class KafkaFetchConnection {
  private socket: Socket | undefined;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private correlationId = 0;
  private pending: { id: number; resolve: (b: Buffer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private failure: Error | null = null;
  private readonly clientId: Buffer;
  /** Per partition, transactions in progress that were aborted (read_committed). */
  private readonly aborts = new Map<number, AbortTracker>();

  constructor(private readonly opts: FetchConnectionOptions) {
    this.clientId = Buffer.from(opts.clientId, 'utf8');
  }

  async connect(): Promise<void> {
    const { host, port, ssl } = this.opts;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`Kafka broker ${host}:${port}: connection timed out`));
      }, this.opts.connectTimeoutMs ?? 10_000);
      const done = (e?: Error) => {
        clearTimeout(timer);
        if (e) reject(e);
        else resolve();
      };
      const socket: Socket = ssl ? tlsConnect({ host, port, servername: host, ...(ssl === true ? {} : ssl) }, () => done()) : netConnect({ host, port }, () => done());
      socket.setNoDelay(true);
      socket.once('error', (e) => done(e));
      this.socket = socket;
    });
    const socket = this.socket!;
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error(`Kafka broker ${host}:${port} closed the connection`)));
  }

  close(): void {
    this.fail(new Error('fetch connection closed'));
  }

  /**
   * One Fetch of `partitions` (partition → offset): messages at or after each offset are
   * appended to `out` in offset order per partition.
   */
  async fetch(s: FetchSettings, partitions: ReadonlyMap<number, number>, out: SourceMessage[]): Promise<PartitionFetch[]> {
    const body = this.fetchRequest(s, partitions);
    const response = await this.request(body, s.maxWaitMs + (this.opts.requestTimeoutMs ?? 30_000));
    return this.decodeFetch(response, s, partitions, out);
  }

  private fetchRequest(s: FetchSettings, partitions: ReadonlyMap<number, number>): Buffer {
    const topic = Buffer.from(s.topic, 'utf8');
    const size = 4 + 2 + 2 + 4 + 2 + this.clientId.length + 4 + 4 + 4 + 4 + 1 + 4 + 2 + topic.length + 4 + partitions.size * 16;
    const b = Buffer.allocUnsafe(size);
    let p = b.writeInt32BE(size - 4, 0);
    p = b.writeInt16BE(FETCH, p);
    p = b.writeInt16BE(FETCH_VERSION, p);
    p = b.writeInt32BE(++this.correlationId & 0x7fffffff, p);
    p = b.writeInt16BE(this.clientId.length, p);
    p += this.clientId.copy(b, p);
    p = b.writeInt32BE(-1, p); // replica_id: a consumer
    p = b.writeInt32BE(s.maxWaitMs, p);
    p = b.writeInt32BE(1, p); // min_bytes: answer as soon as anything is there
    p = b.writeInt32BE(s.maxBytes, p);
    p = b.writeInt8(s.readCommitted ? 1 : 0, p);
    p = b.writeInt32BE(1, p);
    p = b.writeInt16BE(topic.length, p);
    p += topic.copy(b, p);
    p = b.writeInt32BE(partitions.size, p);
    for (const [partition, offset] of partitions) {
      p = b.writeInt32BE(partition, p);
      p = b.writeBigInt64BE(BigInt(offset), p);
      p = b.writeInt32BE(s.maxBytesPerPartition, p);
    }
    return b;
  }

  private decodeFetch(b: Buffer, s: FetchSettings, partitions: ReadonlyMap<number, number>, out: SourceMessage[]): PartitionFetch[] {
    const result: PartitionFetch[] = [];
    let p = 4; // throttle_time_ms
    const topics = b.readInt32BE(p);
    p += 4;
    for (let t = 0; t < topics; t++) {
      const nameLen = b.readInt16BE(p);
      p += 2 + nameLen;
      const count = b.readInt32BE(p);
      p += 4;
      for (let i = 0; i < count; i++) {
        const partition = b.readInt32BE(p);
        const errorCode = b.readInt16BE(p + 4);
        const highWatermark = Number(b.readBigInt64BE(p + 6));
        p += 22; // partition, error_code, high_watermark, last_stable_offset
        const abortedCount = b.readInt32BE(p);
        p += 4;
        let aborted: AbortedTransaction[] | null = null;
        for (let a = 0; a < abortedCount; a++) {
          (aborted ??= []).push({ producerId: b.readBigInt64BE(p), firstOffset: Number(b.readBigInt64BE(p + 8)) });
          p += 16;
        }
        const size = b.readInt32BE(p);
        p += 4;
        const from = partitions.get(partition);
        if (from === undefined || errorCode !== KafkaErrorCode.NONE) {
          result.push({ partition, errorCode, highWatermark, count: 0, corrupt: 0, nextOffset: from ?? 0 });
          if (size > 0) p += size;
          continue;
        }
        let tracker: AbortTracker | null = null;
        if (s.readCommitted) {
          tracker = this.aborts.get(partition) ?? null;
          if (aborted !== null) {
            if (tracker === null) this.aborts.set(partition, (tracker = new AbortTracker()));
            tracker.add(aborted);
          }
        }
        const end = p + Math.max(size, 0);
        if (end > b.length) throw new Error('malformed Kafka fetch response: record set past the end');
        const decoded = size > 0 ? decodeRecordSet(b, p, end, partition, from, out, tracker) : { count: 0, corrupt: 0, nextOffset: from };
        if (tracker !== null && tracker.empty) this.aborts.delete(partition);
        result.push({ partition, errorCode, highWatermark, count: decoded.count, corrupt: decoded.corrupt, nextOffset: decoded.nextOffset });
        p = end;
      }
    }
    return result;
  }

  private request(frame: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('a Kafka fetch is already in flight on this connection'));
    const id = this.correlationId & 0x7fffffff;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`Kafka broker ${this.opts.host}:${this.opts.port}: fetch timed out after ${timeoutMs} ms`)), timeoutMs);
      this.pending = { id, resolve, reject, timer };
      this.socket!.write(frame);
    });
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= 4) {
      const head = this.chunks[0].length >= 4 ? this.chunks[0] : Buffer.concat(this.chunks);
      const size = head.readInt32BE(0);
      if (size < 4) return this.fail(new Error('malformed Kafka response frame'));
      if (this.buffered < 4 + size) return;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      const pending = this.pending;
      const correlation = frame.readInt32BE(0);
      if (!pending || pending.id !== correlation) return this.fail(new Error(`Kafka response for an unknown request (correlation id ${correlation})`));
      this.pending = null;
      clearTimeout(pending.timer);
      pending.resolve(frame.subarray(4));
    }
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    const pending = this.pending;
    this.pending = null;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(this.failure);
    }
    this.socket?.destroy();
  }
}
