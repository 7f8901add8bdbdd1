/**
 * What a read by key of a table kept in LevelDB under a memory limit costs (storage's
 * disk-table.ts): a row that is stored but not cached (read with `getSync`, decoded, and
 * cached), and a key with no row (an INSERT's primary-key check of a fresh key). Fills one
 * table in a fresh data dir, then reads random keys of each kind, one at a time.
 *
 *   node --import tsx bench/tools/disk-table-reads.ts [--rows N] [--reads N] [--memory-limit SIZE]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { T } from '@freshet/common';
import { openStorage, parseByteSize } from '@freshet/storage';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, reads: { type: 'string', default: '200000' }, 'memory-limit': { type: 'string', default: '32MiB' } } });
const rows = Number(values.rows);
const reads = Number(values.reads);
const dir = mkdtempSync(join(tmpdir(), 'freshet-disk-table-reads-'));
const storage = openStorage({ dataDir: dir, objectStore: 'none', memoryLimit: parseByteSize(values['memory-limit']!), log: () => {} });
await storage.open();
storage.createTable(1, { types: [T.Int64, T.Varchar, T.Int64], pk: [0] });
const BATCH = 10_000;
for (let i = 0; i < rows; i += BATCH) {
  const b = storage.newBatch();
  for (let j = i; j < Math.min(rows, i + BATCH); j++) b.put(1, [BigInt(j), `payload-${j}`, BigInt(j * 3)]);
  await storage.commit(b);
  process.stderr.write(`\rfilled ${Math.min(rows, i + BATCH).toLocaleString('en-US')} / ${rows.toLocaleString('en-US')} rows`);
}
process.stderr.write('\n');
const table = storage.table(1);
for (const [label, offset] of [
  ['stored, not cached', 0],
  ['no row', rows],
] as const) {
  let found = 0;
  const t0 = performance.now();
  for (let i = 0; i < reads; i++) if (table.get([BigInt(offset + Math.floor(Math.random() * rows))]) !== undefined) found++;
  const us = ((performance.now() - t0) * 1000) / reads;
  console.log(`${label}: ${us.toFixed(2)} µs per read (${reads.toLocaleString('en-US')} reads of a ${rows.toLocaleString('en-US')}-row table, ${found.toLocaleString('en-US')} found)`);
}
await storage.close();
rmSync(dir, { recursive: true, force: true });
