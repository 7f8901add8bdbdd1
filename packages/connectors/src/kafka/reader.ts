/**
 * The Kafka source reader: reads every partition of a topic from offsets Freshet owns and
 * hands messages out through a synchronous `poll`, so a barrier-driven source executor can
 * drain it without awaiting per record.
 *
 * Positions: `offsets()` is, per partition, the offset after the last message `poll`
 * returned; a checkpoint stores it and `seek()` (or `initialOffsets`) restores it. Kafka's
 * committed offsets are never used: kafkajs only assigns partitions through a consumer
 * group, so each reader joins a private group, never commits, and on every (re)join seeks
 * each partition to its own position. Messages older than the position (delivered before a
 * seek took effect) are dropped, so nothing is seen twice.
 *
 * Failures: connecting, resolving start offsets and consuming are retried forever with
 * exponential backoff (a broker outage); the reader resumes from the offset after the last
 * message it fetched, keeping what is buffered.
 *
 * Fetching: without SASL the reader fetches itself (fetch-connection.ts: one connection per
 * partition leader, Fetch requests decoded straight into messages by record-batch.ts), as
 * kafkajs's consumer cost several objects and string conversions per record on the engine
 * thread; kafkajs's admin still finds leaders and offsets. With SASL, or FRESHET_KAFKA_FETCH
 * =kafkajs, a kafkajs consumer fetches (it authenticates; the direct path does not).
 *
 * Corrupt record batches (compressed data that does not decompress, records that do not fit
 * their batch) are skipped as malformed messages are: `poll` passes over them, moving the
 * position past them, and hands each to `onCorruptBatch` (counted in `stats.corruptBatches`).
 * Both fetch paths decompress every Kafka codec (compression.ts).
 *
 * Back-pressure: while `maxBuffered` messages wait to be polled, no further fetch is sent
 * (the kafkajs batch handler does not return, heartbeating while it waits); fetching goes
 * on as soon as `poll` has drained half of them. (kafkajs's `pause()` was used before: a
 * paused consumer only looks again after its fetch wait, which cut throughput to a fraction.)
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Batch, Consumer, IHeaders, Kafka } from 'kafkajs';
import { kafkajs } from '../libraries';
import type { MessageHeader, SourceMessage } from '../format/types';
import type { KafkaClientConfig } from './config';
import { registerKafkajsCodecs } from './compression';
import { KafkaErrorCode, KafkaFetchConnection, type FetchConnectionOptions, type FetchSettings } from './fetch-connection';
import { CorruptBatch } from './record-batch';

export interface KafkaReaderOptions {
  /** Start positions (partition → next offset), e.g. from a checkpoint; others follow scan.startup.*. */
  readonly initialOffsets?: Readonly<Record<number, number>>;
  /** Fetching waits above this many unpolled messages (default 50,000). */
  readonly maxBuffered?: number;
  /** Backoff between reconnect attempts: starts at `initialMs`, doubles up to `maxMs`. */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly log?: (line: string) => void;
  /**
   * Who fetches: `direct` (fetch-connection.ts; the default without SASL) or `kafkajs`'s
   * consumer (always with SASL). FRESHET_KAFKA_FETCH=kafkajs sets the default, to compare.
   */
  readonly fetcher?: 'direct' | 'kafkajs';
  /**
   * A record batch that could not be decoded, when `poll` passes over it (its offsets are
   * consumed). Default: a line to `log`.
   */
  readonly onCorruptBatch?: (batch: CorruptBatch) => void;
}

export interface KafkaReaderStats {
  /** Consumer sessions started (1 + reconnects). */
  sessions: number;
  /** Failed connect or consume attempts. */
  failures: number;
  lastError: string | undefined;
  /** Messages waiting to be polled. */
  buffered: number;
  /** Record batches skipped as corrupt (see `onCorruptBatch`). */
  corruptBatches: number;
}

