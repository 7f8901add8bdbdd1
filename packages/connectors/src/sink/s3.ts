/**
 * The S3 file sink (`connector = 's3'`), with RisingWave's options:
 *
 * - `s3.bucket_name` (required), `s3.path` (key prefix), `s3.region_name` (also `s3.region`,
 *   as the seed articles write it), `s3.endpoint_url` (MinIO, s3rver, …),
 *   `s3.credentials.access` / `s3.credentials.secret` (else the SDK's default chain);
 * - `FORMAT PLAIN ENCODE PARQUET | JSON` (default PARQUET): a file sink only appends, so
 *   deletes are dropped and an update's new row is appended, as with `force_append_only`;
 * - batching: `max_row_count` (default 10240) and `rollover_seconds` (default 10): a file
 *   is finished at the first commit at which either is reached; `path_partition_prefix`
 *   (`none` | `day` | `month` | `hour`) puts files under `YYYY-MM-DD/`, `YYYY-MM/` or
 *   `YYYY-MM-DD HH:00/`. `{snapshot_date}` in `s3.path` becomes the file's UTC date
 *   (`date={snapshot_date}/` → `date=2026-11-21/`, Hive partitioning as in the seeds).
 *
 * Object name: `<s3.path>/<partition><sink name>_<epoch>.<parquet|json>`, `<epoch>` being
 * the first epoch with rows in the file, and the date (partition, `{snapshot_date}`) that
 * epoch's time (when its first row reached the sink). The sink's log hands this target only epochs covered by a durable
 * checkpoint (`commitOn = 'checkpoint'`) and forgets them once a file holds them
 * (`flushedEpoch`); rows waiting for the rollover stay in the log, which is in every
 * checkpoint, so a `kill -9` loses none. After a crash the log hands over again every row
 * of the last file whose removal from the log was not checkpointed, from the same first
 * epoch: the replayed file has the same name and overwrites it (with those rows and
 * possibly more), instead of adding duplicates. JSON files hold one object per line
 * (RisingWave's JSON encoding).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { Op, SqlError, SqlState, type StreamChunk } from '@freshet/common';
import { encodeJsonObject } from '../format/json-encode';
import { awsS3 } from '../libraries';
import { OptionReader, invalidOption } from '../options';
import type { ExternalSinkSpec, PreparedSink, SinkColumn, SinkCommitInfo, SinkConnector, SinkContext } from './api';
import { formatEncode } from './encode';
import { encodeParquet } from './parquet';
import { RetryingSinkTarget, type RetryPolicy } from './target-base';

const PUT_TIMEOUT_MS = 120_000;
const CHECK_TIMEOUT_MS = 10_000;

export type PathPartitionPrefix = 'none' | 'day' | 'month' | 'hour';

export interface S3SinkConfig {
  readonly bucket: string;
  /** Key prefix: '' or ending with '/'; may hold `{snapshot_date}`. */
  readonly path: string;
  readonly region: string;
  readonly endpoint?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  readonly encode: 'parquet' | 'json';
  readonly maxRowCount: number;
  readonly rolloverMs: number;
  readonly partition: PathPartitionPrefix;
}

