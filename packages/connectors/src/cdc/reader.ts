/**
 * `PostgresCdcReader`: one upstream table through a logical replication slot (pgoutput),
 * behind the synchronous `SourceReader` contract. A background loop connects, takes the
 * initial snapshot, and streams; `pullChanges` hands out what has arrived.
 *
 * Consistency:
 * - **Fresh start** (no slot): the slot is created with an exported snapshot and the table
 *   is read in that snapshot (upstream.ts), then streaming starts at the slot's consistent
 *   point: every transaction is either in the snapshot or streamed, never both.
 * - **Start with a position** (`seek`, a checkpointed `{lsn}`): streaming resumes after it.
 * - **Existing slot, no position** (a restart of a table whose position is not stored): the
 *   table is read now and applied as upserts, then the slot's changes from its confirmed
 *   position are applied by key. Replaying an older change after the snapshot can show an
 *   older value for a moment, but every later change follows, so the table converges.
 * - Changes are buffered per transaction and released at its COMMIT, tagged with the
 *   commit's end LSN; `offsets()` is the end LSN of the last transaction fully handed out.
 * - The slot is confirmed (standby status update) only through `committed(offsets)`, which
 *   the consumer calls once the rows up to that position are durable: WAL is released as
 *   soon as possible, and nothing unconfirmed is ever lost (PostgreSQL resends it).
 * - A dropped connection or an upstream restart is retried with backoff (200 ms → 5 s),
 *   resuming after the last transaction received; transactions at or before it are skipped.
 */
import { type Row, SqlError, SqlState } from '@freshet/common';
import type { LogicalReplicationService, Pgoutput } from 'pg-logical-replication';
import { pgLogicalReplication } from '../libraries';
import type { ReaderContext, SourceChange, SourceReader, SourceSpec, SplitOffsets } from '../api';
import { type PgCdcConfig, pgClientConfig } from './config';
import { type TextTuple, TupleDecoder } from './decode';
import { formatLsn, parseLsn } from './lsn';
import { createSlotWithSnapshot, dropSlot, ensurePublication, readSnapshot, slotPosition } from './upstream';

/** The split id of a CDC table's position (one split per table, as RisingWave's CDC split). */
export const CDC_SPLIT = 'lsn';

interface Entry {
  readonly change: SourceChange;
  /** End LSN of the transaction (or the snapshot's start point) the change belongs to. */
  readonly lsn: bigint;
}

/** Unpulled changes above which the replication stream is paused (back-pressure). */
const MAX_BUFFERED = 50_000;
const STATUS_INTERVAL_MS = 5000;

export interface CdcReaderStats {
  connects: number;
  failures: number;
  snapshotRows: number;
  streamed: number;
  lastError?: string;
}

export class PostgresCdcReader implements SourceReader {
  readonly exhausted = false;
  readonly stats: CdcReaderStats = { connects: 0, failures: 0, snapshotRows: 0, streamed: 0 };
  private readonly decoder: TupleDecoder;
  private readonly buffer: Entry[] = [];
  private head = 0;
  /** End LSN of the last transaction fully received (and buffered). 0: none yet. */
  private received = 0n;
  /** End LSN of the last transaction fully handed out by pull. */
  private pulled = 0n;
  /** Position confirmed upstream (what the consumer made durable). */
  private confirmed = 0n;
  /** Snapshot entries not handed out yet: no position until they all are. */
  private snapshotLeft = -1;
  private resumeAt: bigint | undefined;
  private started = false;
  private closed = false;
  private service: LogicalReplicationService | null = null;
  private paused = false;
  private timer: NodeJS.Timeout | null = null;
  private txn: Entry['change'][] | null = null;
  private readonly ours = new Map<number, boolean>();
  private wake: (() => void) | null = null;

  constructor(
    readonly config: PgCdcConfig,
    private readonly spec: SourceSpec,
    private readonly ctx: ReaderContext,
  ) {
    this.decoder = new TupleDecoder(spec.columns);
  }

