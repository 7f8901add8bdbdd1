/**
 * Crash harness (issue 4): the real server as a child process, DML streamed from several
 * connections, `kill -9` at random moments — while writing, right after a FLUSH, with a
 * checkpoint on every barrier, and in the middle of a CREATE MATERIALIZED VIEW backfill —
 * then a restart and two checks:
 *
 * - every acknowledged write is present exactly once: each writer owns its keys and keeps
 *   the history of statements it sent; the rows found after the restart must equal the
 *   writer's model after some prefix of that history that includes every acknowledged
 *   statement (the one in flight at the kill may or may not have committed). A table
 *   without a primary key makes a double-applied insert visible as a duplicate row;
 * - every MV equals its query run as a plain SELECT by the batch engine over its inputs.
 *
 * The second suite restores from S3 (s3rver) with the data dir deleted before each
 * restart: then the rows must equal a prefix that includes every statement acknowledged
 * before the restored checkpoint was cut (its time is in the server's restore log line).
 *
 * FRESHET_FUZZ_SEED reproduces a run; FRESHET_CRASH_CYCLES changes the number of kills.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prng, type S3TestServer, type FreshetServer, sleep, startFreshet, startS3rver } from '@freshet/testkit';

const WRITERS = 4;
/** 16 kills on the local data dir + 5 with S3: 21 per run. */
const CYCLES = Number(process.env.FRESHET_CRASH_CYCLES ?? 16);
const S3_CYCLES = Math.max(3, Math.round(CYCLES / 3));
const BIG_ROWS = 60_000;

const MVS: Record<string, string> = {
  mv_kv: 'SELECT w, count(*) AS n, sum(v) AS s, max(v) AS mx FROM kv GROUP BY w',
  mv_ev: 'SELECT w, count(*) AS n, count(DISTINCT seq) AS d FROM ev GROUP BY w',
  mv_join: 'SELECT kv.w, count(*) AS n, sum(kv.v) AS s FROM kv JOIN ev ON kv.id = ev.w * 1000000 + ev.seq GROUP BY kv.w',
  mv_top: 'SELECT id, v FROM kv ORDER BY v DESC, id LIMIT 5',
  mv_total: 'SELECT sum(n) AS n, sum(s) AS s FROM mv_kv',
};
/** Created during a cycle, killed mid-backfill on purpose, dropped after the check. */
const BACKFILL_MV = ['mv_backfill', 'SELECT big.v % 97 AS b, count(*) AS n, sum(big.id) AS s FROM big GROUP BY big.v % 97'] as const;

type Op = { kind: 'put'; id: number; v: number } | { kind: 'del'; id: number } | { kind: 'event'; seq: number };

interface State {
  kv: Map<number, number>;
  /** seq → how many rows (exactly-once means 1). */
  ev: Map<number, number>;
}

const cloneState = (s: State): State => ({ kv: new Map(s.kv), ev: new Map(s.ev) });

function applyOp(s: State, op: Op): void {
  if (op.kind === 'put') s.kv.set(op.id, op.v);
  else if (op.kind === 'del') s.kv.delete(op.id);
  else s.ev.set(op.seq, (s.ev.get(op.seq) ?? 0) + 1);
}

function sameState(a: State, b: State): boolean {
  if (a.kv.size !== b.kv.size || a.ev.size !== b.ev.size) return false;
  for (const [k, v] of a.kv) if (b.kv.get(k) !== v) return false;
  for (const [k, v] of a.ev) if (b.ev.get(k) !== v) return false;
  return true;
}

/** One connection's workload over keys it alone writes, with the history a check needs. */
class Writer {
  /** State as of the last check. */
  private base: State = { kv: new Map(), ev: new Map() };
  /** Statements sent since the last check (the last may be in flight at the kill). */
  private ops: Op[] = [];
  /** Acknowledgement time of each op (undefined: not acknowledged). */
  private acks: number[] = [];
  /** base + every op sent (what the next ops build on). */
  private cur: State = { kv: new Map(), ev: new Map() };
  private nextId = 1;
  private nextSeq = 1;
  acknowledged = 0;