export function s3SinkConfig(spec: ExternalSinkSpec): S3SinkConfig {
  const r = new OptionReader(spec.options, 's3');
  const bucket = r.required('s3.bucket_name');
  const region = r.string('s3.region_name') ?? r.string('s3.region');
  if (region === undefined || region === '') throw new SqlError(SqlState.SyntaxError, "missing field `s3.region_name` for connector 's3'");
  const access = r.string('s3.credentials.access');
  const secret = r.string('s3.credentials.secret');
  if ((access === undefined) !== (secret === undefined)) {
    throw new SqlError(SqlState.SyntaxError, `missing field \`${access === undefined ? 's3.credentials.access' : 's3.credentials.secret'}\` for connector 's3'`);
  }
  const endpoint = r.string('s3.endpoint_url');
  if (endpoint !== undefined && !/^https?:\/\//i.test(endpoint)) throw invalidOption('s3.endpoint_url', endpoint, 'an http:// or https:// URL');
  const { encode } = formatEncode(spec, ['plain'], ['parquet', 'json'], { format: 'plain', encode: 'parquet' });
  const partition = (r.string('path_partition_prefix') ?? 'none').toLowerCase();
  if (!['none', 'day', 'month', 'hour'].includes(partition)) throw invalidOption('path_partition_prefix', partition, 'none, day, month or hour');
  let path = (r.string('s3.path') ?? '').replace(/^\/+/, '');
  if (path !== '' && !path.endsWith('/')) path += '/';
  return {
    bucket,
    path,
    region,
    endpoint,
    credentials: access !== undefined ? { accessKeyId: access, secretAccessKey: secret! } : undefined,
    encode: encode as 'parquet' | 'json',
    maxRowCount: r.nonNegativeInt('max_row_count') ?? 10_240,
    rolloverMs: (r.nonNegativeInt('rollover_seconds') ?? 10) * 1000,
    partition: partition as PathPartitionPrefix,
  };
}

export function s3Client(config: S3SinkConfig): S3Client {
  return new (awsS3().S3Client)({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.endpoint !== undefined,
    credentials: config.credentials,
    // With the defaults, S3 clones such as s3rver store streamed uploads corrupted (DESIGN §6).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1, // the sink retries with its own backoff
  });
}

/** The object key of a file started at `epoch`, created at `now` (ms). */
export function s3ObjectName(config: S3SinkConfig, sinkName: string, epoch: number, now: number): string {
  const iso = new Date(now).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const date = iso.slice(0, 10);
  const partition = config.partition === 'day' ? `${date}/` : config.partition === 'month' ? `${iso.slice(0, 7)}/` : config.partition === 'hour' ? `${date} ${iso.slice(11, 13)}:00/` : '';
  const path = config.path.replaceAll('{snapshot_date}', date);
  return `${path}${partition}${sinkName}_${epoch}.${config.encode}`;
}

/** Buffered rows: chunks kept as they came, with the indices of the rows to append. */
interface Pending {
  readonly chunks: { chunk: StreamChunk; rows: Uint32Array }[];
  rowCount: number;
  /** First epoch whose rows are in the file (its name). */
  firstEpoch: number | null;
  /** That epoch's time (ms, `SinkCommitInfo.time`): the file's date partition and `{snapshot_date}`. */
  fileTime: number;
  startedAt: number;
}

interface S3File {
  readonly key: string;
  readonly body: Uint8Array;
  readonly rows: number;
}

export class S3SinkTarget extends RetryingSinkTarget<S3File> {
  private readonly client: S3Client;
  private pending: Pending;
  private readonly visible: number[];
  /** Files written (tests, progress). */
  readonly files: string[] = [];
  /** The write of the rows still buffered at `close`, if any. */
  finalWrite: Promise<void> = Promise.resolve();
  private lastEpoch = 0;
  private _flushedEpoch = 0;
  /**
   * Fed from the sink's log only up to durable checkpoints: a file holds checkpointed rows
   * only, so a replay after a crash finds the same rows and cuts the same first file.
   */
  readonly commitOn = 'checkpoint' as const;

  /** Every epoch ≤ this is in a written file (or had no rows); later ones are still buffered. */
  get flushedEpoch(): number {
    return this._flushedEpoch;
  }

  constructor(
    private readonly config: S3SinkConfig,
    private readonly name: string,
    private readonly columns: readonly SinkColumn[],
    ctx: SinkContext,
    retry?: RetryPolicy,
    private readonly now: () => number = Date.now,
  ) {
    super(`s3 sink ${name}`, ctx, retry);
    this.client = s3Client(config);
    this.visible = columns.flatMap((c, i) => (c.hidden ? [] : [i]));
    this.pending = this.emptyBuffer();
  }

  write(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const rows = new Uint32Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const op = chunk.ops[i];
      if (op === Op.Insert || op === Op.UpdateInsert) rows[k++] = i;
    }
    if (k === 0) return;
    if (this.pending.rowCount === 0) this.pending.startedAt = this.now();
    this.pending.chunks.push({ chunk, rows: rows.subarray(0, k) });
    this.pending.rowCount += k;
    this.stats.rowsWritten += k;
  }

  protected takeBatch(epoch: number, info: SinkCommitInfo): S3File | null {
    this.lastEpoch = epoch;
    const p = this.pending;
    if (p.rowCount === 0 || this.abandoned) {
      p.firstEpoch = null; // an empty epoch starts no file
      if (info.checkpoint !== false) this._flushedEpoch = epoch;
      return null;
    }
    if (p.firstEpoch === null) {
      p.firstEpoch = epoch;
      p.fileTime = info.time ?? this.now();
    }
    // Files end at checkpoints only, when full or old enough.
    if (info.checkpoint === false) return null;
    if (p.rowCount < this.config.maxRowCount && this.now() - p.startedAt < this.config.rolloverMs) return null;
    this.pending = this.emptyBuffer();
    this._flushedEpoch = epoch;
    return this.encode(p);
  }

  protected async deliver(file: S3File): Promise<void> {
    // A hung endpoint fails the attempt (and is retried) instead of holding the epoch forever.
    const abortSignal = AbortSignal.timeout(PUT_TIMEOUT_MS);
    await this.client.send(new (awsS3().PutObjectCommand)({ Bucket: this.config.bucket, Key: file.key, Body: file.body, ContentLength: file.body.length }), { abortSignal });
    if (!this.files.includes(file.key)) this.files.push(file.key);
  }

  /**
   * Rows of committed epochs still buffered for a rollover are written now, best effort
   * (DROP SINK, a clean shutdown); `finalWrite` settles when that is done. An abandoned
   * target (a crash) drops them: they are still in the sink's checkpointed log.
   */
  protected release(): Promise<void> {
    const p = this.pending;
    if (p.rowCount === 0 || this.abandoned) {
      this.client.destroy();
      return this.finalWrite;
    }
    this.pending = this.emptyBuffer();
    if (p.firstEpoch === null) {
      p.firstEpoch = this.lastEpoch + 1;
      p.fileTime = this.now();
    }
    const file = this.encode(p);
    this.finalWrite = this.deliver(file).then(
      () => this.ctx.log(`${this.label}: wrote ${file.rows} buffered rows to ${file.key} at close`),
      (e) => this.ctx.log(`${this.label}: ${file.rows} buffered rows lost at close: ${e instanceof Error ? e.message : String(e)}`),
    ).finally(() => this.client.destroy());
    return this.finalWrite;
  }

  private encode(p: Pending): S3File {
    const key = s3ObjectName(this.config, this.name, p.firstEpoch!, p.fileTime);
    // Row r of the file → (chunk, physical row): a flat index over the buffered chunks.
    const chunkOf = new Uint32Array(p.rowCount);
    const rowOf = new Uint32Array(p.rowCount);
    let r = 0;
    p.chunks.forEach(({ rows }, ci) => {
      for (let k = 0; k < rows.length; k++, r++) {
        chunkOf[r] = ci;
        rowOf[r] = rows[k];
      }
    });
    if (this.config.encode === 'parquet') {
      const body = encodeParquet(this.columns, this.visible, p.rowCount, (c, row) => p.chunks[chunkOf[row]].chunk.columns[c].get(rowOf[row]));
      return { key, body, rows: p.rowCount };
    }
    const lines: string[] = [];
    for (const { chunk, rows } of p.chunks) for (const i of rows) lines.push(encodeJsonObject(this.columns, chunk.row(i), this.visible));
    return { key, body: Buffer.from(lines.join('\n') + '\n'), rows: p.rowCount };
  }

  private emptyBuffer(): Pending {
    return { chunks: [], rowCount: 0, firstEpoch: null, fileTime: 0, startedAt: 0 };
  }
}

export const s3SinkConnector: SinkConnector = {
  name: 's3',
  prepare(spec: ExternalSinkSpec): PreparedSink {
    const config = s3SinkConfig(spec);
    return {
      async check() {
        const c = s3Client(config);
        try {
          await c.send(new (awsS3().HeadBucketCommand)({ Bucket: config.bucket }), { abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
        } catch (e) {
          const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          const why = status === 404 ? 'no such bucket' : status === 403 ? 'access denied (check s3.credentials.access / secret)' : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
          throw new SqlError(SqlState.InternalError, `Sink error: S3 error: cannot reach bucket ${config.bucket}: ${why}`);
        } finally {
          c.destroy();
        }
      },
      open: (ctx) => new S3SinkTarget(config, spec.name, spec.columns, ctx),
    };
  },
};
