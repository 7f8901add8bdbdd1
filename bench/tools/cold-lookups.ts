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
import { parseArgs } from 'node:util';
import { openLimitedSession } from './limited-session';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '5000000' }, lookups: { type: 'string', default: '20000' }, 'memory-limit': { type: 'string', default: '32MiB' } },
});
const rows = Number(values.rows);
const lookups = Number(values.lookups);
const { run, load, close } = await openLimitedSession(values['memory-limit']!);
await run('CREATE TABLE e (id BIGINT PRIMARY KEY, uid BIGINT, amount DOUBLE PRECISION)');
await run('CREATE MATERIALIZED VIEW f AS SELECT uid, count(*) AS n, sum(amount) AS total, max(amount) AS mx FROM e GROUP BY uid');
await load('e', rows, (j) => `(${j}, ${j}, ${j % 97})`);
const t0 = performance.now();
let found = 0;
for (let q = 0; q < lookups; q++) found += (await run(`SELECT n, total, mx FROM f WHERE uid = ${Math.floor(Math.random() * rows)}`)).length;
const us = ((performance.now() - t0) * 1000) / lookups;
// With --expose-gc, after a full collection: what stays resident is live heap, LevelDB's
// caches and the pages of the table files it keeps mapped, not garbage not yet collected.
(globalThis as { gc?: () => void }).gc?.();
const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
console.log(`${lookups.toLocaleString('en-US')} lookups of random users among ${rows.toLocaleString('en-US')}: ${us.toFixed(1)} µs each, ${found} found; resident ${rssMiB} MiB after them`);
await close();
