import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { unpackRow } from '@freshet/common';
import { LevelLog } from './level-log';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Bytes of LevelDB's write-ahead log files: what the next open replays. */
function walBytes(dataDir: string): number {
  const state = join(dataDir, 'state');
  return readdirSync(state)
    .filter((f) => f.endsWith('.log'))
    .reduce((n, f) => n + statSync(join(state, f)).size, 0);
}

describe('LevelLog', () => {
  it('leaves no write-ahead log to replay after close, and reopens with every row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'freshet-level-log-'));
    dirs.push(dir);
    const log = new LevelLog(dir);
    await log.open();
    const rows = 20_000;
    const items = Array.from({ length: rows }, (_, i) => ({ kind: 'change' as const, tableId: 1, key: `k${String(i).padStart(6, '0')}`, old: undefined, row: [i, 'x'.repeat(100)] }));
    await log.write({ items, meta: [], counters: new Map(), seq: 0, tableKeys: () => [] });
    expect(walBytes(dir)).toBeGreaterThan(rows * 100); // the batch is in the log until a flush
    await log.close();
    expect(walBytes(dir)).toBe(0);
    const again = new LevelLog(dir);
    const loaded = await again.open();
    expect(loaded.tableIds).toEqual([1]);
    const stored: unknown[] = [];
    for await (const batch of again.tableBatches(1, 1000)) for (const [, packed] of batch) stored.push(unpackRow(packed));
    expect(stored.length).toBe(rows);
    expect(stored[rows - 1]).toEqual([rows - 1, 'x'.repeat(100)]);
    expect(again.readRowSync(1, `k${String(rows - 1).padStart(6, '0')}`)).toEqual([rows - 1, 'x'.repeat(100)]);
    await again.close();
  });

  it('finds the ids of the tables with rows by seeking, without reading their rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'freshet-level-log-'));
    dirs.push(dir);
    const log = new LevelLog(dir);
    await log.open();
    // Ids whose decimal prefixes interleave in byte order (t/1/, t/12/, t/120/, t/2/).
    const ids = [1, 12, 120, 2];
    const items = ids.flatMap((tableId) => Array.from({ length: 50 }, (_, i) => ({ kind: 'change' as const, tableId, key: `k${i}`, old: undefined, row: [tableId, i] })));
    await log.write({ items, meta: [['a', 1]], counters: new Map(), seq: 0, tableKeys: () => [] });
    await log.close();
    const again = new LevelLog(dir);
    const loaded = await again.open();
    expect([...loaded.tableIds].sort((a, b) => a - b)).toEqual([1, 2, 12, 120]);
    expect(loaded.meta.get('a')).toBe(1);
    let n = 0;
    for await (const batch of again.tableBatches(12, 7)) for (const [, packed] of batch) n += unpackRow(packed)[0] === 12 ? 1 : 1000;
    expect(n).toBe(50);
    await again.close();
  });
});
