import { startPgServer } from './src/server';
import { makeScramVerifier } from './src/auth/scram';
import { FakeManager } from './src/testing/fake-engine';
import postgres from 'postgres';
const m = new FakeManager({ test: { method: 'trust' }, scram: { method: 'password', scramVerifier: makeScramVerifier('pw') } });
const s = await startPgServer({ host: '127.0.0.1', port: 54329, manager: m, log: (x) => console.log('LOG', x) });
setTimeout(() => s.close(), 6000);
try {
const sql = postgres({ host: '127.0.0.1', port: 54329, user: 'scram', password: 'pw', database: 'db', fetch_types: false });
console.log(await sql`echo ${'hello'} ${'world'}`);
console.log((await sql.unsafe('rows 2')).length);
const rs = await Promise.all([sql`echo ${'a'}`, sql`echo ${'b'}`, sql.unsafe('rows 3'), sql.unsafe('error').catch((e) => e.code), sql`echo ${'c'}`]);
console.log(rs.map((r) => Array.isArray(r) ? r.length : r));
console.log(await sql`echo ${'after'}`);
await sql.end();
} catch (e) { console.log('CLIENT ERR', e); }
