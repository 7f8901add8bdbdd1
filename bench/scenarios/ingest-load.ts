/**
 * How the ingest scenario loads the event stream: prepared multi-row INSERTs
 * (`insertEvents` in ../lib/pipeline-run.ts) or `COPY … FROM STDIN` in text format through
 * pg-copy-streams — the way PostgreSQL users bulk-load. Both send the same events in the
 * same batches (one statement per table per batch, each committed before the connection
 * sends its next), so the two figures differ only by the load path.
 */
import { copyData } from '../lib/copy-rows';
import { type InsertOptions, type InsertResult, insertEvents, loadEventBatches } from '../lib/pipeline-run';
import type { RunningTarget } from '../lib/targets';

export type LoadMethod = 'insert' | 'copy' | 'datagen';
export const LOAD_METHODS: readonly LoadMethod[] = ['insert', 'copy', 'datagen'];

export const LOAD_TEXT: Record<LoadMethod, string> = {
  insert: 'prepared multi-row INSERT per table (Parse once, Bind text parameters per batch)',
  copy: 'COPY … FROM STDIN (text format, pg-copy-streams) per table',
  datagen: "user_events as a datagen source inside the server (no client); Freshet only",
};

/** `--load insert|copy|datagen|both|all` (or a comma list) → the methods to run, in order. */
export function loadMethods(spec: string | undefined): LoadMethod[] {
  if (!spec) return ['insert'];
  if (spec === 'both') return ['insert', 'copy'];
  if (spec === 'all') return [...LOAD_METHODS];
  const out = spec.split(',').map((s) => s.trim());
  for (const m of out) if (!LOAD_METHODS.includes(m as LoadMethod)) throw new Error(`--load: expected insert, copy, datagen, both or all, got "${m}"`);
  return out as LoadMethod[];
}

/** Client-side loads (datagen generates inside the server: ingest-datagen.ts). */
export function loadEvents(method: 'insert' | 'copy', target: RunningTarget, o: InsertOptions): Promise<InsertResult> {
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

/** Events [from, to) as one COPY per table per batch, over several connections. */
export function copyEvents(target: RunningTarget, o: InsertOptions): Promise<InsertResult> {
  return loadEventBatches(target, o, async (client, b) => {
    if (b.eventRows) await copyData(client, 'user_events', ['user_id', 'event_type', 'item_id', 'timestamp'], copyText(b.events, 4));
    if (b.transactionRows) await copyData(client, 'transactions', ['transaction_id', 'user_id', 'amount', 'created_at'], copyText(b.transactions, 4));
  });
}
