/**
 * Compressed topics, as real producers write them, read by Freshet's Kafka source through
 * the Kafka-protocol test broker (which stores and serves the producers' batches as sent):
 *
 * - kafkajs's producer with gzip (built in), and with the other codecs given to its codec
 *   registry as a producer application would: snappy in snappy-java's xerial framing (what
 *   Kafka's Java client writes), raw snappy, LZ4 frames (lz4js), zstd (stored blocks);
 * - kcat (librdkafka, what RisingWave itself links) with zstd: real zstd compression, where
 *   kcat is installed (scripts/provision.sh installs it). Not snappy or lz4: librdkafka 2.0
 *   compresses with those only if the broker also offers Produce v0, which this broker, like
 *   Kafka 4, does not (it sends them uncompressed, logging "Broker does not support
 *   compression type"); the raw-snappy and LZ4-frame batches above are what it would write;
 * - a batch whose compressed data is damaged (the producer's codec truncates it; the batch
 *   CRC is right, so the broker takes it).
 *
 * The reader on both fetch paths (direct and kafkajs) reads every message with its bytes;
 * through SQL, a source's ad-hoc SELECT and a materialized view read every row, and the
 * damaged batch is skipped, logged and counted like a malformed message while reading
 * goes on. On the kafkajs path (SASL) a damaged batch fails the fetch: retried, logged.
 */
import { CompressionTypes, Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, runKcat, startFreshet, startKafkaBroker, type FreshetServer, type KafkaTestBroker } from '@freshet/testkit';
import { kafkajs } from '../libraries';
import { Codec, MAX_DECOMPRESSED_BYTES, codecName, decompress, registerKafkajsCodecs } from './compression';
import { kafkaClientConfig } from './config';
import { KafkaReader } from './reader';
import { lz4Frame, rawSnappy, xerialSnappy, zstdStored } from './test-compressors';
import { drain } from './test-reader';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const KCAT = hasCommand('kcat');
let broker: KafkaTestBroker;
let producer: Producer;
const readers: KafkaReader[] = [];
const servers: FreshetServer[] = [];

/** What the producer's snappy and lz4 codecs write next (a producer application's choice). */
let snappyFraming: 'xerial' | 'raw' = 'xerial';
let damageNextLz4 = false;

beforeAll(async () => {
  // The reader's kafkajs path registers Freshet's decompressors; this process also produces,
  // so each codec here compresses with a test compressor and decompresses with Freshet's.
  registerKafkajsCodecs();
  const { CompressionCodecs } = kafkajs();
  const codec = (type: number, compress: (b: Buffer) => Buffer) => () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(encoder.buffer),
    decompress: async (b: Buffer) => decompress(type, b),
  });
  CompressionCodecs[CompressionTypes.Snappy] = codec(Codec.Snappy, (b) => (snappyFraming === 'xerial' ? xerialSnappy(b, 4096) : rawSnappy(b)));
  CompressionCodecs[CompressionTypes.LZ4] = codec(Codec.Lz4, (b) => {
    const frame = lz4Frame(b);
    if (!damageNextLz4) return frame;
    damageNextLz4 = false;
    return frame.subarray(0, frame.length - 40); // cut short: blocks and end mark missing
  });
  CompressionCodecs[CompressionTypes.ZSTD] = codec(Codec.Zstd, zstdStored);
  broker = await startKafkaBroker();
  producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
});
afterAll(async () => {
  await Promise.all(readers.map((r) => r.close()));
  for (const s of servers) await s.stop();
  await producer.disconnect();
  await broker.close();
});

interface Variant {
  name: string;
  /** Appends `messages` to partition 0 of `topic` as one compressed batch. */
  produce(topic: string, messages: Message[]): Promise<void>;
}

const viaKafkajs = (name: string, type: CompressionTypes, framing?: 'xerial' | 'raw'): Variant => ({
  name,
  async produce(topic, messages) {
    if (framing) snappyFraming = framing;
    await producer.send({ topic, compression: type, messages: messages.map((m) => ({ ...m, partition: 0 })) });
  },
});

const kcatZstd: Variant = {
  name: 'kcat zstd',
  async produce(topic, messages) {
    const lines = messages.map((m) => `${m.key}\t${m.value}`).join('\n') + '\n';
    const r = await runKcat(['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0', '-K', '\t', '-z', 'zstd', '-X', 'linger.ms=50'], lines);
    if (r.code !== 0) throw new Error(`kcat failed: ${r.stderr}`);
  },
};

