/**
 * `connector = 'kafka'` for the CREATE SOURCE framework (../api.ts): a KafkaReader plus the
 * FORMAT/ENCODE parser, behind the synchronous `SourceReader` interface. Split ids are the
 * partition numbers and offsets the next offset to read, both as strings.
 *
 * `pull` returns rows for FORMAT PLAIN (every change is an insert). FORMAT UPSERT and
 * DEBEZIUM also delete and replace rows, which `Row[]` cannot say: their changes come from
 * `pullChanges`, and `pull` refuses them rather than silently dropping deletes.
 * Malformed messages, and record batches that cannot be decoded (corrupt compressed data),
 * are skipped, counted (`errorCount`), logged with partition and offset, and recorded for
 * the system table (source-errors.ts).
 */
import { type Row, SqlError, SqlState } from '@freshet/common';
import type { ReaderContext, SourceConnector, SourceReader, SourceSpec, SplitOffsets } from '../api';
import { createRecordParser } from '../format/parser';
import type { ParsedChange, ParseError, ParserSpec, RecordParser, SourceMessage } from '../format/types';
import { kafkaClientConfig } from './config';
import { KafkaReader, type KafkaReaderOptions } from './reader';
import type { CorruptBatch } from './record-batch';
import { recordSourceError } from './source-errors';

export function kafkaParserSpec(spec: SourceSpec, readColumns?: readonly boolean[]): ParserSpec {
  return { format: spec.format?.format ?? 'plain', encode: spec.format?.encode ?? 'json', options: spec.format?.options ?? {}, columns: spec.columns, readColumns };
}

export class KafkaSourceReader implements SourceReader {
  readonly exhausted = false;
  readonly reader: KafkaReader;
  private readonly parser: RecordParser;
  private readonly plain: boolean;
  errorCount = 0;

  constructor(
    private readonly spec: SourceSpec,
    private readonly ctx: ReaderContext,
    readerOptions: KafkaReaderOptions = {},
  ) {
    this.parser = createRecordParser(kafkaParserSpec(spec, ctx.columns));
    this.plain = (spec.format?.format ?? 'plain').toLowerCase() === 'plain';
    this.reader = new KafkaReader(kafkaClientConfig(spec.options), { log: ctx.log?.bind(ctx), onCorruptBatch: (b) => this.skipBatch(b), ...readerOptions });
  }

  pull(max: number): Row[] {
    if (!this.plain) {
      throw new SqlError(SqlState.FeatureNotSupported, `source ${this.spec.name}: FORMAT ${this.spec.format?.format?.toUpperCase()} changes are read with pullChanges`);
    }
    // The hot loop of a Kafka source: rows straight from the parser, no per-message wrappers.
    const parseRow = this.parser.parseRow!;
    const out: Row[] = [];
    for (;;) {
      const msgs = this.reader.poll(max - out.length);
      if (msgs.length === 0) return out;
      for (let i = 0; i < msgs.length; i++) {
        const r = parseRow(msgs[i]);
        if (r === null) continue;
        if (Array.isArray(r)) out.push(r);
        else this.skip(r);
      }
      if (out.length > 0) return out; // bad messages don't end a pull early
    }
  }

  /** Up to `max` changes (insert / upsert / delete) that are ready now. Never waits. */
  pullChanges(max: number): ParsedChange[] {
    const out: ParsedChange[] = [];
    this.drain(max, (c) => out.push(c), () => out.length);
    return out;
  }

  /** Polls until something was produced or nothing is buffered (bad messages don't end a pull early). */
  private drain(max: number, emit: (c: ParsedChange) => void, produced: () => number): void {
    for (;;) {
      const msgs = this.reader.poll(max - produced());
      if (msgs.length === 0) return;
      for (const m of msgs) this.parseOne(m, emit);
      if (produced() > 0 || produced() >= max) return;
    }
  }

  private parseOne(m: SourceMessage, emit: (c: ParsedChange) => void): void {
    const o = this.parser.parse(m);
    if (o.ok) {
      if (o.change) emit(o.change);
      return;
    }
    this.skip(o.error);
  }

