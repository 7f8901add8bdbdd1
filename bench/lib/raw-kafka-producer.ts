/**
 * A lean Kafka producer for the benchmarks' background loads: Produce v3 requests, one
 * uncompressed record batch (magic v2) per partition, pipelined on one connection, acks as
 * asked. kafkajs spent about 9 µs of CPU per message producing 50,000 messages/s — close to
 * half of this 2-core machine, taken from the server under test, where a real deployment's
 * producers run elsewhere. This is what kafka-producer-perf-test is to Kafka: a load
 * generator, not a client for users. No metadata lookups (the testkit broker leads every
 * partition; a NOT_LEADER error fails the request), no retries, no compression.
 */
import { type Socket, connect } from 'node:net';
import { encodeRecordBatch } from '../../packages/testkit/src/kafka/protocol/record-batch';
import { Reader } from '../../packages/testkit/src/kafka/protocol/reader';
import { Writer } from '../../packages/testkit/src/kafka/protocol/writer';

const PRODUCE = 0;
const PRODUCE_VERSION = 3;
const CLIENT_ID = 'freshet-bench-raw';
/** Broker-side wait for acks = all before it answers with an error, ms. */
const ACK_TIMEOUT_MS = 30_000;

export interface RawMessage {
  value: string;
  partition: number;
}

interface Pending {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class RawKafkaProducer {
  private correlation = 0;
  private readonly pending = new Map<number, Pending>();
  private buffered: Buffer = Buffer.alloc(0);
  private failed: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (e: Error) => {
      this.failed ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('kafka connection closed')));
  }

  static connect(bootstrap: string): Promise<RawKafkaProducer> {
    const [host, port] = splitHostPort(bootstrap);
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true }, () => {
        socket.off('error', reject);
        resolve(new RawKafkaProducer(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Produces `messages` to `topic` (one batch per partition); resolves once the broker acknowledged all. */
  send(req: { topic: string; acks: -1 | 1; messages: readonly RawMessage[] }): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const byPartition = new Map<number, { value: string }[]>();
    for (const m of req.messages) {
      let list = byPartition.get(m.partition);
      if (!list) byPartition.set(m.partition, (list = []));
      list.push({ value: m.value });
    }
    const now = Date.now();
    const id = ++this.correlation;
    const w = new Writer(64 + req.messages.length * 128);
    w.int32(0).int16(PRODUCE).int16(PRODUCE_VERSION).int32(id).string(CLIENT_ID);
    w.string(null).int16(req.acks).int32(ACK_TIMEOUT_MS);
    w.int32(1).string(req.topic).int32(byPartition.size);
    for (const [partition, records] of byPartition) {
      const batch = encodeRecordBatch(records, { now });
      w.int32(partition).int32(batch.length).raw(batch);
    }
    const frame = Buffer.from(w.finish());
    frame.writeInt32BE(frame.length - 4, 0);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(frame);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const body = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      this.onResponse(new Reader(body));
    }
  }

  /** Produce v3 response: correlation id, [topic [partition, error, base offset, log append time]], throttle. */
  private onResponse(r: Reader): void {
    const id = r.int32();
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    let error = 0;
    const topics = r.int32();
    for (let t = 0; t < topics; t++) {
      r.string();
      const partitions = r.int32();
      for (let i = 0; i < partitions; i++) {
        r.int32();
        const code = r.int16();
        r.bytesRaw(16); // base offset, log append time
        if (code !== 0) error = code;
      }
    }
    if (error !== 0) p.reject(new Error(`produce failed with Kafka error code ${error}`));
    else p.resolve();
  }
}

function splitHostPort(bootstrap: string): [string, number] {
  const at = bootstrap.lastIndexOf(':');
  return [bootstrap.slice(0, at), Number(bootstrap.slice(at + 1))];
}