const VARIANTS: Variant[] = [
  viaKafkajs('gzip', CompressionTypes.GZIP),
  viaKafkajs('snappy (xerial, as the Java client writes it)', CompressionTypes.Snappy, 'xerial'),
  viaKafkajs('snappy (raw block)', CompressionTypes.Snappy, 'raw'),
  viaKafkajs('lz4', CompressionTypes.LZ4),
  viaKafkajs('zstd', CompressionTypes.ZSTD),
  ...(KCAT ? [kcatZstd] : []),
];

/** `n` JSON events numbered from `from`, tagged with the variant that produced them. */
function events(from: number, n: number, variant: string): Message[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `k${from + i}`,
    value: JSON.stringify({ id: from + i, variant, note: `event ${from + i} ${'x'.repeat((from + i) % 40)}` }),
  }));
}

/** Produces `per` events with every variant (one batch each) from id `from`; returns the events in offset order. */
async function produceAll(topic: string, from: number, per: number): Promise<Message[]> {
  const all: Message[] = [];
  for (const v of VARIANTS) {
    const batch = events(from + all.length, per, v.name);
    await v.produce(topic, batch);
    all.push(...batch);
  }
  return all;
}

/** The codec of each stored batch of partition 0, and whether a snappy one uses xerial framing. */
function storedCodecs(topic: string): string[] {
  const log = broker.state.partition(topic, 0)!;
  return log.read(0, Number.MAX_SAFE_INTEGER).map((b) => {
    const codec = b.readInt16BE(21) & 7;
    return codec === Codec.Snappy && b[61] === 0x82 ? 'snappy-xerial' : codecName(codec);
  });
}

