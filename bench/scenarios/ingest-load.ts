/**
 * How the ingest scenario loads the event stream: prepared multi-row INSERTs
 * (`insertEvents` in ../lib/pipeline-run.ts) or `COPY … FROM STDIN` in text format through
 * pg-copy-streams — the way PostgreSQL users bulk-load. Both send the same events in the
 * same batches (one statement per table per batch, each committed before the connection
 * sends its next), so the two figures differ only by the load path.
 */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { eventBatch, TX_EVERY } from '../lib/feature-pipeline';
import { connect, type InsertOptions, type InsertResult, insertEvents, timestampNow } from '../lib/pipeline-run';
import type { RunningTarget } from '../lib/targets';

export type LoadMethod = 'insert' | 'copy';
export const LOAD_METHODS: readonly LoadMethod[] = ['insert', 'copy'];

export const LOAD_TEXT: Record<LoadMethod, string> = {
  insert: 'prepared multi-row INSERT per table (Parse once, Bind text parameters per batch)',
  copy: 'COPY … FROM STDIN (text format, pg-copy-streams) per table',
};

/** `--load copy|insert|both` → the methods to run, in order. */
export function loadMethods(spec: string | undefined): LoadMethod[] {
  if (!spec) return ['insert'];
  if (spec === 'both') return ['insert', 'copy'];
  const out = spec.split(',').map((s) => s.trim());
  for (const m of out) if (!LOAD_METHODS.includes(m as LoadMethod)) throw new Error(`--load: expected insert, copy or both, got "${m}"`);
  return out as LoadMethod[];
}

export function loadEvents(method: LoadMethod, target: RunningTarget, o: InsertOptions): Promise<InsertResult> {
  return method === 'copy' ? copyEvents(target, o) : insertEvents(target, o);
}

/** Text-format COPY data: one line per row, tab-separated (the batch's values need no escaping). */
function copyText(values: readonly string[], width: number): Buffer {
  let s = '';
  for (let i = 0; i < values.length; i += width) {
    s += values[i];
    for (let j = 1; j < width; j++) s += `\t${values[i + j]}`;
    s += '\n';
  }
  return Buffer.from(s);
}

async function copyBatch(client: pg.Client, table: string, columns: string, data: Buffer): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} ${columns} FROM STDIN`));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
    stream.end(data);
  });
}

/** Events [from, to) as one COPY per table per batch, over several connections. */
export async function copyEvents(target: RunningTarget, o: InsertOptions): Promise<InsertResult> {
  if (o.batchRows % TX_EVERY !== 0) throw new Error(`--batch-rows must be a multiple of ${TX_EVERY}`);
  let next = o.from;
  const r: InsertResult = { seconds: 0, eventRows: 0, transactionRows: 0, statements: 0 };
  const t0 = performance.now();
  const worker = async () => {
    const client = await connect(target);
    try {
      while (next < o.to) {
        const from = next;
        const to = Math.min(from + o.batchRows, o.to);
        next = to;
        const b = eventBatch(from, to, o.users, timestampNow());
        if (b.eventRows) await copyBatch(client, 'user_events', '(user_id, event_type, item_id, timestamp)', copyText(b.events, 4));
        if (b.transactionRows) await copyBatch(client, 'transactions', '(transaction_id, user_id, amount, created_at)', copyText(b.transactions, 4));
        r.eventRows += b.eventRows;
        r.transactionRows += b.transactionRows;
        r.statements += (b.eventRows ? 1 : 0) + (b.transactionRows ? 1 : 0);
        o.onProgress?.(r.eventRows + r.transactionRows);
      }
    } finally {
      await client.end();
    }
  };
  await Promise.all(Array.from({ length: o.connections }, worker));
  r.seconds = (performance.now() - t0) / 1000;
  return r;
}