export class KafkaReader {
  private readonly kafka: Kafka;
  private buffer: SourceMessage[] = [];
  private head = 0;
  /** partition → offset after the last polled message. */
  private readonly polled = new Map<number, number>();
  /** partition → offset after the last buffered message (where fetching resumes). */
  private readonly fetched = new Map<number, number>();
  private consumer: Consumer | undefined;
  /** Bumped on seek/restart: batches of an older consumer session are ignored. */
  private generation = 0;
  private closed = false;
  /** Fetch loops waiting for `poll` to drain the buffer (back-pressure). */
  private drained: (() => void)[] = [];
  private stopSession: (() => void) | undefined;
  private readonly maxBuffered: number;
  private assignedWaiters: (() => void)[] = [];
  private assigned = false;
  /** CorruptBatch stand-ins in the buffer: while there are none, `poll` does not look for them. */
  private corruptBuffered = 0;
  readonly stats: KafkaReaderStats = { sessions: 0, failures: 0, lastError: undefined, buffered: 0, corruptBatches: 0 };

  constructor(
    readonly config: KafkaClientConfig,
    private readonly opts: KafkaReaderOptions = {},
  ) {
    this.maxBuffered = opts.maxBuffered ?? 50_000;
    const { Kafka, logLevel } = kafkajs();
    this.kafka = new Kafka({
      ...config.client,
      brokers: config.brokers,
      logLevel: logLevel.NOTHING,
      // Short client-level retries: the reader's own loop owns long outages.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    for (const [p, o] of Object.entries(opts.initialOffsets ?? {})) this.setPosition(Number(p), o);
    void this.run();
  }

  /** Up to `max` buffered messages, in fetch order per partition. Never waits. */
  poll(max: number): SourceMessage[] {
    for (;;) {
      const out = this.take(max);
      if (this.corruptBuffered === 0 || out.length === 0) return out;
      const kept = this.passCorrupt(out);
      if (kept.length > 0) return kept;
    }
  }

  /** `out` without its CorruptBatch stand-ins, each reported. */
  private passCorrupt(out: SourceMessage[]): SourceMessage[] {
    const kept: SourceMessage[] = [];
    for (const m of out) {
      if (!(m instanceof CorruptBatch)) {
        kept.push(m);
        continue;
      }
      this.corruptBuffered--;
      this.stats.corruptBatches++;
      if (this.opts.onCorruptBatch) this.opts.onCorruptBatch(m);
      else this.opts.log?.(`kafka source ${this.config.topic}: skipped ${m.describe()}: ${m.reason}`);
    }
    return kept;
  }

  private take(max: number): SourceMessage[] {
    const n = Math.min(max, this.buffer.length - this.head);
    if (n <= 0) return [];
    const out = this.buffer.slice(this.head, this.head + n);
    this.head += n;
    for (const m of out) this.polled.set(m.partition, m.offset + 1);
    if (this.head > 4096 && this.head * 2 > this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    this.stats.buffered = this.buffer.length - this.head;
    if (this.drained.length > 0 && this.stats.buffered <= this.maxBuffered / 2) this.wakeFetcher();
    return out;
  }

  /** Partition → next offset to read (after the last polled message). */
  offsets(): Record<number, number> {
    return Object.fromEntries(this.polled);
  }

  /** Continues from `offsets` (partitions not named follow scan.startup.*); drops what is buffered. */
  seek(offsets: Readonly<Record<number, number>>): void {
    this.polled.clear();
    this.fetched.clear();
    for (const [p, o] of Object.entries(offsets)) this.setPosition(Number(p), o);
    this.buffer = [];
    this.head = 0;
    this.corruptBuffered = 0;
    this.stats.buffered = 0;
    this.restartSession();
    this.wakeFetcher();
  }

  /** Resolves once the reader has its partitions assigned (first consumer session is live). */
  whenAssigned(): Promise<void> {
    if (this.assigned) return Promise.resolve();
    return new Promise((resolve) => this.assignedWaiters.push(resolve));
  }

  /** The topic's current end offsets (high watermarks), for reading "what is there". */
  async endOffsets(): Promise<Record<number, number>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offs = await admin.fetchTopicOffsets(this.config.topic);
      return Object.fromEntries(offs.map((o) => [o.partition, Number(o.high)]));
    } finally {
      await admin.disconnect();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopSession?.();
    this.wakeFetcher();
    const c = this.consumer;
    this.consumer = undefined;
    await c?.disconnect().catch(() => {});
  }

  private setPosition(partition: number, offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`invalid Kafka offset ${offset} for partition ${partition}`);
    this.polled.set(partition, offset);
    this.fetched.set(partition, offset);
  }

  private restartSession(): void {
    this.generation++;
    this.stopSession?.();
  }

  /** Session loop: one consumer session at a time, restarted with backoff until closed. */
  private async run(): Promise<void> {
    const initial = this.opts.retry?.initialMs ?? 200;
    const max = this.opts.retry?.maxMs ?? 5000;
    let delay = initial;
    while (!this.closed) {
      const started = Date.now();
      try {
        await this.session();
        delay = initial;
        continue; // ended on request (seek): start over at once
      } catch (e) {
        this.stats.failures++;
        this.stats.lastError = (e as Error)?.message ?? String(e);
        this.opts.log?.(`kafka source ${this.config.topic}: ${this.stats.lastError}; retrying in ${delay} ms`);
      }
      if (this.closed) break;
      if (Date.now() - started > 10_000) delay = initial; // a long healthy session resets the backoff
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, max);
    }
  }