  /** A malformed message: counted, logged with its position, recorded for rw_source_errors. */
  private skip(error: ParseError): void {
    this.errorCount++;
    recordSourceError(this.spec.name, error);
    this.ctx.log?.(`source ${this.spec.name}: skipped malformed message at partition ${error.partition} offset ${error.offset}: ${error.reason}`);
  }

  /** A record batch that could not be decoded: skipped, counted, logged and recorded like a malformed message. */
  private skipBatch(b: CorruptBatch): void {
    this.errorCount++;
    recordSourceError(this.spec.name, { partition: b.partition, offset: b.baseOffset, reason: `${b.describe()}: ${b.reason}` });
    this.ctx.log?.(`source ${this.spec.name}: skipped ${b.describe()}: ${b.reason}`);
  }

  offsets(): SplitOffsets {
    const out: SplitOffsets = {};
    for (const [p, o] of Object.entries(this.reader.offsets())) out[p] = String(o);
    return out;
  }

  seek(offsets: SplitOffsets): void {
    const parsed: Record<number, number> = {};
    for (const [p, o] of Object.entries(offsets)) parsed[Number(p)] = Number(o);
    this.reader.seek(parsed);
  }

  close(): Promise<void> {
    return this.reader.close();
  }
}

export const kafkaSourceConnector: SourceConnector = {
  name: 'kafka',
  validate(spec: SourceSpec) {
    kafkaClientConfig(spec.options);
    createRecordParser(kafkaParserSpec(spec));
    const format = (spec.format?.format ?? 'plain').toLowerCase();
    if (format === 'upsert' && !spec.columns.some((c) => c.include?.what.toLowerCase() === 'key')) {
      // RisingWave: the key is how an upsert source finds its row.
      throw new SqlError(SqlState.InvalidParameterValue, 'INCLUDE KEY AS <column> is required for FORMAT UPSERT, and that column must be the primary key');
    }
    return [...spec.columns];
  },
  open(spec: SourceSpec, ctx: ReaderContext): SourceReader {
    return new KafkaSourceReader(spec, ctx);
  },
  /**
   * Ad-hoc `SELECT … FROM source`: the messages there now. Sources are FORMAT PLAIN (UPSERT
   * and DEBEZIUM are tables only), so every change is a row.
   */
  async snapshot(spec: SourceSpec, ctx: ReaderContext): Promise<Row[]> {
    const changes = await readKafkaSnapshot(spec, { log: ctx.log?.bind(ctx) });
    const rows: Row[] = [];
    for (const c of changes) if (c.op !== 'delete') rows.push(c.row);
    return rows;
  },
};

/**
 * "What is there" for an ad-hoc SELECT on a Kafka source: every change from the startup
 * position up to the end offsets at the time of the call. Async, unlike `SourceReader`:
 * it waits for the broker. Times out (SqlError 57014) rather than hanging on an outage.
 */
export async function readKafkaSnapshot(spec: SourceSpec, opts: { timeoutMs?: number; log?: (line: string) => void } = {}): Promise<ParsedChange[]> {
  const source = new KafkaSourceReader(spec, { now: Date.now, log: opts.log }, { retry: { initialMs: 100, maxMs: 1000 } });
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  try {
    const ends = await withDeadline(source.reader.endOffsets(), deadline, spec.name);
    await withDeadline(source.reader.whenAssigned(), deadline, spec.name);
    const out: ParsedChange[] = [];
    const done = () => Object.entries(ends).every(([p, end]) => (source.reader.offsets()[Number(p)] ?? 0) >= end);
    while (!done()) {
      if (Date.now() > deadline) throw timeout(spec.name);
      const got = source.pullChanges(4096);
      for (const c of got) out.push(c);
      if (got.length === 0) await new Promise((r) => setTimeout(r, 5));
    }
    return out;
  } finally {
    await source.close();
  }
}

function timeout(name: string): SqlError {
  return new SqlError(SqlState.QueryCanceled, `timed out reading Kafka source ${name}`);
}

function withDeadline<T>(p: Promise<T>, deadline: number, name: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(timeout(name)), Math.max(0, deadline - Date.now()));
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