  constructor(
    readonly w: number,
    private readonly rng: Prng,
  ) {}

  private nextOp(): { op: Op; sql: string } {
    const r = this.rng.int(0, 100);
    const ids = [...this.cur.kv.keys()];
    if (r < 20 && ids.length > 0) {
      const id = this.rng.pick(ids);
      const v = this.cur.kv.get(id)! + 7;
      return { op: { kind: 'put', id, v }, sql: `UPDATE kv SET v = v + 7 WHERE id = ${id}` };
    }
    if (r < 30 && ids.length > 0) {
      const id = this.rng.pick(ids);
      return { op: { kind: 'del', id }, sql: `DELETE FROM kv WHERE id = ${id}` };
    }
    if (r < 65) {
      const id = this.w * 1_000_000 + this.nextId++;
      const v = this.rng.int(0, 1000);
      return { op: { kind: 'put', id, v }, sql: `INSERT INTO kv VALUES (${id}, ${this.w}, ${v})` };
    }
    const seq = this.nextSeq++;
    return { op: { kind: 'event', seq }, sql: `INSERT INTO ev VALUES (${this.w}, ${seq})` };
  }

  /** Sends statements until the connection dies (the kill) or `stop()` is true. */
  async run(client: pg.Client, stop: () => boolean, flushEvery: number): Promise<void> {
    for (let n = 1; !stop(); n++) {
      const { op, sql } = this.nextOp();
      this.ops.push(op);
      applyOp(this.cur, op);
      try {
        await client.query(sql);
        if (flushEvery > 0 && n % flushEvery === 0) await client.query('FLUSH');
      } catch {
        return; // killed: the op may or may not have committed
      }
      this.acks[this.ops.length - 1] = Date.now();
      this.acknowledged++;
    }
  }

  /**
   * After a restart: the writer's rows must be the model after a prefix of the ops sent
   * that includes every op acknowledged before `durableBefore`. Re-bases on what was found.
   */
  async check(client: pg.Client, durableBefore: number): Promise<void> {
    const kv = new Map<number, number>();
    for (const [id, v] of (await client.query({ text: `SELECT id, v FROM kv WHERE w = ${this.w}`, rowMode: 'array' })).rows) kv.set(Number(id), Number(v));
    const ev = new Map<number, number>();
    for (const [seq] of (await client.query({ text: `SELECT seq FROM ev WHERE w = ${this.w}`, rowMode: 'array' })).rows) ev.set(Number(seq), (ev.get(Number(seq)) ?? 0) + 1);
    const actual: State = { kv, ev };
    let lo = 0;
    for (let i = 0; i < this.ops.length; i++) if (this.acks[i] !== undefined && this.acks[i] < durableBefore) lo = i + 1;
    const s = cloneState(this.base);
    for (let i = 0; i < lo; i++) applyOp(s, this.ops[i]);
    let found = -1;
    for (let j = lo; ; j++) {
      if (sameState(s, actual)) {
        found = j;
        break;
      }
      if (j >= this.ops.length) break;
      applyOp(s, this.ops[j]);
    }
    if (found < 0) {
      const dupes = [...ev].filter(([, n]) => n > 1).map(([seq]) => seq);
      throw new Error(
        `writer ${this.w}: rows after restart match no prefix of its ${this.ops.length} statements that includes the ${lo} acknowledged ones` +
          ` (found ${kv.size} kv rows, ${ev.size} event seqs${dupes.length ? `, duplicated events ${dupes.slice(0, 5).join(',')}` : ''})`,
      );
    }
    this.base = actual;
    this.cur = cloneState(actual);
    this.ops = [];
    this.acks = [];
  }
}

async function connect(server: FreshetServer): Promise<pg.Client> {
  const c = new pg.Client({ host: server.host, port: server.port, user: 'root', database: 'dev' });
  c.on('error', () => {});
  await c.connect();
  return c;
}

const sortedRows = async (c: pg.Client, sql: string) =>
  (await c.query({ text: sql, rowMode: 'array' })).rows.map((r: unknown[]) => r.map((v) => (v === null ? 'NULL' : String(v))).join('|')).sort();