  private session(): Promise<void> {
    const fetcher = this.opts.fetcher ?? (process.env.FRESHET_KAFKA_FETCH === 'kafkajs' ? 'kafkajs' : 'direct');
    return this.config.client.sasl || fetcher === 'kafkajs' ? this.consumerSession() : this.directSession();
  }

  /**
   * A session that fetches itself: every partition's leader gets a connection and a fetch
   * loop (one request in flight each). Ends on seek/close (returns) or on any failure
   * (throws: `run` starts a new session after its backoff, from `fetched`). Partitions
   * added to the topic later are picked up by a metadata check every few seconds, which
   * restarts the session.
   */
  private async directSession(): Promise<void> {
    const generation = this.generation;
    await this.resolveStartOffsets();
    if (generation !== this.generation || this.closed) return;
    const topic = this.config.topic;
    const admin = this.kafka.admin();
    const connections: KafkaFetchConnection[] = [];
    let failure: Error | undefined;
    let stop!: () => void;
    const ended = new Promise<void>((resolve) => (stop = resolve));
    const live = () => generation === this.generation && !this.closed && failure === undefined;
    const end = (e?: Error) => {
      if (e && failure === undefined && generation === this.generation && !this.closed) failure = e;
      stop();
      this.wakeFetcher();
      for (const c of connections) c.close();
    };
    this.stopSession = () => end();
    try {
      await admin.connect();
      const leaders = await partitionLeaders(admin, topic);
      if (!live()) return;
      // A partition added since the start offsets were resolved: from its beginning.
      for (const partitions of leaders.values()) for (const p of partitions.partitions) if (!this.fetched.has(p)) this.setPosition(p, 0);
      const { fetch, client } = this.config;
      const settings: FetchSettings = {
        topic,
        maxWaitMs: fetch.maxWaitTimeInMs ?? 500,
        maxBytes: fetch.maxBytes ?? 10 * 1024 * 1024,
        maxBytesPerPartition: fetch.maxBytesPerPartition ?? 1024 * 1024,
        readCommitted: !fetch.readUncommitted,
      };
      for (const broker of leaders.values()) {
        const c = new KafkaFetchConnection({
          host: broker.host,
          port: broker.port,
          clientId: client.clientId ?? 'freshet',
          ssl: client.ssl as FetchConnectionOptions['ssl'],
          connectTimeoutMs: client.connectionTimeout,
          requestTimeoutMs: client.requestTimeout,
        });
        connections.push(c);
        await c.connect();
        if (!live()) return;
      }
      this.stats.sessions++;
      this.assigned = true;
      for (const w of this.assignedWaiters.splice(0)) w();
      let i = 0;
      for (const broker of leaders.values()) {
        const c = connections[i++];
        this.fetchLoop(c, broker.partitions, settings, live, admin).catch((e) => end(e));
      }
      this.watchPartitions(admin, leaders, live, end);
      await ended;
      if (failure) throw failure;
    } finally {
      this.stopSession = undefined;
      end();
      await admin.disconnect().catch(() => {});
    }
  }