describe('compressed Kafka topics', () => {
  it.each(['direct', 'kafkajs'] as const)('the reader (%s fetch) reads every codec, byte for byte', async (fetcher) => {
    const topic = `z-codecs-${fetcher}`;
    broker.createTopic(topic, 1);
    const produced = await produceAll(topic, 0, 150);
    expect(storedCodecs(topic)).toEqual(['gzip', 'snappy-xerial', 'snappy', 'lz4', 'zstd', ...(KCAT ? ['zstd'] : [])]);
    const r = new KafkaReader(kafkaClientConfig({ 'properties.bootstrap.server': broker.bootstrap, topic }), { fetcher, retry: { initialMs: 50, maxMs: 300 } });
    readers.push(r);
    const got = await drain(r, produced.length);
    expect(got.map((m) => [m.offset, m.key?.toString(), m.value?.toString()])).toEqual(produced.map((m, i) => [i, m.key, m.value]));
    await new Promise((res) => setTimeout(res, 200));
    expect(r.poll(10)).toEqual([]);
    expect([r.stats.failures, r.stats.corruptBatches]).toEqual([0, 0]);
  });

  it('a corrupt batch: the direct path skips it whole and reads on; the kafkajs path (SASL) retries it, logged', async () => {
    const produce = async (topic: string) => {
      broker.createTopic(topic, 1);
      await producer.send({ topic, compression: CompressionTypes.LZ4, messages: events(0, 3, 'a').map((m) => ({ ...m, partition: 0 })) });
      damageNextLz4 = true;
      await producer.send({ topic, compression: CompressionTypes.LZ4, messages: events(3, 3, 'bad').map((m) => ({ ...m, partition: 0 })) });
      await producer.send({ topic, compression: CompressionTypes.LZ4, messages: events(6, 3, 'c').map((m) => ({ ...m, partition: 0 })) });
    };
    const open = (topic: string, fetcher: 'direct' | 'kafkajs', lines: string[]) => {
      const r = new KafkaReader(kafkaClientConfig({ 'properties.bootstrap.server': broker.bootstrap, topic }), { fetcher, retry: { initialMs: 50, maxMs: 300 }, log: (l) => lines.push(l) });
      readers.push(r);
      return r;
    };
    await produce('z-bad-direct');
    const directLog: string[] = [];
    const direct = open('z-bad-direct', 'direct', directLog);
    expect((await drain(direct, 6)).map((m) => m.offset)).toEqual([0, 1, 2, 6, 7, 8]);
    expect(direct.offsets()).toEqual({ 0: 9 });
    expect([direct.stats.corruptBatches, direct.stats.failures]).toEqual([1, 0]);
    expect(directLog).toEqual(['kafka source z-bad-direct: skipped corrupt record batch at partition 0 offsets 3..5: corrupt lz4 data: LZ4 frame is truncated']);

    // kafkajs decodes a fetch answer whole, so one bad batch fails the fetch: the session
    // fails, is logged and counted, and is retried at the same position (no crash; no skip).
    await produce('z-bad-kafkajs');
    const kjLog: string[] = [];
    const kj = open('z-bad-kafkajs', 'kafkajs', kjLog);
    const deadline = Date.now() + 10_000;
    while (kj.stats.failures < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(kj.stats.failures).toBeGreaterThanOrEqual(2);
    expect(kj.stats.lastError).toBe('corrupt lz4 data: LZ4 frame is truncated');
    expect(kjLog[0]).toMatch(/^kafka source z-bad-kafkajs: corrupt lz4 data: LZ4 frame is truncated; retrying in \d+ ms$/);
  });

  it('through SQL: a source and a materialized view read every row of every codec; a corrupt batch is skipped, logged and counted, and reading goes on', async () => {
    const topic = 'z-sql';
    broker.createTopic(topic, 1);
    const PER = 40;
    const before = await produceAll(topic, 0, PER);
    damageNextLz4 = true;
    await producer.send({ topic, compression: CompressionTypes.LZ4, messages: events(10_000, 5, 'damaged').map((m) => ({ ...m, partition: 0 })) });
    const badOffset = before.length;
    const after = await produceAll(topic, before.length, PER);
    const good = [...before, ...after].map((m) => JSON.parse(String(m.value)) as { id: number; variant: string; note: string });

    const server = await startFreshet({ playground: true });
    servers.push(server);
    const c = new pg.Client(server.url);
    await c.connect();
    try {
      const q = async (sql: string) => (await c.query(sql)).rows as Record<string, unknown>[];
      await q(`CREATE SOURCE zs (id INT, variant VARCHAR, note VARCHAR) WITH (connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${broker.bootstrap}', scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE JSON`);
      // Ad-hoc SELECT: what the topic holds, every row with its values, none of the damaged batch.
      expect(await q('SELECT id, variant, note FROM zs ORDER BY id')).toEqual(good);
      const errors = await q("SELECT partition, message_offset::int AS o, reason FROM rw_catalog.rw_source_errors WHERE source_name = 'zs'");
      expect(errors.map((e) => [e.partition, e.o])).toEqual([[0, badOffset]]);
      expect(String(errors[0].reason)).toMatch(new RegExp(`corrupt record batch at partition 0 offsets ${badOffset}\\.\\.${badOffset + 4}: corrupt lz4 data: LZ4 frame is truncated`));
      expect(server.logs.toString()).toMatch(new RegExp(`WARN .*source zs: skipped corrupt record batch at partition 0 offsets ${badOffset}\\.\\.${badOffset + 4}`));

      // A materialized view's own reader: every row, the damaged batch counted again, and it
      // keeps reading what is produced afterwards (compressed too).
      await q('CREATE MATERIALIZED VIEW zs_stats AS SELECT count(*) AS n, count(DISTINCT id) AS d, sum(id) AS s FROM zs');
      const more = await produceAll(topic, before.length + after.length, 10);
      const all = [...good, ...more.map((m) => JSON.parse(String(m.value)) as { id: number })];
      const deadline = Date.now() + 30_000;
      let stats: Record<string, unknown>[] = [];
      while (Date.now() < deadline) {
        stats = await q('SELECT n::int AS n, d::int AS d, s::bigint AS s FROM zs_stats');
        if (Number(stats[0]?.n) >= all.length) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(stats).toEqual([{ n: all.length, d: all.length, s: String(all.reduce((t, g) => t + g.id, 0)) }]);
      expect(await q("SELECT error_count::int AS n FROM rw_catalog.rw_source_error_counts WHERE source_name = 'zs'")).toEqual([{ n: 2 }]);
    } finally {
      await c.end();
    }
  }, 90_000);
});

describe('decompression bombs', () => {
  // 2 MiB of one byte: every codec shrinks it (zstd RLE blocks 250×, gzip ~1,000×).
  const data = Buffer.alloc(2 << 20, 7);
  const encoders: [number, (b: Buffer) => Buffer][] = [
    [Codec.Gzip, (b) => gzipSync(b)],
    [Codec.Snappy, (b) => xerialSnappy(b)],
    [Codec.Lz4, lz4Frame],
    [Codec.Zstd, zstdStored],
  ];

  it('every codec refuses a batch that decompresses past the cap, and reads one within it', () => {
    for (const [codec, encode] of encoders) {
      const packed = encode(data);
      expect(decompress(codec, packed, 4 << 20).equals(data)).toBe(true);
      expect(() => decompress(codec, packed, 1 << 20), codecName(codec)).toThrow(new RegExp(`corrupt ${codecName(codec)} data: .*(more than|larger than|size)`));
    }
  });

  it('a gzip bomb is refused under the default cap', () => {
    const bomb = gzipSync(Buffer.alloc(MAX_DECOMPRESSED_BYTES + (1 << 20)));
    expect(bomb.length).toBeLessThan(1 << 20);
    expect(() => decompress(Codec.Gzip, bomb)).toThrow(/corrupt gzip data/);
  });
});