/** Every MV that exists equals its query run as a plain SELECT. */
async function checkMvs(c: pg.Client): Promise<string[]> {
  await c.query('FLUSH');
  const names = (await c.query({ text: 'SELECT name FROM rw_catalog.rw_materialized_views', rowMode: 'array' })).rows.map((r: unknown[]) => String(r[0]));
  const all: Record<string, string> = { ...MVS, [BACKFILL_MV[0]]: BACKFILL_MV[1] };
  for (const name of names) {
    expect(all[name], `unexpected MV ${name}`).toBeDefined();
    expect(await sortedRows(c, `SELECT * FROM ${name}`), `MV ${name} vs its query`).toEqual(await sortedRows(c, all[name]));
  }
  return names;
}

interface Harness {
  server: FreshetServer;
  /** MVs restored from a checkpoint (rather than rebuilt by backfill), over all restarts. */
  restoredFromCheckpoint: number;
  readonly writers: Writer[];
  readonly rng: Prng;
}

async function setUp(start: () => Promise<FreshetServer>, seed: number): Promise<Harness> {
  const rng = Prng.fromEnv(seed);
  const server = await start();
  const c = await connect(server);
  await c.query('CREATE TABLE kv (id BIGINT PRIMARY KEY, w INT, v INT)');
  await c.query('CREATE TABLE ev (w INT, seq INT)');
  await c.query('CREATE TABLE big (id INT PRIMARY KEY, v INT)');
  await c.query(`INSERT INTO big SELECT g, g * 7 % 1000 FROM generate_series(1, ${BIG_ROWS}) AS g`);
  for (const [name, q] of Object.entries(MVS)) await c.query(`CREATE MATERIALIZED VIEW ${name} AS ${q}`);
  await c.end();
  const writers = Array.from({ length: WRITERS }, (_, i) => new Writer(i + 1, new Prng(rng.uint32())));
  return { server, writers, rng, restoredFromCheckpoint: 0 };
}

type Scenario = 'writes' | 'after-flush' | 'checkpoint-every-barrier' | 'backfill';

/**
 * One cycle: writers stream DML, something else may happen (a backfill, frequent
 * checkpoints), the server is killed with SIGKILL, `beforeRestart` runs (delete the data
 * dir), the server restarts, and everything is checked.
 */
async function cycle(h: Harness, scenario: Scenario, restart: () => Promise<FreshetServer>, durableBefore: (server: FreshetServer, killedAt: number) => number, beforeRestart = () => {}): Promise<void> {
  const admin = await connect(h.server);
  await admin.query(`ALTER SYSTEM SET checkpoint_frequency = ${scenario === 'checkpoint-every-barrier' ? 1 : h.rng.pick([2, 5, 10])}`);
  const clients = await Promise.all(h.writers.map(() => connect(h.server)));
  let stopped = false;
  const flushEvery = scenario === 'after-flush' ? 5 : 0;
  const running = h.writers.map((w, i) => w.run(clients[i], () => stopped, flushEvery));
  if (scenario === 'backfill') {
    await sleep(h.rng.int(20, 150));
    void admin.query(`CREATE MATERIALIZED VIEW ${BACKFILL_MV[0]} AS ${BACKFILL_MV[1]}`).catch(() => {});
    await sleep(h.rng.int(5, 250));
  } else {
    await sleep(h.rng.int(60, 700));
  }
  const before = h.writers.reduce((n, w) => n + w.acknowledged, 0);
  const killedAt = Date.now();
  await h.server.kill9();
  stopped = true;
  await Promise.all(running);
  for (const c of [admin, ...clients]) await c.end().catch(() => {});
  beforeRestart();
  const t0 = Date.now();
  h.server = await restart();
  const t1 = Date.now();
  const c = await connect(h.server);
  try {
    const cut = durableBefore(h.server, killedAt);
    for (const w of h.writers) await w.check(c, cut);
    const names = await checkMvs(c);
    const restore = /materialized views: (\d+) restored/.exec(h.server.logs.toString());
    if (!restore) throw new Error(`no recovery summary in the server log:\n${h.server.logs.tail(20)}`);
    h.restoredFromCheckpoint += Number(restore[1]);
    for (const name of Object.keys(MVS)) expect(names, `MV ${name} after restart`).toContain(name);
    if (names.includes(BACKFILL_MV[0])) await c.query(`DROP MATERIALIZED VIEW ${BACKFILL_MV[0]}`);
    expect(h.writers.reduce((n, w) => n + w.acknowledged, 0)).toBeGreaterThan(before - 1);
    if (process.env.FRESHET_CRASH_VERBOSE) console.log(`${scenario}: restart ${t1 - t0} ms, checks ${Date.now() - t1} ms, ${before} acked so far`);
  } finally {
    await c.end();
  }
}

