/**
 * What the first lookup through a `CREATE INDEX` costs on a large MV: the index is built
 * by that lookup, from a scan of the MV (packages/batch/src/secondary-index.ts), which
 * under a memory limit reads LevelDB. Loads `--rows` rows into a table feeding an MV
 * `sa (sid, uid, n)` indexed on `uid` (created before the load, as the serving bench does),
 * then times three lookups by `uid` and prints the heap after each.
 *
 *   node --expose-gc --import tsx bench/tools/index-first-lookup.ts [--rows 1000000] [--memory-limit 32MiB]
 *
 * With --expose-gc the heap is read after a full collection, so its growth is what the
 * index keeps (without it, whatever garbage the collector has not reached yet counts too).
 */
import { parseArgs } from 'node:util';
import { openLimitedSession } from './limited-session';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, 'memory-limit': { type: 'string', default: '32MiB' } } });
const rows = Number(values.rows);
const heapMiB = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0);
};
const { run, load, close } = await openLimitedSession(values['memory-limit']!);
await run('CREATE TABLE e (id BIGINT PRIMARY KEY, sid BIGINT, uid BIGINT)');
await run('CREATE MATERIALIZED VIEW sa AS SELECT sid, uid, count(*) AS n FROM e GROUP BY sid, uid');
await run('CREATE INDEX sa_by_user ON sa (uid)');
const t0 = performance.now();
await load('e', rows, (j) => `(${j}, ${j}, ${(j * 7) % rows})`);
console.log(`loaded ${rows.toLocaleString('en-US')} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s; heap ${heapMiB()} MiB`);
for (let k = 0; k < 3; k++) {
  const t = performance.now();
  const found = await run(`SELECT n FROM sa WHERE uid = ${k * 7 + 3}`);
  console.log(`lookup ${k + 1}: ${(performance.now() - t).toFixed(1)} ms, ${found.length} row(s); heap ${heapMiB()} MiB`);
}
await close();
