/**
 * What a point lookup of an MV row that is not in memory costs the engine, without pgwire:
 * loads `--rows` users into a table feeding a per-user aggregate MV (`--memory-limit`,
 * 32 MiB by default, so almost every row is read back from LevelDB), then times
 * `--lookups` lookups of random users through a session. LevelDB's options can be
 * overridden with FRESHET_LEVELDB_OPTIONS (JSON, e.g. '{"maxOpenFiles":1000}'), which is
 * how its table cache's share of a cold read was measured (docs/performance.md).
 *
 *   node --expose-gc --import tsx bench/tools/cold-lookups.ts [--rows 5000000] [--lookups 20000] [--memory-limit 32MiB]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseByteSize } from '@freshet/storage';
import { openTestFrontend } from '../../packages/frontend/src/query/testing';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '5000000' }, lookups: { type: 'string', default: '20000' }, 'memory-limit': { type: 'string', default: '32MiB' } },
});
const rows = Number(values.rows);
const lookups = Number(values.lookups);
const dir = mkdtempSync(join(tmpdir(), 'freshet-cold-'));
const { frontend, close } = await openTestFrontend({ dataDir: dir, storage: { memoryLimit: parseByteSize(values['memory-limit']!), objectStore: 'none' } });
const session = await frontend.connect({ user: 'root', database: 'dev', params: {} });
const run = async (sql: string) => {
  const out: unknown[][] = [];
  for (const portal of await session.simpleQuery(sql)) out.push(...(await portal.execute(0)).rows);
  return out;
};
await run('CREATE TABLE e (id BIGINT PRIMARY KEY, uid BIGINT, amount DOUBLE PRECISION)');
await run('CREATE MATERIALIZED VIEW f AS SELECT uid, count(*) AS n, sum(amount) AS total, max(amount) AS mx FROM e GROUP BY uid');
for (let i = 0; i < rows; i += 10_000) {
  const batch: string[] = [];
  for (let j = i; j < Math.min(rows, i + 10_000); j++) batch.push(`(${j}, ${j}, ${j % 97})`);
  await run(`INSERT INTO e VALUES ${batch.join(',')}`);
  if ((i / 10_000) % 20 === 0) process.stderr.write(`\rloading: ${i.toLocaleString('en-US')} / ${rows.toLocaleString('en-US')} rows`);
}
await run('FLUSH');
process.stderr.write('\n');
const t0 = performance.now();
let found = 0;
for (let q = 0; q < lookups; q++) found += (await run(`SELECT n, total, mx FROM f WHERE uid = ${Math.floor(Math.random() * rows)}`)).length;
const us = ((performance.now() - t0) * 1000) / lookups;
// With --expose-gc, after a full collection: what stays resident is live heap, LevelDB's
// caches and the pages of the table files it keeps mapped, not garbage not yet collected.
(globalThis as { gc?: () => void }).gc?.();
const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
console.log(`${lookups.toLocaleString('en-US')} lookups of random users among ${rows.toLocaleString('en-US')}: ${us.toFixed(1)} µs each, ${found} found; resident ${rssMiB} MiB after them`);
session.close();
await close();
rmSync(dir, { recursive: true, force: true });
