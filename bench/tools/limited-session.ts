/**
 * The in-process setup the cold-read tools share (cold-lookups.ts, index-first-lookup.ts):
 * one session on a durable node in a temporary data dir under a memory limit, with no
 * object store, and a batched loader that shows its progress on stderr.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseByteSize } from '@freshet/storage';
import { openTestSession } from '../../packages/frontend/src/query/testing';

export interface LimitedSession {
  run(sql: string): Promise<unknown[][]>;
  /** INSERTs `rows` rows into `table`, 10,000 per statement; `values(i)` is row i's `(…)` text. */
  load(table: string, rows: number, values: (i: number) => string): Promise<void>;
  close(): Promise<void>;
}

export async function openLimitedSession(memoryLimit: string): Promise<LimitedSession> {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-limited-'));
  const s = await openTestSession({ dataDir: dir, storage: { memoryLimit: parseByteSize(memoryLimit), objectStore: 'none' } });
  return {
    run: (sql) => s.run(sql),
    load: async (table, rows, values) => {
      for (let i = 0; i < rows; i += 10_000) {
        const batch: string[] = [];
        for (let j = i; j < Math.min(rows, i + 10_000); j++) batch.push(values(j));
        await s.run(`INSERT INTO ${table} VALUES ${batch.join(',')}`);
        if ((i / 10_000) % 20 === 0) process.stderr.write(`\rloading ${table}: ${i.toLocaleString('en-US')} / ${rows.toLocaleString('en-US')} rows`);
      }
      await s.run('FLUSH');
      process.stderr.write('\n');
    },
    close: async () => {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
