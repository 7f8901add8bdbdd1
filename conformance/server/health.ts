/**
 * Shared checks for tests that abuse a running server: a long-lived, well-behaved `pg`
 * connection that keeps querying in the background (every answer is verified), and a
 * check that the server process is still alive and never hit an uncaught exception.
 */
import pg from 'pg';
import { sleep, type FreshetServer } from '@freshet/testkit';

const ROWS = 100;
const EXPECTED_SUM = (ROWS * (ROWS + 1)) / 2;

export class HealthMonitor {
  readonly failures: string[] = [];
  /** Verified answers so far. */
  answered = 0;
  private running = false;
  private loop: Promise<void> | null = null;

  private constructor(
    private readonly client: pg.Client,
    private readonly table: string,
  ) {}

  /** Connects, creates its own table with known contents and starts querying in the background. */
  static async start(server: FreshetServer, table = 'health_check'): Promise<HealthMonitor> {
    const client = new pg.Client({ host: server.host, port: server.port, user: 'root', database: 'dev' });
    client.on('error', () => {});
    await client.connect();
    await client.query(`CREATE TABLE ${table} (k INT, v VARCHAR)`);
    await client.query(`INSERT INTO ${table} SELECT g, 'v' || g FROM generate_series(1, ${ROWS}) AS g`);
    await client.query('FLUSH');
    const m = new HealthMonitor(client, table);
    m.running = true;
    m.loop = m.run();
    return m;
  }

  private async run(): Promise<void> {
    let i = 0;
    while (this.running) {
      try {
        await this.verifyOnce(i++);
      } catch (e) {
        this.failures.push(`query ${i}: ${(e as Error).message}`);
      }
      await sleep(5);
    }
  }

  /** One round trip with a verified answer; throws if it is wrong. */
  async verifyOnce(i = 0): Promise<void> {
    const r = await this.client.query(`SELECT count(*) AS n, sum(k) AS s, max(v) AS m FROM ${this.table}`);
    const row = r.rows[0];
    if (Number(row.n) !== ROWS || Number(row.s) !== EXPECTED_SUM || row.m !== 'v99') {
      throw new Error(`wrong answer: ${JSON.stringify(row)}`);
    }
    // The extended protocol with a parameter, too.
    const p = await this.client.query('SELECT $1::INT * 2 AS d', [i]);
    if (Number(p.rows[0].d) !== i * 2) throw new Error(`wrong parameter answer: ${JSON.stringify(p.rows[0])} for ${i}`);
    this.answered++;
  }

  /** Throws if any background query failed; then proves the connection answers right now. */
  async assertHealthy(): Promise<void> {
    if (this.failures.length) throw new Error(`healthy connection failed:\n${this.failures.slice(0, 10).join('\n')}`);
    await this.verifyOnce(7);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.client.end().catch(() => {});
  }
}

/**
 * The server process is running and its log shows no escaped exception (nor, unless
 * allowed because the test reports them itself, an internal error sent to a client).
 */
export function assertServerAlive(server: FreshetServer, opts: { allowInternalErrors?: boolean } = {}): void {
  let alive = true;
  try {
    process.kill(server.pid, 0);
  } catch {
    alive = false;
  }
  if (!alive) throw new Error(`server process ${server.pid} died. Log tail:\n${server.logs.tail()}`);
  const bad = server.logs
    .toString()
    .split('\n')
    .filter((l) => /uncaught exception|unhandled rejection/i.test(l) || (!opts.allowInternalErrors && /internal error/i.test(l)));
  if (bad.length) throw new Error(`server logged escaped errors:\n${bad.slice(0, 10).join('\n')}`);
}
