/**
 * Durable state in LevelDB. Key layout (all keys are bytes; the one-letter prefix leaves
 * room for later issues to add spaces such as epochs or state tables):
 *
 *   t/<tableId>/<memcomparable pk>  → value-encoded row (codec/value.ts)
 *   m/<key>                         → JSON meta record (the catalog)
 *   c/<tableId>                     → row-id counter, 8-byte big-endian
 *   x/format                        → layout version (FORMAT_VERSION)
 *
 * Rows of one table are contiguous and in pk order, so a table could be streamed or
 * range-deleted without the in-memory copy; today `open()` loads everything.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { type Row, decodeRow, encodeRow } from '@freshet/common';
import type { Batch } from './write-batch';

export const FORMAT_VERSION = 1;

type Op = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

export interface LoadedState {
  meta: Map<string, unknown>;
  /** tableId → [latin1 key, row] in key order. */
  tables: Map<number, [string, Row][]>;
  counters: Map<number, bigint>;
}

const SLASH = 0x2f;
const FORMAT_KEY = Buffer.from('x/format');

export class LevelLog {
  private readonly db: Level<Buffer, Buffer>;
  readonly location: string;

  constructor(readonly dataDir: string) {
    this.location = join(dataDir, 'state');
    this.db = new Level<Buffer, Buffer>(this.location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  }

  async open(): Promise<LoadedState> {
    mkdirSync(this.dataDir, { recursive: true });
    try {
      await this.db.open();
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new Error(`data directory ${this.dataDir} is in use by another Freshet process (its LevelDB lock is held)`);
      }
      throw new Error(`cannot open data directory ${this.dataDir}: ${cause?.message ?? (e as Error).message}`);
    }
    const state: LoadedState = { meta: new Map(), tables: new Map(), counters: new Map() };
    let format: number | undefined;
    const it = this.db.iterator();
    try {
      for (;;) {
        const entries = await it.nextv(1000);
        if (entries.length === 0) break;
        for (const [key, value] of entries) this.loadEntry(state, key, value, (v) => (format = v));
      }
    } finally {
      await it.close();
    }
    if (format === undefined) {
      await this.db.put(FORMAT_KEY, Buffer.from(String(FORMAT_VERSION)), { sync: true });
    } else if (format !== FORMAT_VERSION) {
      throw new Error(`data directory ${this.dataDir} has storage format ${format}; this build reads format ${FORMAT_VERSION}`);
    }
    return state;
  }

  private loadEntry(state: LoadedState, key: Buffer, value: Buffer, setFormat: (v: number) => void): void {
    const kind = key[0];
    if (kind === 0x74 /* t */) {
      const slash = key.indexOf(SLASH, 2);
      const tableId = Number(key.toString('latin1', 2, slash));
      let rows = state.tables.get(tableId);
      if (!rows) state.tables.set(tableId, (rows = []));
      rows.push([key.toString('latin1', slash + 1), decodeRow(value)]);
    } else if (kind === 0x6d /* m */) {
      state.meta.set(key.toString('utf8', 2), JSON.parse(value.toString('utf8')));
    } else if (kind === 0x63 /* c */) {
      state.counters.set(Number(key.toString('latin1', 2)), value.readBigInt64BE(0));
    } else if (key.equals(FORMAT_KEY)) {
      setFormat(Number(value.toString()));
    }
  }

  /**
   * Writes a group of batches as one atomic, fsynced LevelDB batch. `tableKeys` lists the
   * committed keys of a table, which a drop must delete (LevelDB batches have no range delete).
   */
  async write(batches: Batch[], counters: Map<number, bigint>, tableKeys: (tableId: number) => Iterable<string>): Promise<void> {
    const ops: Op[] = [];
    for (const [id, v] of counters) {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(v);
      ops.push({ type: 'put', key: counterKey(id), value: b });
    }
    // Keys written earlier in this group are not in memory yet; a drop must delete them too.
    const groupKeys = new Map<number, Set<string>>();
    for (const batch of batches) {
      for (const op of batch.ops) {
        if (op.kind === 'put') {
          ops.push({ type: 'put', key: rowKey(op.tableId, op.key), value: encodeRow(op.row) });
          let s = groupKeys.get(op.tableId);
          if (!s) groupKeys.set(op.tableId, (s = new Set()));
          s.add(op.key);
        } else if (op.kind === 'delete') {
          ops.push({ type: 'del', key: rowKey(op.tableId, op.key) });
        } else {
          const seen = groupKeys.get(op.tableId) ?? new Set<string>();
          for (const k of tableKeys(op.tableId)) seen.add(k);
          for (const k of seen) ops.push({ type: 'del', key: rowKey(op.tableId, k) });
          groupKeys.delete(op.tableId);
          ops.push({ type: 'del', key: counterKey(op.tableId) });
        }
      }
      for (const [k, v] of batch.meta) {
        const key = Buffer.from(`m/${k}`, 'utf8');
        if (v === undefined) ops.push({ type: 'del', key });
        else ops.push({ type: 'put', key, value: Buffer.from(JSON.stringify(v), 'utf8') });
      }
    }
    if (ops.length === 0) return;
    await this.db.batch(ops, { sync: true });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

function rowKey(tableId: number, key: string): Buffer {
  const prefix = `t/${tableId}/`;
  const b = Buffer.allocUnsafe(prefix.length + key.length);
  b.write(prefix, 0, 'latin1');
  b.write(key, prefix.length, 'latin1');
  return b;
}

function counterKey(tableId: number): Buffer {
  return Buffer.from(`c/${tableId}`, 'latin1');
}
