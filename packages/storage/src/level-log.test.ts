import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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
    expect(loaded.tables.get(1)?.length).toBe(rows);
    expect(loaded.tables.get(1)?.[rows - 1][1]).toEqual([rows - 1, 'x'.repeat(100)]);
    await again.close();
  });
});