  private log(msg: string): void {
    this.ctx.log?.(`postgres-cdc ${this.spec.name} (${this.config.schema}.${this.config.table}): ${msg}`);
  }

  pull(max: number): Row[] {
    return this.pullChanges(max).map((c) => {
      if (c.op === 'delete' || c.before) {
        throw new SqlError(SqlState.FeatureNotSupported, `source ${this.spec.name}: postgres-cdc changes are read into a table (CREATE TABLE … FROM source TABLE …)`);
      }
      return c.row;
    });
  }

  pullChanges(max: number): SourceChange[] {
    if (!this.started) this.start();
    const n = Math.min(max, this.buffer.length - this.head);
    if (n <= 0) return [];
    const out: SourceChange[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.buffer[this.head + i].change;
    const last = this.buffer[this.head + n - 1].lsn;
    this.head += n;
    if (this.snapshotLeft > 0) this.snapshotLeft = Math.max(0, this.snapshotLeft - n);
    // A transaction split across pulls has no position of its own: the previous one stands.
    if (this.head >= this.buffer.length || this.buffer[this.head].lsn !== last) this.pulled = last;
    if (this.head >= this.buffer.length) {
      this.buffer.length = 0;
      this.head = 0;
    } else if (this.head > 65536) {
      this.buffer.splice(0, this.head);
      this.head = 0;
    }
    if (this.paused && this.buffer.length - this.head < MAX_BUFFERED / 2) this.resumeStream();
    return out;
  }

  offsets(): SplitOffsets {
    if (this.snapshotLeft !== 0 || this.pulled === 0n) return {};
    return { [CDC_SPLIT]: formatLsn(this.pulled) };
  }

  seek(offsets: SplitOffsets): void {
    const lsn = offsets[CDC_SPLIT];
    if (!lsn) return;
    if (this.started) throw new Error('postgres-cdc: seek after the reader started');
    this.resumeAt = parseLsn(lsn);
  }

  /** The consumer made everything up to `offsets` durable: confirm it upstream (frees WAL). */
  committed(offsets: SplitOffsets): void {
    const lsn = offsets[CDC_SPLIT];
    if (!lsn) return;
    const p = parseLsn(lsn);
    if (p <= this.confirmed) return;
    this.confirmed = p;
    this.sendStatus();
  }

  /** Position confirmed upstream so far. */
  get confirmedLsn(): string {
    return formatLsn(this.confirmed);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.wake?.();
    await this.service?.destroy().catch(() => {});
    this.service = null;
  }

  /**
   * The table was dropped: close and drop the slot, so it holds no WAL. The walsender may
   * take a moment to notice the closed connection (the slot is "active" until then).
   */
  async dropped(): Promise<void> {
    await this.close();
    for (let attempt = 0; ; attempt++) {
      try {
        await dropSlot(this.config);
        this.log(`replication slot ${this.config.slot} dropped`);
        return;
      } catch (e) {
        if (attempt >= 20) {
          this.log(`cannot drop replication slot ${this.config.slot}: ${e instanceof Error ? e.message : String(e)}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** Starts the background connect/snapshot/stream loop (on first pull, so `seek` comes first). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.timer = setInterval(() => this.sendStatus(), STATUS_INTERVAL_MS);
    this.timer.unref?.();
    void this.run();
  }

  private async run(): Promise<void> {
    let backoff = 200;
    while (!this.closed) {
      const before = this.received;
      try {
        await this.session();
      } catch (e) {
        this.stats.failures++;
        this.stats.lastError = e instanceof Error ? e.message : String(e);
        if (!this.closed) this.log(`replication failed (retrying in ${backoff} ms): ${this.stats.lastError}`);
      }
      this.txn = null;
      if (this.closed) break;
      if (this.received !== before) backoff = 200;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, backoff).unref?.();
      });
      backoff = Math.min(backoff * 2, 5000);
    }
  }

  /** One connection: snapshot if needed, then stream until the connection ends. */
  private async session(): Promise<void> {
    this.stats.connects++;
    const c = this.config;
    const columns = this.spec.columns.map((col) => col.name);
    if (this.snapshotLeft < 0 && this.resumeAt === undefined) {
      await ensurePublication(c);
      const slot = await slotPosition(c);
      if (slot === undefined) {
        const snap = await createSlotWithSnapshot(c, columns);
        this.pushSnapshot(snap.rows, snap.lsn, 'insert');
      } else {
        const rows = await readSnapshot(c, columns);
        this.pushSnapshot(rows, slot, 'upsert');
      }
    } else if (this.resumeAt !== undefined && this.received === 0n) {
      await ensurePublication(c);
      const slot = await slotPosition(c);
      if (slot === undefined) {
        // The slot is gone (dropped upstream): its unconfirmed changes are lost to us, so
        // start over from a new snapshot, applied by key.
        this.log('replication slot missing: taking a new snapshot');
        const snap = await createSlotWithSnapshot(c, columns);
        this.pushSnapshot(snap.rows, snap.lsn, 'upsert');
      } else {
        this.received = this.resumeAt > slot ? this.resumeAt : slot;
        this.pulled = this.received;
        // The position came from the consumer's durable store: it is confirmed by definition.
        this.confirmed = this.received;
        this.snapshotLeft = 0;
      }
    }
    await this.stream();
  }

  private pushSnapshot(rows: (string | null)[][], lsn: bigint, op: 'insert' | 'upsert'): void {
    for (const r of rows) {
      const tuple: TextTuple = {};
      r.forEach((v, i) => (tuple[this.spec.columns[i].name] = v));
      const row = this.decoder.row(tuple);
      if (row) this.buffer.push({ change: { op, row }, lsn });
    }
    this.stats.snapshotRows += rows.length;
    this.snapshotLeft = rows.length;
    this.received = lsn;
    if (this.confirmed === 0n) this.confirmed = lsn;
    // An empty snapshot is a position at once.
    if (rows.length === 0) this.pulled = lsn;
    this.log(`snapshot: ${rows.length} rows at ${formatLsn(lsn)}`);
  }

  private stream(): Promise<void> {
    const c = this.config;
    const { LogicalReplicationService, PgoutputPlugin } = pgLogicalReplication();
    const service = new LogicalReplicationService(pgClientConfig(c), { acknowledge: { auto: false, timeoutSeconds: 0 } });
    this.service = service;
    this.ours.clear();
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (e?: unknown) => {
        if (done) return;
        done = true;
        if (this.service === service) this.service = null;
        void service.destroy().catch(() => {});
        if (e && !this.closed) reject(e);
        else resolve();
      };
      service.on('error', (e: Error) => finish(e));
      service.on('heartbeat', (lsn: string, _ts: number, shouldRespond: boolean) => {
        this.onKeepalive(parseLsn(lsn));
        if (shouldRespond) this.sendStatus();
      });
      service.on('start', () => {
        this.log(`streaming from ${formatLsn(this.received)}`);
        this.sendStatus();
      });
      service.on('data', (_lsn: string, msg: Pgoutput.Message) => {
        try {
          this.onMessage(msg);
        } catch (e) {
          finish(e);
        }
      });
      if (this.closed) return finish();
      service
        .subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [c.publication] }), c.slot, formatLsn(this.received))
        .then(() => finish(new Error('replication stream ended')), finish);
    });
  }

  private onMessage(msg: Pgoutput.Message): void {
    switch (msg.tag) {
      case 'relation': {
        // Values stay text: the decoder parses them with the Freshet column types.
        for (const col of msg.columns) col.parser = (raw: unknown) => raw;
        this.ours.set(msg.relationOid, msg.schema === this.config.schema && msg.name === this.config.table);
        return;
      }
      case 'begin':
        this.txn = [];
        return;
      case 'insert': {
        if (!this.txn || !this.ours.get(msg.relation.relationOid)) return;
        const row = this.decoder.row(msg.new as TextTuple);
        if (row) this.txn.push({ op: 'upsert', row });
        else this.toastWarning();
        return;
      }
      case 'update': {
        if (!this.txn || !this.ours.get(msg.relation.relationOid)) return;
        const row = this.decoder.row(msg.new as TextTuple);
        if (!row) return this.toastWarning();
        const old = (msg.key ?? msg.old) as TextTuple | null;
        // The old key arrives only when the key changed (REPLICA IDENTITY DEFAULT/INDEX) or
        // always (FULL): delete the old key first when it differs from the new one.
        if (old && keyChanged(msg.relation, old, msg.new as TextTuple)) this.txn.push({ op: 'delete', row: this.decoder.keyRow(old) });
        this.txn.push({ op: 'upsert', row });
        return;
      }
      case 'delete': {
        if (!this.txn || !this.ours.get(msg.relation.relationOid)) return;
        const old = (msg.key ?? msg.old) as TextTuple | null;
        if (old) this.txn.push({ op: 'delete', row: this.decoder.keyRow(old) });
        return;
      }
      case 'truncate':
        if (msg.relations.some((r) => this.ours.get(r.relationOid))) this.log('TRUNCATE upstream is not propagated (delete the rows instead)');
        return;
      case 'commit': {
        const end = parseLsn(msg.commitEndLsn!);
        const txn = this.txn;
        this.txn = null;
        if (!txn || end <= this.received) return;
        this.received = end;
        for (const change of txn) this.buffer.push({ change, lsn: end });
        this.stats.streamed += txn.length;
        // Nothing of ours in the transaction, nothing pending: the position moves on.
        if (txn.length === 0 && this.head >= this.buffer.length && this.snapshotLeft === 0) this.pulled = end;
        if (!this.paused && this.buffer.length - this.head > MAX_BUFFERED) this.pauseStream();
        return;
      }
      default:
        return;
    }
  }

  /**
   * A keepalive carries the walsender's sent position: every transaction committed before
   * it has been received. When all of them are also confirmed (nothing buffered, nothing
   * awaiting a checkpoint, no transaction open), the rest of the WAL up to it holds nothing
   * for us (other tables, empty transactions), so confirming it releases that WAL too — and
   * lets a fast shutdown of the upstream finish, which waits for the slot to catch up.
   */
  private onKeepalive(sent: bigint): void {
    if (this.txn || this.head < this.buffer.length || this.snapshotLeft !== 0) return;
    if (this.received > this.confirmed || sent <= this.confirmed) return;
    this.confirmed = sent;
    if (this.received < sent) this.received = sent;
  }

  private toastWarningShown = false;
  private toastWarning(): void {
    if (this.toastWarningShown) return;
    this.toastWarningShown = true;
    this.log('an update without its unchanged TOAST values was skipped: set REPLICA IDENTITY FULL on the upstream table');
  }

  /** Standby status update with the confirmed position (flush = apply = write). */
  private sendStatus(): void {
    const s = this.service;
    if (!s || s.isStop() || this.confirmed === 0n) return;
    // The library reports `lsn + 1`; PostgreSQL must see exactly the confirmed end LSN.
    void s.acknowledge(formatLsn(this.confirmed - 1n)).catch(() => {});
  }

  private connectionStream(): { pause?(): void; resume?(): void } | undefined {
    return (this.service as unknown as { _connection?: { stream?: { pause?(): void; resume?(): void } } } | null)?._connection?.stream;
  }

  private pauseStream(): void {
    this.paused = true;
    this.connectionStream()?.pause?.();
  }

  private resumeStream(): void {
    this.paused = false;
    this.connectionStream()?.resume?.();
  }
}

/**
 * Whether the replica-identity key differs between the old and the new tuple. With REPLICA
 * IDENTITY FULL the old tuple always comes and the table's key is not known here, so the
 * old row is deleted and the new one written (same net effect when the key is unchanged).
 */
function keyChanged(rel: Pgoutput.MessageRelation, old: TextTuple, now: TextTuple): boolean {
  if (rel.replicaIdentity === 'full' || rel.keyColumns.length === 0) return true;
  return rel.keyColumns.some((k) => old[k] !== undefined && old[k] !== now[k]);
}