  /**
   * Fetches `partitions` from one leader until the session ends, from `fetched` (which a
   * seek resets: the loop then ends before writing), appending to the buffer.
   */
  private async fetchLoop(
    c: KafkaFetchConnection,
    partitions: readonly number[],
    settings: FetchSettings,
    live: () => boolean,
    admin: Admin,
  ): Promise<void> {
    const positions = new Map<number, number>();
    const got: SourceMessage[] = [];
    while (live()) {
      if (this.stats.buffered >= this.maxBuffered) {
        await this.untilDrained(1000);
        continue;
      }
      positions.clear();
      for (const p of partitions) positions.set(p, this.fetched.get(p)!);
      got.length = 0;
      const results = await c.fetch(settings, positions, got);
      if (!live()) return; // a seek or close came meanwhile: these are not wanted
      const buffer = this.buffer;
      for (let i = 0; i < got.length; i++) buffer.push(got[i]);
      for (const r of results) this.corruptBuffered += r.corrupt; // counted with the push: poll must take them out
      for (const r of results) {
        if (r.errorCode === KafkaErrorCode.OFFSET_OUT_OF_RANGE) {
          // As kafkajs's consumer (fromBeginning): continue from the earliest offset there is.
          const low = (await admin.fetchTopicOffsets(settings.topic)).find((o) => o.partition === r.partition);
          const at = Number(low?.low ?? 0);
          this.opts.log?.(`kafka source ${settings.topic}: offset ${this.fetched.get(r.partition)} of partition ${r.partition} is out of range; continuing at ${at}`);
          this.fetched.set(r.partition, at);
          continue;
        }
        if (r.errorCode !== KafkaErrorCode.NONE) throw new Error(`Kafka fetch of ${settings.topic} partition ${r.partition} failed with error code ${r.errorCode}`);
        this.fetched.set(r.partition, r.nextOffset);
      }
      this.stats.buffered = this.buffer.length - this.head;
    }
  }

  /** Ends the session when the topic's partitions change (new ones are then read too). */
  private watchPartitions(admin: Admin, leaders: Map<number, { partitions: number[] }>, live: () => boolean, end: (e?: Error) => void): void {
    const known = partitionIds(leaders);
    const check = async () => {
      if (!live()) return;
      try {
        const now = await partitionLeaders(admin, this.config.topic);
        if (!live()) return;
        if (partitionIds(now) !== known) return end(new Error(`partitions of ${this.config.topic} changed`));
      } catch (e) {
        return end(e as Error);
      }
      setTimeout(check, PARTITION_CHECK_MS).unref();
    };
    setTimeout(check, PARTITION_CHECK_MS).unref();
  }