const SCENARIOS: Scenario[] = ['writes', 'after-flush', 'checkpoint-every-barrier', 'backfill'];

describe('crash harness: kill -9 at random moments, restart, nothing lost or counted twice', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'freshet-crash-'));
  let h: Harness | undefined;
  const start = () => startFreshet({ dataDir, args: ['--checkpoint-upload-interval-ms', '500', '--log-level', 'debug'] });
  afterAll(async () => {
    await h?.server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`survives ${CYCLES} kills on the local data dir`, { timeout: 40_000 + CYCLES * 12_000 }, async () => {
    h = await setUp(start, 4242);
    let acked = 0;
    for (let i = 0; i < CYCLES; i++) {
      const scenario = SCENARIOS[i % SCENARIOS.length];
      try {
        // Local data dir: everything acknowledged before the kill is durable.
        await cycle(h, scenario, start, (_server, killedAt) => killedAt);
      } catch (e) {
        throw new Error(`cycle ${i} (${scenario}, seed ${h.rng.seed}): ${(e as Error).message}\n${h.server.logs.tail(20)}`);
      }
    }
    for (const w of h.writers) acked += w.acknowledged;
    expect(acked).toBeGreaterThan(CYCLES * 2);
    // Recovery really restored MV state (most restarts), not only rebuilt it by backfill.
    expect(h.restoredFromCheckpoint).toBeGreaterThan(CYCLES * 2);
  });
});

describe('crash harness with S3 (s3rver): the data dir is deleted at every kill', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'freshet-crash-s3-'));
  let s3: S3TestServer;
  let h: Harness | undefined;
  beforeAll(async () => {
    s3 = await startS3rver();
  });
  afterAll(async () => {
    await h?.server.stop();
    await s3?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const start = () =>
    startFreshet({
      dataDir,
      env: s3.env,
      args: ['--object-store', `s3://${s3.bucket}/crash`, '--s3-endpoint', s3.endpoint, '--checkpoint-upload-interval-ms', '100', '--checkpoint-history', '3', '--log-level', 'debug'],
    });

  /** The cut time of the checkpoint the restarted server restored (from its log). */
  const restoredCut = (server: FreshetServer): number => {
    const m = /restored from object store .* cut at (\S+)\)/.exec(server.logs.toString());
    if (!m) throw new Error(`the server did not restore from the object store:\n${server.logs.tail(20)}`);
    return Date.parse(m[1]);
  };

  it(`restores from S3 alone after ${S3_CYCLES} kills`, { timeout: 40_000 + S3_CYCLES * 15_000 }, async () => {
    h = await setUp(start, 777);
    // The schema and MVs are in a checkpoint before the first kill.
    await sleep(600);
    for (let i = 0; i < S3_CYCLES; i++) {
      const scenario = SCENARIOS[i % SCENARIOS.length];
      try {
        await cycle(h, scenario, start, (server) => restoredCut(server), () => rmSync(dataDir, { recursive: true, force: true }));
      } catch (e) {
        throw new Error(`cycle ${i} (${scenario}, seed ${h.rng.seed}): ${(e as Error).message}\n${h.server.logs.tail(20)}`);
      }
    }
    expect(h.restoredFromCheckpoint).toBeGreaterThan(S3_CYCLES * 2);
  });
});