  private async consumerSession(): Promise<void> {
    const generation = this.generation;
    await this.resolveStartOffsets();
    if (generation !== this.generation || this.closed) return; // a seek arrived meanwhile
    registerKafkajsCodecs();
    const { fetch } = this.config;
    const consumer = this.kafka.consumer({
      groupId: `${this.config.groupPrefix}-${randomUUID()}`,
      maxWaitTimeInMs: fetch.maxWaitTimeInMs ?? 500,
      maxBytes: fetch.maxBytes,
      maxBytesPerPartition: fetch.maxBytesPerPartition,
      readUncommitted: fetch.readUncommitted,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000, restartOnFailure: async () => false },
    });
    this.consumer = consumer;
    let failure: Error | undefined;
    const ended = new Promise<void>((resolve) => {
      this.stopSession = resolve;
      if (generation !== this.generation) resolve();
      consumer.on(consumer.events.CRASH, (e) => {
        failure = e.payload.error;
        resolve();
      });
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      if (generation !== this.generation) return;
      for (const p of e.payload.memberAssignment[this.config.topic] ?? []) {
        const at = this.fetched.get(p);
        if (at !== undefined) consumer.seek({ topic: this.config.topic, partition: p, offset: String(at) });
      }
      this.stats.sessions++;
      this.assigned = true;
      for (const w of this.assignedWaiters.splice(0)) w();
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.config.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch, heartbeat, isRunning }) => {
          this.onBatch(generation, batch);
          while (this.stats.buffered >= this.maxBuffered && generation === this.generation && !this.closed && isRunning()) {
            await this.untilDrained(1000);
            // A rebalance surfaces here as an error; the next fetch handles it (and re-seeks).
            await heartbeat().catch(() => {});
          }
        },
      });
      await ended;
      if (failure) throw failure;
    } finally {
      this.stopSession = undefined;
      if (this.consumer === consumer) this.consumer = undefined;
      await consumer.disconnect().catch(() => {});
    }
  }

  /** Partitions without a position get one from scan.startup.* (once per partition). */
  private async resolveStartOffsets(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const startup = this.config.startup;
      const bounds = await admin.fetchTopicOffsets(this.config.topic);
      const missing = bounds.filter((b) => !this.fetched.has(b.partition));
      if (missing.length === 0) return;
      let starts: Map<number, number>;
      if (startup.kind === 'timestamp') {
        const byTs = await admin.fetchTopicOffsetsByTimestamp(this.config.topic, startup.millis);
        starts = new Map(byTs.map((o) => [o.partition, Number(o.offset)]));
      } else {
        starts = new Map(bounds.map((b) => [b.partition, Number(startup.kind === 'latest' ? b.high : b.low)]));
      }
      for (const b of missing) this.setPosition(b.partition, starts.get(b.partition) ?? Number(b.low));
    } finally {
      await admin.disconnect();
    }
  }

  private onBatch(generation: number, batch: Batch): void {
    if (generation !== this.generation || this.closed) return;
    const p = batch.partition;
    let pos = this.fetched.get(p);
    const first = batch.messages.length > 0 ? Number(batch.messages[0].offset) : undefined;
    if (pos !== undefined && first !== undefined && first < pos && Number(batch.highWatermark) < pos) {
      // Our position is past the log's end, so it is out of range: kafkajs's fetch got
      // OFFSET_OUT_OF_RANGE and restarted at the earliest offset (fromBeginning), as the direct
      // path does. Not a batch fetched before our seek (those are dropped below): a position
      // past the high watermark can never be read. Without this the reader waited, silently,
      // for offsets that no longer come.
      this.opts.log?.(`kafka source ${this.config.topic}: offset ${pos} of partition ${p} is out of range (the log ends at ${batch.highWatermark}); continuing at ${first}`);
      pos = first;
    }
    for (const m of batch.messages) {
      const offset = Number(m.offset);
      if (pos !== undefined && offset < pos) continue; // fetched before our seek applied
      if (!this.polled.has(p)) this.polled.set(p, offset); // a partition that appeared after start
      this.buffer.push({ partition: p, offset, key: m.key ?? null, value: m.value ?? null, timestamp: Number(m.timestamp), headers: headerList(m.headers) });
      pos = offset + 1;
    }
    if (pos !== undefined) this.fetched.set(p, pos);
    this.stats.buffered = this.buffer.length - this.head;
  }

  /** Resolves once `poll` drained the buffer to half of `maxBuffered`, or after `ms`. */
  private untilDrained(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        const i = this.drained.indexOf(done);
        if (i >= 0) this.drained.splice(i, 1);
        resolve();
      }, ms);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.drained.push(done);
    });
  }

  private wakeFetcher(): void {
    const waiting = this.drained;
    this.drained = [];
    for (const wake of waiting) wake();
  }
}

const NO_HEADERS: MessageHeader[] = [];
/** How often a direct session looks for partitions added to its topic. */
const PARTITION_CHECK_MS = 5000;

/** The partitions `leaders` lead, as one comparable string. */
function partitionIds(leaders: ReadonlyMap<number, { partitions: readonly number[] }>): string {
  return [...leaders.values()].flatMap((l) => l.partitions).sort((a, b) => a - b).join(',');
}

/** Leader broker → its address and the topic's partitions it leads. */
async function partitionLeaders(admin: Admin, topic: string): Promise<Map<number, { host: string; port: number; partitions: number[] }>> {
  const [meta, cluster] = await Promise.all([admin.fetchTopicMetadata({ topics: [topic] }), admin.describeCluster()]);
  const brokers = new Map(cluster.brokers.map((b) => [b.nodeId, b]));
  const out = new Map<number, { host: string; port: number; partitions: number[] }>();
  for (const p of meta.topics[0]?.partitions ?? []) {
    const b = brokers.get(p.leader);
    if (b === undefined || p.leader < 0) throw new Error(`no leader for partition ${p.partitionId} of ${topic}`);
    let entry = out.get(p.leader);
    if (entry === undefined) out.set(p.leader, (entry = { host: b.host, port: b.port, partitions: [] }));
    entry.partitions.push(p.partitionId);
  }
  return out;
}

function headerList(h: IHeaders | undefined): MessageHeader[] {
  if (!h) return NO_HEADERS;
  let out: MessageHeader[] | null = null; // kafkajs gives every message an object; most are empty
  for (const key in h) {
    if (!Object.prototype.hasOwnProperty.call(h, key)) continue;
    out ??= [];
    const v = h[key];
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) out.push({ key, value: x === undefined ? null : typeof x === 'string' ? Buffer.from(x) : x });
  }
  return out ?? NO_HEADERS;
}
